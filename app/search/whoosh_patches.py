"""Patches to whoosh-reloaded 2.7.5's readers, installed on import.

Each keeps Whoosh's contract and is checked against the original in
tests/search/test_whoosh_patch.py; together they are why the Whoosh backend is fast
enough: a binary search inside posting blocks, a cache of decoded posting blocks
(used by phrase queries and Whoosh's own matchers), and field lengths read once per
segment while writing one (the rebuild).
"""

from __future__ import annotations

import weakref
from bisect import bisect_left
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader
from whoosh.matching import ReadTooFar
from whoosh.util.numeric import byte_to_length

from app.search.whoosh_docsets import numeric_column


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


_NO_COLUMN = b""
_original_doc_field_length = W3PerDocReader.doc_field_length


def _whole_column_doc_field_length(
    self: W3PerDocReader, docnum: int, fieldname: str, default: Any = 0
) -> Any:
    """``W3PerDocReader.doc_field_length`` reading the segment's lengths column once.

    Writing a segment asks for a document's field length once per posting (for the
    blocks' min/max lengths). The original checks for the column file with an
    ``os.stat`` on every call for fields without lengths (ids, keywords, dates), and
    reads the file on every call for the others: about a sixth of a rebuild's CPU.
    A segment's lengths never change once written. Same contract, including the
    ``None`` for a zero length (tests/search/test_whoosh_patch.py compares them).
    """
    if docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
    cache = self.__dict__.setdefault("_guildhall_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        column = self._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        count = self._doccount
        lengths = cache[fieldname] = _NO_COLUMN if column is None else bytes(numeric_column(column, count))
    if lengths is _NO_COLUMN:
        return default
    lbyte = lengths[docnum] if docnum < len(lengths) else 0
    if lbyte:
        return byte_to_length(lbyte)
    return None


_original_skip_to = W3LeafMatcher.skip_to
W3LeafMatcher.skip_to = _bisect_skip_to
W3LeafMatcher._read_data = _cached_read_data
W3LeafMatcher._read_ids = _cached_read_ids
W3PerDocReader.doc_field_length = _whole_column_doc_field_length
