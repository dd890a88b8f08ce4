"""Whoosh backend: a file index under ``instance/search/``, one writer at a time.

Tuning that makes it fast enough (see bench/search.py):
- one searcher per thread, kept open and reopened only when the index generation
  changed (a directory listing per query) instead of opening the index per query;
- the permission filter is a set of readable document numbers per principal set,
  built once per index generation and cached (a lookup per matching document);
- facets are read from sortable columns; snippets are highlighted on the first
  ``SNIPPET_SOURCE_CHARS`` characters only;
- full rebuilds use a large ``limitmb`` and ``CLEAR`` merge in a single writer.

Several processes writing at once: the writer waits for Whoosh's file lock
(``timeout``) and the caller retries on :class:`whoosh.index.LockError`; the indexer
keeps the work in ``search_pending`` until a write succeeds, so nothing is lost.
"""

from __future__ import annotations

import html
import logging
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import highlight, index, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.matching import ReadTooFar
from whoosh.query import And, DateRange, Every, Or, Phrase, Query, Require, Term
from whoosh.writing import CLEAR

from app.search.backend import FACET_FIELDS, IndexWriter, SearchBackend, hit_meta, plain_snippet
from app.search.documents import Document
from app.search.querying import Filters, Hit, ParsedQuery, SearchResult

log = logging.getLogger("guildhall.search")
SNIPPET_SOURCE_CHARS = 4000
INDEX_NAME = "guildhall"
ALLOWED_CACHE_SIZE = 64


def _bisect_skip_to(self: W3LeafMatcher, targetid: int) -> None:
    """``W3LeafMatcher.skip_to`` with a binary search inside the block.

    whoosh-reloaded 2.7.5 steps through a block's ids one ``next()`` at a time; in an
    AND of a rare and a common word that linear scan was most of a query's time.
    Same contract: stop on the first id >= ``targetid`` (tests/search/test_whoosh_patch.py
    checks it against the original on real postings).
    """
    if not self.is_active():
        raise ReadTooFar
    if targetid <= self.id():
        return
    if targetid > self.block_max_id():
        self._skip_to_block(lambda: targetid > self.block_max_id())
        if not self.is_active():
            return
    if self._ids is None:
        self._read_ids()
    index = bisect_left(self._ids, targetid, self._i)
    if index >= self._blocklength:  # not expected: the block's max id is >= targetid
        self._next_block()
        return
    self._i = index


# Decoded posting blocks per open postings file, by offset. Segment files never change
# once written, so a block decoded for one query serves the next; the weak key drops a
# file's blocks when its searcher closes. Unpickling and delta-decoding blocks was the
# largest cost left after the binary search.
_BLOCKS: weakref.WeakKeyDictionary[Any, dict[int, tuple]] = weakref.WeakKeyDictionary()
BLOCK_CACHE_SIZE = 20_000
_original_read_data = W3LeafMatcher._read_data
_original_read_ids = W3LeafMatcher._read_ids


def _cached_read_data(self: W3LeafMatcher) -> None:
    blocks = _BLOCKS.get(self._postfile)
    if blocks is None:
        blocks = _BLOCKS.setdefault(self._postfile, {})
    cached = blocks.get(self._dataoffset)
    if cached is None:
        _original_read_data(self)
        _original_read_ids(self)
        if len(blocks) >= BLOCK_CACHE_SIZE:
            blocks.clear()
        cached = blocks[self._dataoffset] = (self._data, self._ids)
    self._data, self._ids = cached


def _cached_read_ids(self: W3LeafMatcher) -> None:
    if self._data is None:
        _cached_read_data(self)
    else:
        _original_read_ids(self)


_original_skip_to = W3LeafMatcher.skip_to
W3LeafMatcher.skip_to = _bisect_skip_to
W3LeafMatcher._read_data = _cached_read_data
W3LeafMatcher._read_ids = _cached_read_ids


def make_schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True, sortable=True),
        content=TEXT(analyzer=StemmingAnalyzer(cachesize=50_000), phrase=True),
        title=STORED,
        body=STORED,
        url=STORED,
        meta=STORED,
        principals=KEYWORD(scorable=False),
        category=ID(sortable=True),
        organization=ID(sortable=True),
        author=ID,
        tag=KEYWORD(commas=True, lowercase=True, scorable=False, sortable=False),
        created=DATETIME(stored=True, sortable=True),
    )


def _fields(doc: Document) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "key": doc.key,
        "kind": doc.kind,
        "content": f"{doc.title}\n{doc.body}" if doc.index_title else doc.body,
        "title": doc.title,
        "body": doc.body[:SNIPPET_SOURCE_CHARS],
        "url": doc.url,
        "meta": doc.meta,
        "principals": " ".join(doc.principals),
        "created": doc.created_at,
    }
    if doc.category_id is not None:
        fields["category"] = str(doc.category_id)
    if doc.organization_id is not None:
        fields["organization"] = str(doc.organization_id)
    if doc.author_id is not None:
        fields["author"] = str(doc.author_id)
    if doc.tags:
        fields["tag"] = ",".join(t.replace(",", " ") for t in doc.tags)
    return fields


class EscapingFormatter(highlight.Formatter):
    """Escapes the text between and inside highlights: the snippet is safe HTML."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text, quote=True)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return "<mark>" + html.escape(highlight.get_text(text, token, replace), quote=True) + "</mark>"


class _Writer(IndexWriter):
    def __init__(self, writer: Any, rebuild: bool) -> None:
        self._writer = writer
        self._rebuild = rebuild

    def upsert(self, doc: Document) -> None:
        if self._rebuild:
            self._writer.add_document(**_fields(doc))
        else:
            self._writer.update_document(**_fields(doc))

    def delete(self, key: str) -> None:
        if not self._rebuild:
            self._writer.delete_by_term("key", key)


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, directory: Path, config: Any) -> None:
        self.directory = Path(directory)
        self.lock_timeout = float(config.get("SEARCH_LOCK_TIMEOUT", 10.0))
        self.limitmb = int(config.get("SEARCH_WRITER_LIMITMB", 256))
        self.procs = int(config.get("SEARCH_WRITER_PROCS", 1))
        self._ix: Any = None
        self._local = threading.local()
        self._open_lock = threading.Lock()
        self._analyzer = make_schema()["content"].analyzer

    # --- index lifecycle -------------------------------------------------------------

    def ensure_schema(self) -> None:
        self._index()

    def _index(self) -> Any:
        if self._ix is not None:
            return self._ix
        with self._open_lock:
            if self._ix is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                if not index.exists_in(str(self.directory), indexname=INDEX_NAME):
                    self._create()
                self._ix = index.open_dir(str(self.directory), indexname=INDEX_NAME)
        return self._ix

    def _create(self) -> None:
        """Create the index once, even when several processes start together."""
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(str(self.directory))
        lock = storage.lock(f"{INDEX_NAME}_CREATE")
        deadline = time.monotonic() + self.lock_timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError("timed out creating the search index")
            time.sleep(0.02)
        try:
            if not index.exists_in(str(self.directory), indexname=INDEX_NAME):
                index.create_in(str(self.directory), make_schema(), indexname=INDEX_NAME)
        finally:
            lock.release()

    def close(self) -> None:
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None:
            searcher.close()
            self._local.searcher = None
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    @contextmanager
    def writer(self, rebuild: bool = False) -> Iterator[IndexWriter]:
        ix = self._index()
        options: dict[str, Any] = {"timeout": self.lock_timeout, "delay": 0.02, "limitmb": self.limitmb}
        if rebuild and self.procs > 1:
            options.update(procs=self.procs, multisegment=True)
        writer = ix.writer(**options)
        try:
            yield _Writer(writer, rebuild)
        except BaseException:
            writer.cancel()
            raise
        if rebuild:
            writer.commit(mergetype=CLEAR)
        else:
            writer.commit()

    def _searcher(self) -> Any:
        """This thread's searcher, reopened only when the index has a new generation.

        Not ``Searcher.refresh()``: whoosh-reloaded 2.7.5 reuses segment readers there
        and misses deletions made since (an updated document would match its old text).
        """
        ix = self._index()
        searcher = getattr(self._local, "searcher", None)
        if searcher is not None and ix.latest_generation() != searcher.reader().generation():
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = ix.searcher()
            self._local.searcher = searcher
        return searcher

    # --- querying ----------------------------------------------------------------------

    def _tokens(self, words: list[str]) -> list[str]:
        return [t.text for word in words for t in self._analyzer(word, mode="query")]

    def _content_query(self, parsed: ParsedQuery) -> Query | None:
        parts: list[Query] = [Term("content", token) for token in dict.fromkeys(self._tokens(parsed.words))]
        for phrase in parsed.phrases:
            tokens = self._tokens(phrase)
            if len(tokens) > 1:
                parts.append(Phrase("content", tokens))
            elif tokens:
                parts.append(Term("content", tokens[0]))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return Or(parts) if parsed.match_any else And(parts)

    def _allowed(self, searcher: Any, principals: list[str]) -> Any:
        """Document numbers readable with ``principals``, cached per searcher generation.

        Building the set walks the principals' postings once; reusing it makes the
        permission check a set lookup per matching document.
        """
        cache = getattr(self._local, "allowed", None)
        if cache is None or cache[0] is not searcher:
            cache = (searcher, {})
            self._local.allowed = cache
        key = tuple(principals)
        allowed = cache[1].get(key)
        if allowed is None:
            if len(cache[1]) >= ALLOWED_CACHE_SIZE:
                cache[1].clear()
            allowed = set(searcher.docs_for_query(Or([Term("principals", p) for p in principals])))
            cache[1][key] = allowed
        return allowed

    def _restriction(self, principals: list[str], filters: Filters) -> Query | None:
        parts: list[Query] = []
        if filters.kinds:
            parts.append(Or([Term("kind", k) for k in filters.kinds]))
        if filters.category_id is not None:
            parts.append(Term("category", str(filters.category_id)))
        if filters.organization_id is not None:
            parts.append(Term("organization", str(filters.organization_id)))
        if filters.author_id is not None:
            parts.append(Term("author", str(filters.author_id)))
        if filters.tag:
            parts.append(Term("tag", filters.tag.lower()))
        if filters.date_from or filters.date_to:
            parts.append(DateRange("created", filters.date_from, filters.date_to, endexcl=True))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    def search(
        self,
        query: ParsedQuery,
        principals: list[str],
        filters: Filters,
        page: int,
        per_page: int,
        order: str,
    ) -> SearchResult:
        content = self._content_query(query)
        if content is None and not query.empty:
            return SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page)
        restriction = self._restriction(principals, filters)
        if content is None:
            final = Every() if restriction is None else And([Every(), restriction])
        else:
            final = content if restriction is None else Require(content, restriction)
        groupedby = {
            "kind": sorting.FieldFacet("kind", maptype=sorting.Count),
            "category": sorting.FieldFacet("category", maptype=sorting.Count),
            "organization": sorting.FieldFacet("organization", maptype=sorting.Count),
        }
        searcher = self._searcher()
        if filters.tag or (filters.kinds and set(filters.kinds) <= {"question", "answer"}):
            # Multi-valued facets cost a pass over every document in Whoosh: only
            # count tags where they matter (Q&A searches), not for every query.
            groupedby["tag"] = sorting.FieldFacet("tag", allow_overlap=True, maptype=sorting.Count)
        allowed = self._allowed(searcher, principals)
        if not allowed:
            # Whoosh treats an empty filter as "no filter": never pass one.
            return SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page)
        kwargs: dict[str, Any] = {"groupedby": groupedby, "terms": False, "filter": allowed}
        if order == "date" or content is None:
            kwargs["sortedby"] = sorting.FieldFacet("created", reverse=True)
        results = searcher.search_page(final, page, pagelen=per_page, **kwargs)
        inner = results.results
        facets = {
            name: {str(k): int(v) for k, v in inner.groups(name).items() if k} if name in groupedby else {}
            for name in FACET_FIELDS
        }
        terms = set(self._tokens(query.words + [w for p in query.phrases for w in p]))
        hits = [self._hit(hit, terms) for hit in results]
        return SearchResult(hits=hits, total=results.total, facets=facets, page=page, per_page=per_page)

    def _hit(self, hit: Any, terms: set[str]) -> Hit:
        fields = hit.fields()
        body = fields.get("body") or ""
        snippet = ""
        if terms and body:
            snippet = highlight.highlight(
                body,
                terms,
                self._analyzer,
                highlight.ContextFragmenter(maxchars=240, surround=80),
                EscapingFormatter(),
                top=2,
            )
        created = fields.get("created")
        return Hit(
            key=fields["key"],
            kind=fields.get("kind", ""),
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            snippet=snippet or plain_snippet(body),
            created_at=created if isinstance(created, datetime) else None,
            score=float(hit.score or 0.0),
            meta=hit_meta(fields.get("meta")),
        )

    def counts(self) -> dict[str, int]:
        searcher = self._searcher()
        counts: dict[str, int] = {}
        results = searcher.search(
            Every(), limit=1, groupedby={"kind": sorting.FieldFacet("kind")}, maptype=sorting.Count
        )
        for kind, count in results.groups("kind").items():
            counts[str(kind)] = int(count)
        return counts
