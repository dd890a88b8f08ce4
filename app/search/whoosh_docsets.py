"""Whoosh queries answered with sets of document numbers instead of matchers.

Why: Whoosh's collectors walk every matching document through Python matcher objects,
scorers and facet categorizers (~65 µs per match on the 100k benchmark, and a column
reader rebuilt per facet per query). Here each term's posting list is decoded once
(whole blocks) and held per searcher as a set (filter fields) or a ``{docnum: term
frequency}`` dict (the ``content`` field), so matching, permission filtering, exact totals and facet counts
are C-level set operations, and the only Python loop per match is one BM25 sum.

Scores are Whoosh's own BM25F (``B=0.75``, ``K1=1.2``, the searcher's idf and average
field length, the same byte-encoded field lengths), so rankings equal Whoosh's,
ties broken by lower document number as Whoosh's top collector does; the tests check
hits, order, totals and facets against Whoosh's collector. Phrases are matched by
Whoosh (positions are needed) and scored as the sum of their words.

Deleted documents are removed in exactly one place, :meth:`IndexView.allowed`; every
result is intersected with an allowed set, so the per-term sets may include them.

An :class:`IndexView` belongs to one searcher, i.e. one index generation, and one
thread (the backend keeps one searcher per thread), so it needs no lock. Below it,
:data:`SEGMENTS` keeps each segment's decoded postings, facet values and lengths for
every thread and generation, so a write only costs decoding the new segment.
"""

from __future__ import annotations

import heapq
import sys
import threading
import zlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import accumulate, chain, repeat
from operator import add
from pickle import loads
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length
from whoosh.util.times import datetime_to_long

CONTENT = "content"
# Filter terms (principals, kinds, categories, …) per searcher, bounded by their total
# size like the content terms below ("public" alone can hold most documents).
DOCSET_CACHE_POSTINGS = 1_500_000
# Content terms per searcher as ready ``{docnum: tf}`` dicts (~80 bytes a posting), for
# the hottest terms; the others are rebuilt from the segment cache below, about ten
# times faster than by decoding their posting blocks again.
WEIGHTS_CACHE_POSTINGS = 400_000
ALLOWED_CACHE_SIZE = 64
# Decoded postings and columns per segment, packed (4–8 bytes a posting: the whole
# 100k-post corpus is ~30 MB), shared by every thread and every index generation.
SEGMENT_CACHE_ITEMS = 8_000_000


class SegmentCache:
    """Decoded data of index segments, shared by all threads and index generations.

    Why: a segment never changes once written (deletions are applied per generation,
    in :meth:`IndexView.allowed`), and each write to the index makes a new generation
    whose searcher shares every older segment. Without this, the first query of each
    thread after a write decoded the principals, facet terms and columns of the whole
    index again. LRU, bounded by the number of values held; values are never mutated.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple, build: Callable[[], tuple[Any, int]]) -> Any:
        """The cached value for ``key``, or ``build()``'s ``(value, size)`` stored."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]
        value, size = build()  # outside the lock: two threads may build the same value
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._size -= previous[1]
            self._items[key] = (value, size)
            self._size += size
            while self._size > self.limit and len(self._items) > 1:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


SEGMENTS = SegmentCache(SEGMENT_CACHE_ITEMS)


class _TermCache:
    """One index view's decoded terms (a set or a dict per term), least recently used
    dropped once they hold more than ``budget()`` postings. Read per insert, so the
    module's limits can be changed at run time. One view per thread: no lock."""

    def __init__(self, budget: Callable[[], int]) -> None:
        self._budget = budget
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._postings = 0

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()
        self._postings = 0

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            return cached
        value = self._items[key] = build()
        self._postings += len(value)
        while self._postings > self._budget() and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self._postings -= len(dropped)
        return value


def _leaf_postings(reader: Any, segment: tuple, field: str, text: str, weights: bool) -> tuple[array, array]:
    """A segment's posting list for one term: local document numbers (and weights).

    ``segment`` identifies the segment in :data:`SEGMENTS`: (index folder, segment id).
    """

    def build() -> tuple[tuple[array, array], int]:
        ids, found = _decode_postings(reader, field, text, weights)
        return (array("I", ids), array("f", found)), len(ids)

    return SEGMENTS.get((*segment, "postings", field, text, weights), build)


def _decode_postings(reader: Any, field: str, text: str, weights: bool) -> tuple[list[int], list[float]]:
    """Decode a segment's posting list, whole blocks at a time (not one document at a
    time through a matcher)."""
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return [], []
    if isinstance(matcher, FilterMatcher):
        # The segment has deletions; they are removed by the allowed set instead.
        # The wrapper may already have skipped deleted ids: whole blocks are read.
        matcher = matcher.child
    ids: list[int] = []
    found: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            _read_block(matcher, ids, found if weights else None)
            matcher._next_block()
    else:  # inlined postings of a rare term (a ListMatcher)
        while matcher.is_active():
            ids.append(matcher.id())
            if weights:
                found.append(matcher.weight())
            matcher.next()
    return ids, found


def _read_block(matcher: W3LeafMatcher, ids: list[int], weights: list[float] | None) -> None:
    """Append the current posting block's ids (and weights) to the lists.

    Whoosh's ``_read_data`` / ``_read_ids`` / ``_read_weights`` in one pass, with the
    delta-decoding in C (``accumulate``) instead of a generator. It bypasses the block
    cache in ``whoosh_patches``: :data:`SEGMENTS` keeps what is read here, so caching
    the blocks as well would only hold the same postings twice.
    """
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    if matcher._compression:
        data = zlib.decompress(data)
    block_ids, block_weights = loads(data)[:2]  # noqa: S301 - the index's own blocks, as Whoosh reads them
    ids.extend(block_ids if matcher._byteids else accumulate(block_ids))
    if weights is not None:
        if block_weights is None:
            weights.extend(repeat(1.0, matcher._blocklength))
        elif isinstance(block_weights, float):
            weights.extend(repeat(block_weights, matcher._blocklength))
        else:
            weights.extend(block_weights)


class IndexView:
    """Decoded sets, columns and statistics of one searcher (one index generation)."""

    def __init__(self, searcher: Any, index_key: str) -> None:
        """``index_key`` names the index (its folder): segment ids are only unique in one."""
        self.searcher = searcher
        if searcher.subsearchers:
            leaves = [(sub.reader(), offset) for sub, offset in searcher.subsearchers]
        else:
            leaves = [(searcher.reader(), 0)]
        # Segments holding no document (an empty index's reader) add nothing.
        self.leaves = [(reader, offset) for reader, offset in leaves if reader.doc_count_all()]
        # A segment's id is random and unique within its index; the folder names the index.
        self._segments = {id(reader): (index_key, reader.segment().segment_id()) for reader, _ in self.leaves}
        self.size = searcher.doc_count_all()
        self._docsets = _TermCache(lambda: DOCSET_CACHE_POSTINGS)
        self._weights = _TermCache(lambda: WEIGHTS_CACHE_POSTINGS)
        self._allowed: dict[tuple[str, ...], frozenset[int]] = {}
        self._columns: dict[str, list] = {}
        self._lengths: bytes | None = None
        self._norms: list[float] | None = None
        self._tags: dict[int, list[str]] | None = None
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F) or weighting._field_B:
            raise TypeError("IndexView scores with BM25F defaults only")
        self.B, self.K1 = weighting.B, weighting.K1

    # --- postings ------------------------------------------------------------------------

    def _postings(self, field: str, text: str, weights: bool) -> tuple[list[int], list[float]]:
        ids: list[int] = []
        found: list[float] = []
        for reader, offset in self.leaves:
            local, local_weights = _leaf_postings(reader, self._segments[id(reader)], field, text, weights)
            ids.extend(map(offset.__add__, local) if offset else local)
            found.extend(local_weights)
        return ids, found

    def docs(self, field: str, text: str) -> frozenset[int]:
        """Document numbers holding ``text`` in ``field`` (deleted ones included)."""
        return self._docsets.get(
            (field, text), lambda: frozenset(self._postings(field, text, weights=False)[0])
        )

    def weights(self, text: str) -> dict[int, float]:
        """``{docnum: term frequency}`` of a ``content`` term (deleted ones included)."""

        def build() -> dict[int, float]:
            ids, found = self._postings(CONTENT, text, weights=True)
            return dict(zip(ids, found, strict=True))

        return self._weights.get(text, build)

    def allowed(self, principals: Iterable[str]) -> frozenset[int]:
        """Live documents readable with ``principals``: the permission filter.

        The only place deleted documents are removed; cached per principal set.
        """
        key = tuple(principals)
        allowed = self._allowed.get(key)
        if allowed is None:
            readable: set[int] = set()
            for principal in key:
                readable |= self.docs("principals", principal)
            for reader, offset in self.leaves:
                if reader.has_deletions():
                    readable.difference_update(offset + d for d in reader.deleted_docs_set)
            if len(self._allowed) >= ALLOWED_CACHE_SIZE:
                self._allowed.clear()
            allowed = self._allowed[key] = frozenset(readable)
        return allowed

    # --- per-document values ---------------------------------------------------------------

    def column(self, field: str) -> list[str | None]:
        """The value of a single-valued ID field per document number, from its terms."""
        column = self._columns.get(field)
        if column is None:
            fieldobj = self.searcher.schema[field]

            def build(reader: Any) -> tuple[list[str | None], int]:
                values: list[str | None] = [None] * reader.doc_count_all()
                for btext in reader.lexicon(field):
                    text = fieldobj.from_bytes(btext)
                    local, _ = _leaf_postings(reader, self._segments[id(reader)], field, text, weights=False)
                    list(map(values.__setitem__, local, repeat(text)))
                return values, len(values)

            column = self._concatenate(("column", field), build)
            self._columns[field] = column
        return column

    def _concatenate(self, name: tuple, build: Callable[[Any], tuple[Any, int]]) -> list:
        """A per-document list for the whole index: each segment's part, in order."""
        column: list = []
        for reader, offset in self.leaves:
            if offset != len(column):  # segments are numbered one after the other
                raise RuntimeError("unexpected segment offsets")
            column.extend(SEGMENTS.get((*self._segments[id(reader)], *name), lambda r=reader: build(r)))
        return column

    def tags(self) -> dict[int, list[str]]:
        """Tags per document number (a multi-valued field: only Q&A documents have any)."""
        if self._tags is None:
            tags: dict[int, list[str]] = {}
            fieldobj = self.searcher.schema["tag"]
            for reader, offset in self.leaves:
                for btext in reader.lexicon("tag"):
                    text = fieldobj.from_bytes(btext)
                    for docnum in _leaf_postings(
                        reader, self._segments[id(reader)], "tag", text, weights=False
                    )[0]:
                        tags.setdefault(docnum + offset, []).append(text)
            self._tags = tags
        return self._tags

    def created(self) -> list[int]:
        """The ``created`` column (Whoosh's sortable long) per document number."""
        column = self._columns.get("created")
        if column is None:

            def build(reader: Any) -> tuple[Iterable[int], int]:
                count = reader.doc_count_all()
                return numeric_column(reader.column_reader("created", translate=False), count), count

            column = self._columns["created"] = self._concatenate(("created",), build)
        return column

    def lengths(self) -> bytes:
        """The byte-encoded ``content`` length per document number (Whoosh's lengths column)."""
        if self._lengths is None:

            def build(reader: Any) -> tuple[bytes, int]:
                perdoc, name, count = reader._perdoc, f"_{CONTENT}_len", reader.doc_count_all()
                if not perdoc.has_column(name):
                    return bytes(count), count // 8
                return bytes(numeric_column(perdoc.column_reader(name, LENGTHS_COLUMN), count)), count // 8

            self._lengths = b"".join(
                SEGMENTS.get((*self._segments[id(reader)], "lengths"), lambda r=reader: build(r))
                for reader, _offset in self.leaves
            )
        return self._lengths

    # --- ranking ---------------------------------------------------------------------------

    def scores(self, docs: list[int], terms: list[str]) -> list[float]:
        """BM25F of ``docs`` for ``terms`` (a sum over terms), exactly as Whoosh scores.

        ``idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * length / avgfl)))``: the
        length part depends only on the length byte, so it is a 256-entry table.
        """
        searcher = self.searcher
        if self._norms is None:
            avgfl = searcher.avg_field_length(CONTENT) or 1
            B, K1 = self.B, self.K1
            self._norms = [K1 * ((1 - B) + B * byte_to_length(b) / avgfl) for b in range(256)]
        norms = self._norms
        lengths = self.lengths()
        length_parts = list(map(norms.__getitem__, map(lengths.__getitem__, docs)))
        k = self.K1 + 1
        total: list[float] | None = None
        for text in terms:
            idf = searcher.idf(CONTENT, text)
            weights = self.weights(text)
            tfs = map(weights.get, docs, repeat(0.0))
            part = [idf * ((tf * k) / (tf + n)) for tf, n in zip(tfs, length_parts, strict=True)]
            total = part if total is None else list(map(add, total, part))
        return total or [0.0] * len(docs)


def numeric_column(creader: Any, count: int) -> Iterable[int]:
    """All ``count`` values of a numeric column reader, read as one block when it can."""
    if isinstance(creader, NumericColumn.Reader) and not creader._reverse:
        fixed = creader._fixedlen
        stored = min(creader._count, count)
        values = array(creader._typecode, creader._dbfile.get(creader._basepos, stored * fixed))
        if fixed > 1 and sys.byteorder == "little":
            values.byteswap()  # columns are written big-endian ("!")
        values.extend(repeat(creader._default, count - stored))
        return values
    return [creader[docnum] for docnum in range(count)]


def top_indexes(keys: list[float] | list[int], limit: int) -> list[int]:
    """Indexes of the ``limit`` largest keys, largest first; ties keep index order."""
    return heapq.nlargest(limit, range(len(keys)), key=keys.__getitem__)


def date_bounds(date_from: datetime | None, date_to: datetime | None) -> tuple[int, int]:
    """``[from, to)`` as Whoosh's sortable longs for the ``created`` column."""
    low = datetime_to_long(date_from) if date_from else -(2**63)
    high = datetime_to_long(date_to) if date_to else 2**63
    return low, high


def count_values(column: list, docs: Iterable[int]) -> dict[str, int]:
    """Documents per value of a single-valued column; documents without one are left out."""
    counts = Counter(map(column.__getitem__, docs))
    counts.pop(None, None)
    counts.pop("", None)
    return dict(counts)


def count_tags(tags: dict[int, list[str]], docs: Iterable[int]) -> dict[str, int]:
    return dict(Counter(chain.from_iterable(map(tags.get, docs, repeat(())))))
