"""Full rebuild and consistency check, used by ``flask search reindex`` / ``check``.

A rebuild reads everything from the database inside the backend's write lock and
replaces the index in one commit; pending rows queued before it started are then
redundant and deleted, rows queued during it stay and are drained afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.search import documents
from app.search.backend import get_backend
from app.search.indexing import drain
from app.search.models import SearchPending

GROUPS = {"question": "topic", "answer": "post"}


def reindex(app: Flask, progress: Callable[[int], Any] | None = None) -> dict[str, int]:
    """Rebuild the whole index from the database; returns documents written per kind."""
    backend = get_backend(app)
    backend.ensure_schema()
    counts: Counter[str] = Counter()
    with app.app_context():
        session = db.session()
        high_water = session.scalar(sa.select(sa.func.max(SearchPending.id))) or 0
        session.rollback()
        with backend.writer(rebuild=True) as writer:
            for source in (
                documents.iter_forum_documents(session),
                documents.iter_people_documents(session),
                documents.iter_plugin_documents(None),
            ):
                for doc in source:
                    writer.upsert(doc)
                    counts[doc.kind] += 1
                    if progress is not None:
                        progress(1)
            session.rollback()
        session.execute(sa.delete(SearchPending).where(SearchPending.id <= high_water))
        session.commit()
    drain(app, force=True)
    return dict(counts)


def expected_total(app: Flask) -> int:
    with app.app_context():
        counts = documents.database_counts(db.session())
    return sum(counts.values())


def check(app: Flask) -> tuple[dict[str, int], dict[str, int]]:
    """(database, index) document counts by kind group; equal when the index is whole."""
    with app.app_context():
        expected = documents.database_counts(db.session())
    plugin_counts = Counter(doc.kind for doc in documents.iter_plugin_documents(None))
    expected.update(plugin_counts)
    indexed: Counter[str] = Counter()
    for kind, count in get_backend(app).counts().items():
        indexed[GROUPS.get(kind, kind)] += count
    for kind in expected:
        indexed.setdefault(kind, 0)
    return expected, dict(indexed)
