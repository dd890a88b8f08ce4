"""Full rebuild and consistency check, used by ``flask search reindex`` / ``check``.

A rebuild reads everything from the database inside the backend's write lock and
replaces the index in one commit. The queue rows it makes redundant are exactly the
ones it could see *before* it read the documents: each was committed together with
its change, so the rebuild read that change. Deleting by "id up to the highest one
seen" instead lost changes on PostgreSQL, where ids are handed out at insert and a
transaction holding a lower id may commit after the rebuild read its data; its row
was deleted with no retry left. Rows the rebuild could not see stay and are drained
right after it.
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
DELETE_BATCH = 1000


def reindex(app: Flask, progress: Callable[[int], Any] | None = None) -> dict[str, int]:
    """Rebuild the whole index from the database; returns documents written per kind."""
    backend = get_backend(app)
    backend.ensure_schema()
    counts: Counter[str] = Counter()
    with app.app_context():
        session = db.session()
        covered = list(session.scalars(sa.select(SearchPending.id).order_by(SearchPending.id)))
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
            if not backend.transactional:
                session.rollback()  # end the read before the index commits
        for start in range(0, len(covered), DELETE_BATCH):
            batch = covered[start : start + DELETE_BATCH]
            session.execute(sa.delete(SearchPending).where(SearchPending.id.in_(batch)))
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


def queued(app: Flask) -> int:
    """Changes waiting in ``search_pending`` (due now or backing off after a failure)."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(SearchPending)) or 0
