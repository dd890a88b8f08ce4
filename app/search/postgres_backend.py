"""PostgreSQL full-text backend (``SEARCH_BACKEND=postgres``), for several app hosts.

Documents live in ``search_document`` (see :mod:`app.search.models`): a ``tsvector``
maintained on write (title weighted A, body B) with a GIN index, and the principals as
a GIN-indexed ``text[]`` matched with ``&&``. Ranking is ``ts_rank``; snippets are
``ts_headline`` with private-use sentinels as highlight markers, HTML-escaped before
the sentinels become ``<mark>``. Writers serialize on a transaction-scoped advisory
lock, so the last writer always writes the newest committed state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.search.backend import (
    FACET_FIELDS,
    IndexWriter,
    SearchBackend,
    escaped_marked_to_html,
    hit_meta,
    plain_snippet,
    strip_marks,
)
from app.search.documents import Document
from app.search.models import SearchDocument
from app.search.querying import Filters, Hit, ParsedQuery, SearchResult

LOCK_KEY = 0x5EA2C4  # pg_advisory_xact_lock key for index writers
CONFIG = "english"
BATCH = 500
HEADLINE_OPTIONS = (
    'StartSel="\ue000", StopSel="\ue001", MaxWords=40, MinWords=15, MaxFragments=2, FragmentDelimiter=" … "'
)

UPSERT = sa.text(
    f"""
    INSERT INTO search_document
        (key, kind, title, body, url, principals, category_id, organization_id, author_id,
         tags, meta, created_at, tsv)
    VALUES
        (:key, :kind, :title, :body, :url, CAST(:principals AS text[]), :category_id,
         :organization_id, :author_id, CAST(:tags AS text[]), CAST(:meta AS json), :created_at,
         setweight(to_tsvector('{CONFIG}', CASE WHEN :index_title THEN :title ELSE '' END), 'A') || setweight(to_tsvector('{CONFIG}', :body), 'B'))
    ON CONFLICT (key) DO UPDATE SET
        kind = EXCLUDED.kind, title = EXCLUDED.title, body = EXCLUDED.body, url = EXCLUDED.url,
        principals = EXCLUDED.principals, category_id = EXCLUDED.category_id,
        organization_id = EXCLUDED.organization_id, author_id = EXCLUDED.author_id,
        tags = EXCLUDED.tags, meta = EXCLUDED.meta, created_at = EXCLUDED.created_at, tsv = EXCLUDED.tsv
    """
)


def _row(doc: Document) -> dict[str, Any]:
    return {
        "key": doc.key,
        "kind": doc.kind,
        "title": strip_marks(doc.title),
        "body": strip_marks(doc.body),
        "url": doc.url,
        "principals": list(doc.principals),
        "category_id": doc.category_id,
        "organization_id": doc.organization_id,
        "author_id": doc.author_id,
        "tags": list(doc.tags),
        "meta": json.dumps(doc.meta),
        "created_at": doc.created_at,
        "index_title": doc.index_title,
    }


class _Writer(IndexWriter):
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.rows: dict[str, dict] = {}
        self.deletes: set[str] = set()

    def upsert(self, doc: Document) -> None:
        self.deletes.discard(doc.key)
        self.rows[doc.key] = _row(doc)
        if len(self.rows) >= BATCH:
            self.flush()

    def delete(self, key: str) -> None:
        self.rows.pop(key, None)
        self.deletes.add(key)

    def flush(self) -> None:
        if self.deletes:
            self.connection.execute(
                sa.text("DELETE FROM search_document WHERE key = ANY(CAST(:keys AS text[]))"),
                {"keys": sorted(self.deletes)},
            )
            self.deletes.clear()
        if self.rows:
            self.connection.execute(UPSERT, list(self.rows.values()))
            self.rows.clear()


class PostgresBackend(SearchBackend):
    name = "postgres"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _check_dialect(self) -> None:
        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs DATABASE_URL to point at PostgreSQL.")

    def ensure_schema(self) -> None:
        """Create ``search_document`` (with its GIN indexes) if migrations have not."""
        self._check_dialect()
        SearchDocument.__table__.create(db.engine, checkfirst=True)

    @contextmanager
    def writer(self, rebuild: bool = False) -> Iterator[IndexWriter]:
        self._check_dialect()
        with db.engine.begin() as connection:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            if rebuild:
                connection.execute(sa.text("DELETE FROM search_document"))
            writer = _Writer(connection)
            yield writer
            writer.flush()

    # --- querying ----------------------------------------------------------------------

    def _where(self, query: ParsedQuery, principals: list[str], filters: Filters) -> tuple[str, dict, bool]:
        clauses = ["principals && CAST(:principals AS text[])"]
        params: dict[str, Any] = {"principals": principals}
        has_text = not query.empty
        if has_text:
            parts = []
            if query.words and query.match_any:
                for index, word in enumerate(query.words):
                    parts.append(f"plainto_tsquery('{CONFIG}', :word{index})")
                    params[f"word{index}"] = word
            elif query.words:
                parts.append(f"plainto_tsquery('{CONFIG}', :words)")
                params["words"] = " ".join(query.words)
            for index, phrase in enumerate(query.phrases):
                parts.append(f"phraseto_tsquery('{CONFIG}', :phrase{index})")
                params[f"phrase{index}"] = " ".join(phrase)
            params["tsquery_sql"] = (" || " if query.match_any else " && ").join(parts)
            clauses.append("tsv @@ q.query")
        if filters.kinds:
            clauses.append("kind = ANY(CAST(:kinds AS text[]))")
            params["kinds"] = filters.kinds
        for name, column in (
            ("category_id", "category_id"),
            ("organization_id", "organization_id"),
            ("author_id", "author_id"),
        ):
            value = getattr(filters, name)
            if value is not None:
                clauses.append(f"{column} = :{name}")
                params[name] = value
        if filters.tag:
            clauses.append("tags @> CAST(:tags AS text[])")
            params["tags"] = [filters.tag.lower()]
        if filters.date_from:
            clauses.append("created_at >= :date_from")
            params["date_from"] = filters.date_from
        if filters.date_to:
            clauses.append("created_at < :date_to")
            params["date_to"] = filters.date_to
        return " AND ".join(clauses), params, has_text

    def search(
        self,
        query: ParsedQuery,
        principals: list[str],
        filters: Filters,
        page: int,
        per_page: int,
        order: str,
    ) -> SearchResult:
        self._check_dialect()
        where, params, has_text = self._where(query, principals, filters)
        tsquery_sql = params.pop("tsquery_sql", "NULL::tsquery")
        source = f"search_document CROSS JOIN (SELECT {tsquery_sql} AS query) AS q"
        rank = "ts_rank(tsv, q.query)" if has_text else "0"
        ordering = (
            "created_at DESC, key" if order == "date" or not has_text else "rank DESC, created_at DESC, key"
        )
        params.update(limit=per_page, offset=(page - 1) * per_page)
        session = db.session
        rows = session.execute(
            sa.text(
                f"SELECT key, kind, title, url, meta, created_at, {rank} AS rank FROM {source} "
                f"WHERE {where} ORDER BY {ordering} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        facet_rows = session.execute(
            sa.text(
                f"WITH matched AS MATERIALIZED (SELECT kind, category_id, organization_id, tags FROM {source} WHERE {where}) "
                "SELECT 'kind', kind, count(*) FROM matched GROUP BY kind "
                "UNION ALL SELECT 'category', category_id::text, count(*) FROM matched "
                "WHERE category_id IS NOT NULL GROUP BY category_id "
                "UNION ALL SELECT 'organization', organization_id::text, count(*) FROM matched "
                "WHERE organization_id IS NOT NULL GROUP BY organization_id "
                "UNION ALL SELECT 'tag', t, count(*) FROM matched, unnest(tags) AS t GROUP BY t"
            ),
            params,
        ).all()
        facets: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        for facet, value, count in facet_rows:
            facets[facet][str(value)] = int(count)
        total = sum(facets["kind"].values())
        snippets = self._snippets([row.key for row in rows], tsquery_sql, params) if has_text and rows else {}
        hits = [
            Hit(
                key=row.key,
                kind=row.kind,
                title=row.title,
                url=row.url,
                snippet=snippets.get(row.key) or "",
                created_at=row.created_at,
                score=float(row.rank or 0.0),
                meta=hit_meta(row.meta),
            )
            for row in rows
        ]
        if not has_text or any(not hit.snippet for hit in hits):
            bodies = dict(
                session.execute(
                    sa.text(
                        "SELECT key, left(body, 400) FROM search_document WHERE key = ANY(CAST(:keys AS text[]))"
                    ),
                    {"keys": [hit.key for hit in hits if not hit.snippet]},
                ).all()
            )
            for hit in hits:
                if not hit.snippet:
                    hit.snippet = plain_snippet(bodies.get(hit.key, ""))
        return SearchResult(hits=hits, total=total, facets=facets, page=page, per_page=per_page)

    def _snippets(self, keys: list[str], tsquery_sql: str, params: dict) -> dict[str, str]:
        text_params = {k: v for k, v in params.items() if k.startswith(("word", "phrase"))}
        rows = db.session.execute(
            sa.text(
                "SELECT key, ts_headline("
                f"'{CONFIG}', replace(replace(replace(left(body, 4000), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), "
                "q.query, :options) "
                f"FROM search_document CROSS JOIN (SELECT {tsquery_sql} AS query) AS q "
                "WHERE key = ANY(CAST(:keys AS text[]))"
            ),
            {**text_params, "keys": keys, "options": HEADLINE_OPTIONS},
        ).all()
        # The body was HTML-escaped in SQL *before* ts_headline added its markers.
        return {
            key: escaped_marked_to_html(headline) for key, headline in rows if "\ue000" in (headline or "")
        }

    def counts(self) -> dict[str, int]:
        self._check_dialect()
        rows = db.session.execute(sa.text("SELECT kind, count(*) FROM search_document GROUP BY kind")).all()
        return {kind: int(count) for kind, count in rows}
