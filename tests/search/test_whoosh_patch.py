"""The Whoosh reader patches in ``whoosh_patches`` keep Whoosh's contract."""

from __future__ import annotations

import random

import pytest
from whoosh.codec.whoosh3 import W3LeafMatcher, W3PerDocReader
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.query import And, Term

from app.search import whoosh_patches


@pytest.fixture(scope="module")
def searcher():
    schema = Schema(key=ID(stored=True), content=TEXT)
    ix = RamStorage().create_index(schema)
    writer = ix.writer()
    for n in range(3000):  # "common" spans many posting blocks, "rare" a few
        words = ["common"] + (["rare"] if n % 37 == 0 else []) + (["odd"] if n % 2 else [])
        writer.add_document(key=str(n), content=" ".join(words))
    writer.commit()
    with ix.searcher() as opened:
        yield opened


def _walk(matcher, targets: list[int], skip_to) -> list[int]:
    seen = []
    for target in targets:
        if not matcher.is_active():
            break
        skip_to(matcher, target)
        if matcher.is_active():
            seen.append(matcher.id())
    return seen


def test_bisect_skip_to_lands_where_whoosh_would(searcher):
    rng = random.Random(5)
    targets = sorted(rng.sample(range(3100), 400))
    patched = _walk(searcher.postings("content", "common"), targets, whoosh_patches._bisect_skip_to)
    whoosh_patches._BLOCKS.clear()
    original = _walk(searcher.postings("content", "common"), targets, whoosh_patches._original_skip_to)
    assert patched == original
    assert patched and patched[-1] <= 2999


def test_patched_reader_is_installed_and_queries_match_a_brute_force_count(searcher):
    assert W3LeafMatcher.skip_to is whoosh_patches._bisect_skip_to
    assert W3LeafMatcher._read_data is whoosh_patches._cached_read_data
    for _ in range(2):  # the second run reads blocks from the cache
        docs = sorted(searcher.docs_for_query(And([Term("content", "rare"), Term("content", "odd")])))
        expected = [n for n in range(3000) if n % 37 == 0 and n % 2]
        assert [int(searcher.stored_fields(d)["key"]) for d in docs] == expected


def test_whole_column_field_lengths_match_whoosh(tmp_path):
    from whoosh import index

    schema = Schema(key=ID(stored=True), content=TEXT)
    ix = index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    for n in range(300):
        writer.add_document(key=str(n), content=" ".join(["word"] * (n % 40)))  # some empty
    writer.commit()
    with ix.searcher() as opened:
        perdoc = opened.reader()._perdoc
        assert W3PerDocReader.doc_field_length is whoosh_patches._whole_column_doc_field_length
        for field in ("content", "key", "missing"):
            for docnum in range(301):
                patched = whoosh_patches._whole_column_doc_field_length(perdoc, docnum, field, 7)
                assert patched == whoosh_patches._original_doc_field_length(perdoc, docnum, field, 7)
        with pytest.raises(IndexError):
            whoosh_patches._whole_column_doc_field_length(perdoc, 302, "content")
