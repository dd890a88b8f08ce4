"""Whatever people type, search answers with a page, quickly."""

from __future__ import annotations

import time

from app.search.querying import MAX_TERMS, parse_user_query
from tests.factories import make_topic
from tests.hostile import naughty_strings

SPECIAL = [
    '"unbalanced', "((((", ")", "title:secret", "principals:public", "kind:member OR 1=1", "*", "wild*",
    "?", "a AND OR NOT", "'; DROP TABLE forum_post; --", "' OR '1'='1", "\\", "\x00", "%_%", "x" * 10_000,
    " ".join(["word"] * 5000), '"' * 3000, "<script>alert(1)</script>", "to:be -or- not", "ｆｕｌｌｗｉｄｔｈ",
]  # fmt: skip


def test_parser_bounds_terms_and_drops_syntax():
    parsed = parse_user_query('title:secret "exact phrase here" (a OR b)* ' + "z" * 500)
    assert len(parsed.words) + sum(len(p) for p in parsed.phrases) <= MAX_TERMS
    assert ["exact", "phrase", "here"] in parsed.phrases and "title" in parsed.words
    assert parse_user_query("'; --").empty


def test_hostile_queries_return_a_page_in_bounded_time(db, client, reindex, member, category):
    make_topic(author=member, category=category, body="needle in the haystack")
    reindex()
    queries = SPECIAL + naughty_strings()
    slowest = 0.0
    for query in queries:
        for path in ("/search", "/search.json"):
            started = time.perf_counter()
            response = client.get(path, query_string={"q": query, "kind": query[:50], "tag": query[:50]})
            slowest = max(slowest, time.perf_counter() - started)
            assert response.status_code == 200, (path, query)
    assert slowest < 2.0
