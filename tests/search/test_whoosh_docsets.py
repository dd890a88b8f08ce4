"""The set-based Whoosh query path answers exactly what Whoosh's own collectors would:
the same hits in the same order with the same BM25F scores, the same totals and facet
counts, over several segments with deletions, and never a document outside the
reader's principals."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from whoosh import index, sorting
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, DateRange, Every, Or, Phrase, Require, Term

from app.search.documents import Document
from app.search.highlighting import snippet_html
from app.search.querying import Filters, parse_user_query
from app.search.whoosh_backend import INDEX_NAME, WhooshBackend

WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]
PRINCIPALS = ["public", "members", "category:1", "category:2", "role:moderator", "council:7"]
KINDS = ["topic", "post", "question", "answer", "member"]
BASE = datetime(2024, 1, 1)


def _doc(rng: random.Random, n: int) -> Document:
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40)))
    return Document(
        key=f"doc:{n}",
        kind=rng.choice(KINDS),
        title=" ".join(rng.sample(WORDS, 2)),
        body=body,
        url=f"/d/{n}",
        principals=rng.sample(PRINCIPALS, rng.randint(1, 2)),
        created_at=BASE + timedelta(days=rng.randint(0, 400), seconds=n),
        category_id=rng.choice([1, 2, 3, None]),
        organization_id=rng.choice([10, 11, None]),
        author_id=rng.randint(1, 4),
        tags=rng.sample(["saml", "sso", "billing", "api"], rng.randint(0, 2)),
        index_title=rng.random() < 0.5,
    )


def previous_schema() -> Schema:
    """The schema indexes were created with before created became a column."""
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True, sortable=True),
        content=TEXT(analyzer=StemmingAnalyzer(), phrase=True),
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


@pytest.fixture(scope="module", params=["current", "previous"])
def backend(request, tmp_path_factory):
    """Three segments with deletions: a rebuild, then updates and deletes on top; in an
    index with the current schema and in one created with the previous schema."""
    rng = random.Random(11)
    directory = tmp_path_factory.mktemp("docsets")
    if request.param == "previous":
        index.create_in(str(directory), previous_schema(), indexname=INDEX_NAME)
    backend = WhooshBackend(directory, {})
    with backend.writer(rebuild=True) as writer:
        for n in range(400):
            writer.upsert(_doc(rng, n))
    for batch in range(2):
        with backend.writer() as writer:
            for n in rng.sample(range(400), 60):
                writer.upsert(_doc(rng, n))  # an update: deletes the old version
            for n in rng.sample(range(400), 10):
                writer.delete(f"doc:{n}")
            for n in range(400 + batch * 20, 420 + batch * 20):
                writer.upsert(_doc(rng, n))
    searcher = backend._searcher()
    assert len(searcher.reader().leaf_readers()) > 1 and searcher.reader().has_deletions()
    yield backend
    backend.close()


def _reference(backend, text, principals, filters, order="relevance", match="all", per_page=500):
    """The previous implementation: Whoosh's matchers and collectors."""
    parsed = parse_user_query(text)
    tokens = backend._tokens(parsed.words)
    parts = [Term("content", t) for t in dict.fromkeys(tokens)]
    parts += [Phrase("content", backend._tokens(p)) for p in parsed.phrases]
    content = (Or(parts) if match == "any" else And(parts)) if len(parts) > 1 else parts[0]
    restriction = []
    if filters.kinds:
        restriction.append(Or([Term("kind", k) for k in filters.kinds]))
    for field, value in (("category", filters.category_id), ("organization", filters.organization_id)):
        if value is not None:
            restriction.append(Term(field, str(value)))
    if filters.tag:
        restriction.append(Term("tag", filters.tag))
    query = Require(content, And(restriction)) if restriction else content
    searcher = backend._searcher()
    allowed = set(searcher.docs_for_query(Or([Term("principals", p) for p in principals])))
    if filters.date_from or filters.date_to:
        if "created_at" in searcher.schema:  # the current schema: created is a column only
            low, high = filters.date_from or datetime.min, filters.date_to or datetime.max
            allowed = {d for d in allowed if low <= searcher.stored_fields(d)["created_at"] < high}
        else:
            allowed &= set(
                searcher.docs_for_query(
                    DateRange("created", filters.date_from, filters.date_to, endexcl=True)
                )
            )
    groupedby = {
        name: sorting.FieldFacet(name, maptype=sorting.Count) for name in ("kind", "category", "organization")
    }
    groupedby["tag"] = sorting.FieldFacet("tag", allow_overlap=True, maptype=sorting.Count)
    kwargs = {"groupedby": groupedby, "filter": allowed, "limit": per_page}
    if order == "date":
        kwargs["sortedby"] = sorting.FieldFacet("created", reverse=True)
    results = searcher.search(query, **kwargs)
    facets = {name: {str(k): int(v) for k, v in results.groups(name).items() if k} for name in groupedby}
    return [(hit["key"], hit.score) for hit in results], len(results), facets


CASES = [
    ("alpha", {}),
    ("alpha bravo", {}),
    ("charlie delta echo", {}),
    ("golf hotel", {"kinds": ["topic", "post"]}),
    ("india", {"category_id": 2}),
    ("juliet kilo", {"organization_id": 10, "kinds": ["question", "answer"]}),
    ("lima alpha", {"tag": "saml"}),
    ("bravo", {"date_from": datetime(2024, 3, 1), "date_to": datetime(2024, 9, 1)}),
    ('"alpha bravo" charlie', {}),
    ("nosuchword alpha", {}),
]


@pytest.mark.parametrize("principals", [["public"], ["members", "public"], ["council:7"], PRINCIPALS])
@pytest.mark.parametrize(("text", "filters"), CASES)
def test_hits_order_scores_totals_and_facets_match_whoosh(backend, principals, text, filters):
    cleaned = Filters(**filters)
    expected_hits, expected_total, expected_facets = _reference(backend, text, principals, cleaned)
    result = backend.search(parse_user_query(text), principals, cleaned, 1, 500, "relevance")
    assert result.total == expected_total
    if '"' not in text:  # Whoosh scores phrases its own way; here they rank by their words
        assert [h.key for h in result.hits] == [key for key, _ in expected_hits]
        assert [h.score for h in result.hits] == pytest.approx([s for _, s in expected_hits], rel=1e-9)
    else:
        assert {h.key for h in result.hits} == {key for key, _ in expected_hits}
    assert result.facets["kind"] == expected_facets["kind"]
    assert result.facets["category"] == expected_facets["category"]
    assert result.facets["organization"] == expected_facets["organization"]
    if cleaned.tag:
        assert result.facets["tag"] == expected_facets["tag"]


@pytest.mark.parametrize("principals", [["public"], PRINCIPALS])
def test_any_word_matching_date_order_and_pages_match_whoosh(backend, principals):
    query = parse_user_query("alpha kilo lima")
    query.match_any = True
    expected, total, _ = _reference(backend, "alpha kilo lima", principals, Filters(), match="any")
    result = backend.search(query, principals, Filters(), 1, 500, "relevance")
    assert result.total == total
    assert [h.key for h in result.hits] == [key for key, _ in expected]
    dated, _, _ = _reference(backend, "echo", principals, Filters(), order="date")
    pages = [backend.search(parse_user_query("echo"), principals, Filters(), n, 7, "date") for n in (1, 2, 3)]
    assert [h.key for page in pages for h in page.hits] == [key for key, _ in dated][:21]


def test_private_deleted_and_replaced_documents_never_count(backend):
    searcher = backend._searcher()
    for principals in (["public"], ["council:7"]):
        result = backend.search(parse_user_query("alpha"), principals, Filters(), 1, 50, "relevance")
        readable = set(searcher.docs_for_query(Or([Term("principals", p) for p in principals])))
        every = set(searcher.docs_for_query(Term("content", "alpha")))
        assert result.total == len(every & readable)
        assert sum(result.facets["kind"].values()) == result.total
        for hit in result.hits:
            docnum = searcher.document_number(key=hit.key)
            assert docnum in readable and not searcher.reader().is_deleted(docnum)
    assert backend.search(parse_user_query("alpha"), ["nobody"], Filters(), 1, 50, "relevance").total == 0


def test_browsing_without_words_lists_the_filtered_documents_newest_first(backend):
    searcher = backend._searcher()
    result = backend.search(parse_user_query(""), ["public"], Filters(kinds=["member"]), 1, 500, "relevance")
    expected = searcher.search(
        And([Every(), Term("kind", "member")]),
        filter=set(searcher.docs_for_query(Term("principals", "public"))),
        sortedby=sorting.FieldFacet("created", reverse=True),
        limit=None,
    )
    assert [h.key for h in result.hits] == [hit["key"] for hit in expected]
    assert all(isinstance(h.created_at, datetime) for h in result.hits)


def test_snippets_mark_stemmed_words_and_escape_everything():
    stems = {"configuring": "configur", "configure": "configur", "sso": "sso", "<b>": ""}.get
    text = "<b>Bold</b> & co: we are configuring SSO. " + "filler " * 60 + "Configure it again & again"
    html = snippet_html(text, {"configur", "sso"}, lambda w: stems(w, w))
    assert "<mark>configuring</mark>" in html and "<mark>SSO</mark>" in html
    assert "<mark>Configure</mark>" in html and " … " in html
    assert "<b>" not in html and "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
    assert snippet_html("nothing to see", {"configur"}, lambda w: w) == ""


def test_terms_rebuilt_from_the_segment_cache_or_decoded_again_score_the_same(backend, monkeypatch):
    from app.search import whoosh_docsets

    query = parse_user_query("alpha bravo charlie")
    first = backend.search(query, PRINCIPALS, Filters(), 1, 500, "relevance")
    monkeypatch.setattr(whoosh_docsets, "WEIGHTS_CACHE_POSTINGS", 1)  # only one dict kept
    for clear_segments in (False, True, False):
        backend._view()._weights.clear()
        if clear_segments:
            whoosh_docsets.SEGMENTS.clear()
        again = backend.search(query, PRINCIPALS, Filters(), 1, 500, "relevance")
        assert [(h.key, h.score) for h in again.hits] == [(h.key, h.score) for h in first.hits]
        assert again.facets == first.facets and again.total == first.total
    assert len(backend._view()._weights) == 1


def test_a_new_generation_reuses_the_unchanged_segments(tmp_path, monkeypatch):
    from app.search import whoosh_docsets

    original_decode = whoosh_docsets._decode_postings

    backend = WhooshBackend(tmp_path, {})
    rng = random.Random(3)
    with backend.writer(rebuild=True) as writer:
        for n in range(200):
            writer.upsert(_doc(rng, n))
    query = parse_user_query("alpha")
    before = backend.search(query, PRINCIPALS, Filters(), 1, 20, "relevance")

    def mine() -> set[tuple]:
        return {key for key in whoosh_docsets.SEGMENTS._items if key[0] == str(tmp_path.resolve())}

    cached = mine()
    decodes = []
    monkeypatch.setattr(
        whoosh_docsets, "_decode_postings", lambda *a: decodes.append(a[0]) or original_decode(*a)
    )
    with backend.writer() as writer:
        writer.upsert(_doc(rng, 5))  # a new small segment, and a deletion in the old one
    after = backend.search(query, PRINCIPALS, Filters(), 1, 20, "relevance")
    expected, total, _ = _reference(backend, "alpha", PRINCIPALS, Filters(), per_page=20)
    assert after.total == total and [h.key for h in after.hits] == [key for key, _ in expected][:20]
    assert before.total - 1 <= after.total <= before.total + 1
    old_segment = {key[1] for key in cached}
    assert len(old_segment) == 1 and decodes  # only the new segment's postings were decoded:
    assert {reader.segment().segment_id() for reader in decodes}.isdisjoint(old_segment)
    assert all(key[1] not in old_segment for key in mine() - cached)
    backend.close()
