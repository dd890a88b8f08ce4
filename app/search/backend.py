"""One search-backend interface, and the factory that picks the configured backend.

``SEARCH_BACKEND=whoosh`` (default): a Whoosh index under ``SEARCH_INDEX_DIR``
(``instance/search/``), fine for one host. ``SEARCH_BACKEND=postgres``: the
``search_document`` table with a GIN-indexed tsvector, for several app hosts. Both
take the same parsed query, principals and filters and return the same result, so the
same tests run against both.

Writers are context managers that hold the backend's write lock for their lifetime;
the indexer loads documents from the database *inside* the writer, so the last writer
to take the lock always writes the newest committed state (no lost updates between
processes).
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.search.documents import Document
from app.search.querying import Filters, ParsedQuery, SearchResult

EXTENSION_KEY = "guildhall_search_backend"
FACET_FIELDS = ("kind", "category", "organization", "tag")
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use sentinels, stripped from input


class IndexWriter(ABC):
    @abstractmethod
    def upsert(self, doc: Document) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...


class SearchBackend(ABC):
    name = "abstract"
    # True when the index lives in the application database and ``writer()`` writes
    # through ``db.session``'s transaction (and commits it): queue rows deleted in that
    # transaction then commit atomically with the index rows.
    transactional = False

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create the index (or PostgreSQL objects) if missing; safe to call repeatedly."""

    @abstractmethod
    @contextmanager
    def writer(self, rebuild: bool = False) -> Iterator[IndexWriter]:
        """Hold the write lock; commit on success. ``rebuild`` starts from an empty index.

        Never takes a database connection besides ``db.session``'s: the caller reads
        documents through that session inside the writer, and a second connection per
        writer can exhaust the pool (see :mod:`app.search.indexing`).
        """

    @abstractmethod
    def search(
        self,
        query: ParsedQuery,
        principals: list[str],
        filters: Filters,
        page: int,
        per_page: int,
        order: str,
    ) -> SearchResult: ...

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Documents in the index by kind."""

    def close(self) -> None:  # noqa: B027 - optional for backends holding nothing
        """Release cached searchers and connections."""


def get_backend(app: Flask | None = None) -> SearchBackend:
    app = app or current_app
    backend = app.extensions.get(EXTENSION_KEY)
    if backend is None:
        backend = make_backend(app)
        app.extensions[EXTENSION_KEY] = backend
    return backend


def make_backend(app: Flask, name: str | None = None) -> SearchBackend:
    name = (name or app.config.get("SEARCH_BACKEND") or "whoosh").lower()
    if name == "postgres":
        # Each backend loads only when chosen: the other's library may be absent.
        from app.search.postgres_backend import PostgresBackend

        return PostgresBackend(app)
    if name == "whoosh":
        # Each backend loads only when chosen: the other's library may be absent.
        from app.search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir(app), app.config)
    raise RuntimeError(f"Unknown SEARCH_BACKEND {name!r}: use 'whoosh' or 'postgres'.")


def index_dir(app: Flask) -> Path:
    configured = app.config.get("SEARCH_INDEX_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "search"


def strip_marks(text: str) -> str:
    return text.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")


def escaped_marked_to_html(text: str) -> str:
    """Turn highlight sentinels into ``<mark>`` in text that was HTML-escaped *before*
    the sentinels were added, so nothing a member wrote can become markup."""
    safe = text.replace("<", "&lt;").replace(">", "&gt;")  # none expected; belt and braces
    return safe.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


def plain_snippet(text: str, limit: int = 240) -> str:
    text = " ".join(strip_marks(text or "").split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return html.escape(text, quote=True)


def hit_meta(meta: Any) -> dict:
    return meta if isinstance(meta, dict) else {}
