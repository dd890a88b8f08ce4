"""PostgreSQL full-text backend (``SEARCH_BACKEND=postgres``), for several app hosts.

Documents live in ``search_document`` (see :mod:`app.search.models`): a ``tsvector``
maintained on write (title weighted A, body B) with a GIN index, and the principals as
a GIN-indexed ``text[]`` matched with ``&&``. Ranking is ``ts_rank``; snippets are
``ts_headline`` with private-use sentinels as highlight markers, HTML-escaped before
the sentinels become ``<mark>``. Writers serialize on a transaction-scoped advisory
lock, so the last writer always writes the newest committed state.

A writer writes in ``db.session``'s transaction, on the connection the caller reads
documents through, and commits it: one pooled connection per writer, never two (a
writer on ``db.engine.begin()`` beside the drain's session held two, and under
concurrent posting every thread ended up waiting for one another thread held).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.search.backend import (
    FACET_FIELDS,
    MARK_OPEN,
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

log = logging.getLogger("guildhall.search")
TSV_INDEX = "ix_search_document_tsv"
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


_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=256)
def _driver_sql(statement: str) -> str:
    """``statement`` with ``:name`` parameters in the driver's ``%(name)s`` style.

    The search statement goes to psycopg directly (``exec_driver_sql``): going through
    ``text()`` cost a third of a millisecond of Python per search in SQLAlchemy's
    compile and parameter processing, a tenth of the whole query. There are few
    distinct statements (one per combination of filters), so each is converted once.
    """
    return _NAMED_PARAMETER.sub(r"%(\1)s", statement.replace("%", "%%"))


class PostgresBackend(SearchBackend):
    name = "postgres"
    transactional = True

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._merge_warned = False

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
        session = db.session()
        try:
            connection = session.connection()
            if not rebuild:
                # Waiting holds this pooled connection: bound it, as Whoosh's writer is
                # bounded, so a long rebuild makes drains fail (their rows are kept and
                # retried, see app.search.indexing) instead of parking every posting
                # request's connection until it ends. The setting ends with the transaction.
                wait_ms = max(1, int(float(self.app.config.get("SEARCH_LOCK_TIMEOUT", 10)) * 1000))
                connection.execute(
                    sa.text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": f"{wait_ms}ms"}
                )
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            if rebuild:
                connection.execute(sa.text("DELETE FROM search_document"))
            writer = _Writer(connection)
            yield writer
            writer.flush()
            self._merge_pending(connection)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        if rebuild:
            self._vacuum()

    def _vacuum(self) -> None:
        """VACUUM (ANALYZE) the table once a rebuild has committed.

        A rebuild deletes every row and writes it again. Until a VACUUM, the old
        rows stay in the table and their entries stay in the GIN index, so every
        search also visits the dead copy of each match; and no new row has its hint
        bits set, so each first read of one asks the commit log. Right after a 100k
        rebuild that made the median search 1.7× slower (5.9 against 3.4 ms of
        server time) until autovacuum came by. ANALYZE gives the planner the new
        statistics (the most common words, the row count). VACUUM cannot run in a
        transaction, hence its own autocommit connection, taken once the rebuild's
        transaction has committed and returned its own (the CLI's, never a request's);
        it needs ownership of the table, and without it the rebuild still stands (a
        warning is logged).
        """
        try:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM (ANALYZE) search_document"))
        except sa.exc.DBAPIError as error:
            log.warning("search: cannot VACUUM search_document after the rebuild (%s)", error.orig)

    def _merge_pending(self, connection: sa.Connection) -> None:
        """Merge the tsv GIN index's pending list into the index proper.

        With GIN's default ``fastupdate``, new entries go to an unsorted pending list
        that every search scans in full until VACUUM or the 4 MB limit merges it: after
        a rebuild of 20k posts that was 309 pages and 2 ms of a 2.5 ms query. Merging
        after each write keeps it empty (what ``fastupdate = off`` on the index would
        do; that needs a migration). Needs ownership of the index: without it, skip.
        """
        try:
            with connection.begin_nested():
                connection.execute(sa.text(f"SELECT gin_clean_pending_list('{TSV_INDEX}'::regclass)"))
        except sa.exc.DBAPIError as error:
            if not self._merge_warned:
                log.warning("search: cannot merge the GIN pending list (%s)", error.orig)
                self._merge_warned = True

    # --- querying ----------------------------------------------------------------------

    def _where(
        self, query: ParsedQuery, principals: list[str], filters: Filters
    ) -> tuple[str, dict, str | None]:
        """The WHERE clause, its parameters, and the tsquery expression (``None`` without words).

        The tsquery is written inline (not joined from a subquery) so that it is an index
        condition on ``tsv`` in generic plans too. The permission test is wrapped in
        ``coalesce`` on purpose: that makes it a filter, never an index condition.
        psycopg prepares a statement after five runs, and PostgreSQL's generic plan for
        it cannot know the principals' selectivity: it chose the principals GIN index,
        which matches nearly every row (everyone reads ``public``), and then tested
        ``tsv`` row by row: 14–37 ms instead of ~1.5 ms on the 20k benchmark.
        """
        clauses = ["coalesce(principals && CAST(:principals AS text[]), false)"]
        params: dict[str, Any] = {"principals": principals}
        tsquery = None
        if not query.empty:
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
            tsquery = "(" + (" || " if query.match_any else " && ").join(parts) + ")"
            clauses.append(f"tsv @@ {tsquery}")
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
        return " AND ".join(clauses), params, tsquery

    def _statement(self, where: str, tsquery: str | None, order: str) -> str:
        """One statement, one round trip: the page of hits with snippets, and the facets.

        ``matched`` reads the matching rows once (GIN scan, permission filter) and
        ranks them in the same pass; the page, and the facet counts (one grouping-sets
        pass, plus tags; the ``kind`` counts add up to the total) read that CTE, and
        ``ts_headline`` runs for the page's rows only. Rows come back tagged by ``part``.
        """
        if tsquery is None:
            rank, ordering = "0::real", "created_at DESC, key"
        else:
            # ``(SELECT …)``: an InitPlan, so the query text is parsed and stemmed once,
            # not once per matching row (plainto_tsquery is only STABLE, so an inline
            # call is re-evaluated for every row ranked: 1.5 µs each, half the query).
            tsquery = f"(SELECT {tsquery})"
            rank = f"ts_rank(tsv, {tsquery})"
            ordering = "created_at DESC, key" if order == "date" else "rank DESC, created_at DESC, key"
        if order == "date":
            rank = "0::real"  # not shown, not needed for the order: skip it
        escaped = "replace(replace(replace(left(d.body, 4000), '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
        headline = f"ts_headline('{CONFIG}', {escaped}, {tsquery}, :options)" if tsquery else "NULL::text"
        after_title = "NULL, NULL, NULL, NULL, NULL, NULL"  # url … plain, on facet rows
        nothing = f"NULL, NULL, {after_title}"
        return f"""
            WITH matched AS MATERIALIZED (
                SELECT key, kind, category_id, organization_id, tags, created_at, {rank} AS rank
                FROM search_document WHERE {where}
            ),
            page AS (
                SELECT key, rank, row_number() OVER (ORDER BY {ordering}) AS position
                FROM (SELECT key, created_at, rank FROM matched
                      ORDER BY {ordering} LIMIT :limit OFFSET :offset) AS best
            )
            SELECT 'hit' AS part, d.key AS value, page.position AS n, d.kind, d.title, d.url,
                   d.meta, d.created_at, page.rank, {headline} AS headline, left(d.body, 400) AS plain
            FROM page JOIN search_document AS d ON d.key = page.key
            UNION ALL
            SELECT CASE WHEN GROUPING(kind) = 0 THEN 'kind'
                        WHEN GROUPING(category_id) = 0 THEN 'category' ELSE 'organization' END,
                   CASE WHEN GROUPING(kind) = 0 THEN kind
                        WHEN GROUPING(category_id) = 0 THEN category_id::text
                        ELSE organization_id::text END,
                   count(*), NULL,
                   CASE WHEN GROUPING(organization_id) = 0
                        THEN (SELECT name FROM organization WHERE id = organization_id) END,
                   {after_title}
            FROM matched GROUP BY GROUPING SETS ((kind), (category_id), (organization_id))
            UNION ALL
            SELECT 'tag', t, count(*), {nothing}
            FROM (SELECT tags FROM matched WHERE tags <> '{{}}') AS tagged, unnest(tags) AS t GROUP BY t
        """

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
        where, params, tsquery = self._where(query, principals, filters)
        params.update(limit=per_page, offset=(page - 1) * per_page)
        if tsquery:
            params["options"] = HEADLINE_OPTIONS
        statement = _driver_sql(self._statement(where, tsquery, order))
        rows = db.session.connection().exec_driver_sql(statement, params).all()
        facets: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        hits: list[tuple[int, Hit]] = []
        labels: dict[str, dict[str, str]] = {}
        for row in rows:
            if row.part != "hit":
                if row.value is not None:  # the documents without a category/organization
                    facets[row.part][str(row.value)] = int(row.n)
                    if row.part == "organization":  # its name; None: no such organization
                        labels.setdefault(row.part, {})[str(row.value)] = row.title
                continue
            # The body was HTML-escaped in SQL *before* ts_headline added its markers.
            headline = row.headline or ""
            snippet = escaped_marked_to_html(headline) if MARK_OPEN in headline else plain_snippet(row.plain)
            hit = Hit(
                key=row.value,
                kind=row.kind,
                title=row.title,
                url=row.url,
                snippet=snippet,
                created_at=row.created_at,
                score=float(row.rank or 0.0),
                meta=hit_meta(row.meta),
            )
            hits.append((int(row.n), hit))
        hits.sort(key=lambda item: item[0])
        total = sum(facets["kind"].values())
        return SearchResult(
            hits=[hit for _, hit in hits],
            total=total,
            facets=facets,
            page=page,
            per_page=per_page,
            labels=labels,
        )

    def counts(self) -> dict[str, int]:
        self._check_dialect()
        rows = db.session.execute(sa.text("SELECT kind, count(*) FROM search_document GROUP BY kind")).all()
        return {kind: int(count) for kind, count in rows}
