"""Whoosh backend: a file index under ``instance/search/``, one writer at a time.

Tuning that makes it fast enough (see bench/search.py and bench/SEARCH.md):
- one searcher per thread, kept open and reopened only when the index generation
  changed (a directory listing per query) instead of opening the index per query;
- queries are answered with document-number sets, not Whoosh's collectors
  (:mod:`app.search.whoosh_docsets`): matching, the permission filter (a cached set
  per principal set), exact totals and facets are set operations, and only the
  matches are scored (Whoosh's BM25F, same ranking);
- patches to Whoosh's readers (:mod:`app.search.whoosh_patches`) make decoding
  postings and writing segments cheaper;
- snippets come from :mod:`app.search.highlighting` over the first
  ``SNIPPET_SOURCE_CHARS`` characters of the body;
- only what queries read is indexed (:func:`make_schema`); full rebuilds use a large
  ``limitmb``, ``SEARCH_WRITER_PROCS`` writer processes and a ``CLEAR`` merge.

Several processes writing at once: the writer waits for Whoosh's file lock
(``timeout``) and the caller retries on :class:`whoosh.index.LockError`; the indexer
keeps the work in ``search_pending`` until a write succeeds, so nothing is lost.

A writer killed mid-way (``kill -9`` of ``flask search reindex``) leaves its files
behind: a ``guildhall.tmp`` folder of sorted runs, the new segment's files, perhaps a
half-written table of contents. Whoosh removes none of them until some later commit,
and a large rebuild leaves hundreds of megabytes. Opening the index, and starting a
rebuild, remove them (:meth:`WhooshBackend.remove_stale_files`).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import index, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.query import Every, Phrase
from whoosh.util.times import datetime_to_long
from whoosh.writing import CLEAR

from app.search import whoosh_patches  # noqa: F401 - installs the reader patches
from app.search.backend import FACET_FIELDS, IndexWriter, SearchBackend, hit_meta, plain_snippet
from app.search.documents import Document
from app.search.highlighting import snippet_html
from app.search.querying import Filters, Hit, ParsedQuery, SearchResult
from app.search.whoosh_docsets import IndexView, count_tags, count_values, date_bounds, top_indexes

log = logging.getLogger("guildhall.search")
SNIPPET_SOURCE_CHARS = 4000
INDEX_NAME = "guildhall"
# A generation's table of contents: _<index name>_<generation>.toc.
_TOC_NAME = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc$")
# A table of contents being written (renamed to its final name when complete).
_TOC_TEMP_NAME = re.compile(rf"^_{INDEX_NAME}_[0-9]+\.toc\.[0-9.]+$")
# Opening the index retries when another process's commit removed the generation
# being read; each retry sees a newer one.
OPEN_ATTEMPTS = 5
STEM_CACHE_SIZE = 50_000


def content_analyzer(cachesize: int | None = STEM_CACHE_SIZE) -> Any:
    """The analyzer of the ``content`` field (tokenize, lowercase, stop words, stem).

    ``cachesize``: Whoosh's own stem cache, which speeds up a rebuild (one writer per
    process) but is not thread-safe: once full, two threads evicting at once raise
    ``RuntimeError: dictionary changed size during iteration`` or ``KeyError``. The
    backend analyses query words and snippet words in every request thread, so its
    analyzer has none (``None``); it keeps its own stems in a plain dict instead.
    """
    return StemmingAnalyzer(cachesize=cachesize)


def make_schema() -> Schema:
    """The schema of a new index.

    Only what queries read is indexed: ``created`` is a column (date order, date
    filters) with the datetime stored as ``created_at``, and ``kind``, ``category``,
    ``organization`` are plain terms (facets are counted from their postings, see
    ``whoosh_docsets``). Indexing ``created`` as a ``DATETIME`` added nine terms per
    document, and the sortable columns a column write per field: together about a
    fifth of a rebuild's CPU. Indexes created with the previous schema (``created`` a
    ``DATETIME``, sortable facet columns) keep working: see :func:`_fields`.
    """
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True),
        content=TEXT(analyzer=content_analyzer(), phrase=True),
        title=STORED,
        body=STORED,
        url=STORED,
        meta=STORED,
        principals=KEYWORD(scorable=False),
        category=ID,
        organization=ID,
        author=ID,
        tag=KEYWORD(commas=True, lowercase=True, scorable=False, sortable=False),
        created=COLUMN(NumericColumn("q", default=0)),
        created_at=STORED,
    )


def _fields(doc: Document, schema: Schema) -> dict[str, Any]:
    """Whoosh fields for ``doc`` in the open index's ``schema`` (current or previous)."""
    fields: dict[str, Any] = {
        "key": doc.key,
        "kind": doc.kind,
        "content": f"{doc.title}\n{doc.body}" if doc.index_title else doc.body,
        "title": doc.title,
        "body": doc.body[:SNIPPET_SOURCE_CHARS],
        "url": doc.url,
        "meta": doc.meta,
        "principals": " ".join(doc.principals),
    }
    if "created_at" in schema:
        fields["created"] = datetime_to_long(doc.created_at)
        fields["created_at"] = doc.created_at
    else:  # an index created before the schema above: created is a DATETIME
        fields["created"] = doc.created_at
    if doc.category_id is not None:
        fields["category"] = str(doc.category_id)
    if doc.organization_id is not None:
        fields["organization"] = str(doc.organization_id)
    if doc.author_id is not None:
        fields["author"] = str(doc.author_id)
    if doc.tags:
        fields["tag"] = ",".join(t.replace(",", " ") for t in doc.tags)
    return fields


class _Writer(IndexWriter):
    """Collects one change per key and hands them to Whoosh at ``flush``.

    Whoosh's ``update_document`` deletes the key's documents from committed segments
    only, not one added earlier by the same writer: a drain batch naming a document
    twice (``topic:7`` and its first post ``post:12``; a reply queued twice) left
    two copies of it in the index, and ``flask search check`` counted them. So the
    last change per key wins and each key is written once.
    """

    def __init__(self, writer: Any, rebuild: bool) -> None:
        self._writer = writer
        self._rebuild = rebuild
        self._schema = writer.schema
        self._changes: dict[str, Document | None] = {}

    def upsert(self, doc: Document) -> None:
        if self._rebuild:
            self._writer.add_document(**_fields(doc, self._schema))
        else:
            self._changes[doc.key] = doc

    def delete(self, key: str) -> None:
        if not self._rebuild:
            self._changes[key] = None

    def flush(self) -> None:
        for key, doc in self._changes.items():
            if doc is None:
                self._writer.delete_by_term("key", key)
            else:
                self._writer.update_document(**_fields(doc, self._schema))
        self._changes.clear()


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
        self._analyzer = content_analyzer(cachesize=None)  # shared by request threads
        self._stems: dict[str, str] = {}

    # --- index lifecycle -------------------------------------------------------------

    def ensure_schema(self) -> None:
        self._index()

    def _index(self) -> Any:
        if self._ix is not None:
            return self._ix
        with self._open_lock:
            if self._ix is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                if not self._exists():
                    self._create()
                ix = self._open()
                self.remove_stale_files(ix)
                self._ix = ix
        return self._ix

    def remove_stale_files(self, ix: Any = None) -> list[str]:
        """Remove what a killed writer left in the folder; the names removed.

        Only while holding the index's write lock, taken without waiting: then no
        writer is running anywhere, so every temporary file is stale. When another
        process is writing, nothing is removed (that writer's commit, or the next
        open, cleans up). Segment files the current generation does not list, and
        older tables of contents, go the way Whoosh's own commit removes them
        (``whoosh.index.clean_files``); temporary folders and unfinished tables of
        contents, which Whoosh never removes, go here.
        """
        ix = ix or self._index()
        lock = ix.lock("WRITELOCK")
        if not lock.acquire(blocking=False):
            return []
        try:
            before = {path.name for path in self.directory.iterdir()}
            toc = index.TOC.read(ix.storage, INDEX_NAME)
            index.clean_files(ix.storage, INDEX_NAME, toc.generation, toc.segments)
            for path in self.directory.iterdir():
                if path.is_dir() and path.name.endswith(".tmp"):
                    shutil.rmtree(path, ignore_errors=True)
                elif _TOC_TEMP_NAME.match(path.name):
                    path.unlink(missing_ok=True)
            removed = sorted(before - {path.name for path in self.directory.iterdir()})
        finally:
            lock.release()
        if removed:
            log.warning("search: removed %d file(s) a killed index writer left behind", len(removed))
        return removed

    def _exists(self) -> bool:
        """Whether the folder holds the index, from its file names alone.

        Whoosh's ``index.exists_in`` opens the newest table of contents, and another
        process committing at that moment deletes it between Whoosh's listing and its
        open: the check itself failed with ``FileNotFoundError``.
        """
        return any(_TOC_NAME.match(path.name) for path in self.directory.iterdir())

    def _open(self) -> Any:
        """Open the newest generation, looking again if a commit elsewhere removed it
        between Whoosh's listing of the folder and its read (``FileNotFoundError``)."""
        for _ in range(OPEN_ATTEMPTS - 1):
            try:
                return index.open_dir(str(self.directory), indexname=INDEX_NAME)
            except FileNotFoundError:
                time.sleep(0.01)
        return index.open_dir(str(self.directory), indexname=INDEX_NAME)

    def _create(self) -> None:
        """Create the index once, even when several processes start together."""
        # Only to open an index in a given folder.
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(str(self.directory))
        lock = storage.lock(f"{INDEX_NAME}_CREATE")
        deadline = time.monotonic() + self.lock_timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError("timed out creating the search index")
            time.sleep(0.02)
        try:
            if not self._exists():
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
        if rebuild:
            self.remove_stale_files(ix)
        options: dict[str, Any] = {"timeout": self.lock_timeout, "delay": 0.02, "limitmb": self.limitmb}
        if rebuild and self.procs > 1:
            options.update(procs=self.procs, multisegment=True)
        writer = ix.writer(**options)
        try:
            changes = _Writer(writer, rebuild)
            yield changes
            changes.flush()
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

    def _stem(self, word: str) -> str:
        """The index form of one body token (``""`` for a stop word), cached."""
        stem = self._stems.get(word)
        if stem is None:
            tokens = [t.text for t in self._analyzer(word, mode="query")]
            stem = tokens[0] if len(tokens) == 1 else ""
            if len(self._stems) >= STEM_CACHE_SIZE:
                self._stems.clear()
            self._stems[word] = stem
        return stem

    def _tokens(self, words: list[str]) -> list[str]:
        return [t.text for word in words for t in self._analyzer(word, mode="query")]

    def _view(self) -> IndexView:
        """This thread's decoded view of its current searcher (see ``whoosh_docsets``)."""
        searcher = self._searcher()
        view = getattr(self._local, "view", None)
        if view is None or view.searcher is not searcher:
            view = self._local.view = IndexView(searcher, str(self.directory.resolve()))
        return view

    def _restriction(self, view: IndexView, filters: Filters) -> list[frozenset[int] | set[int]]:
        """The filters as document sets, each to be intersected with the matches."""
        parts: list[frozenset[int] | set[int]] = []
        if filters.kinds:
            kinds = [view.docs("kind", k) for k in filters.kinds]
            parts.append(kinds[0] if len(kinds) == 1 else set().union(*kinds))
        for field, value in (
            ("category", filters.category_id),
            ("organization", filters.organization_id),
            ("author", filters.author_id),
        ):
            if value is not None:
                parts.append(view.docs(field, str(value)))
        if filters.tag:
            parts.append(view.docs("tag", filters.tag.lower()))
        return parts

    def _content(self, view: IndexView, query: ParsedQuery) -> tuple[list[Any], list[str]] | None:
        """The content parts as document sets, and the distinct terms that score them.

        ``None`` when the query's words analyse to nothing (e.g. only stop words).
        """
        tokens = list(dict.fromkeys(self._tokens(query.words)))
        parts: list[Any] = [view.weights(token).keys() for token in tokens]
        scoring = list(tokens)
        for phrase in query.phrases:
            words = self._tokens(phrase)
            if len(words) > 1:
                searcher = view.searcher
                parts.append(set(searcher.docs_for_query(Phrase("content", words))))
            elif words:
                parts.append(view.weights(words[0]).keys())
            scoring.extend(w for w in words if w not in scoring)
        if not parts:
            return None
        return parts, scoring

    def search(
        self,
        query: ParsedQuery,
        principals: list[str],
        filters: Filters,
        page: int,
        per_page: int,
        order: str,
    ) -> SearchResult:
        empty = SearchResult(hits=[], total=0, facets={}, page=page, per_page=per_page)
        view = self._view()
        content = None if query.empty else self._content(view, query)
        if content is None and not query.empty:
            return empty
        allowed = view.allowed(principals)
        if not allowed:
            return empty
        sets: list[Any] = [allowed, *self._restriction(view, filters)]
        if content is not None and query.match_any:
            sets.append(set().union(*content[0]))
        elif content is not None:
            sets.extend(content[0])
        sets.sort(key=len)
        matched = set(sets[0])
        for other in sets[1:]:
            matched = matched & other  # C-level: iterates the smaller side
            if not matched:
                break
        if matched and (filters.date_from or filters.date_to):
            low, high = date_bounds(filters.date_from, filters.date_to)
            created = view.created()
            matched = {d for d in matched if low <= created[d] < high}
        docs = sorted(matched)  # ascending: ties rank the lower document number first
        facets: dict[str, dict[str, int]] = {name: {} for name in FACET_FIELDS}
        for name in ("kind", "category", "organization"):
            facets[name] = count_values(view.column(name), docs)
        if filters.tag or (filters.kinds and set(filters.kinds) <= {"question", "answer"}):
            # Only Q&A documents carry tags: count them where they matter.
            facets["tag"] = count_tags(view.tags(), docs)
        limit = page * per_page
        if order == "date" or content is None:
            keys: list[float] | list[int] = list(map(view.created().__getitem__, docs))
            scores = None
        else:
            keys = scores = view.scores(docs, content[1])
        best = top_indexes(keys, limit)[(page - 1) * per_page :]
        terms = set(self._tokens(query.words + [w for p in query.phrases for w in p]))
        searcher = view.searcher
        hits = [self._hit(searcher.stored_fields(docs[i]), scores[i] if scores else 0.0, terms) for i in best]
        return SearchResult(hits=hits, total=len(docs), facets=facets, page=page, per_page=per_page)

    def _hit(self, fields: dict[str, Any], score: float, terms: set[str]) -> Hit:
        body = fields.get("body") or ""
        snippet = snippet_html(body, terms, self._stem) if terms and body else ""
        created = fields.get("created_at", fields.get("created"))
        return Hit(
            key=fields["key"],
            kind=fields.get("kind", ""),
            title=fields.get("title", ""),
            url=fields.get("url", ""),
            snippet=snippet or plain_snippet(body),
            created_at=created if isinstance(created, datetime) else None,
            score=float(score),
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
