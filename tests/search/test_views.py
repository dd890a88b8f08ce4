"""The /search page and /search.json: rendering, escaping, filters, facets, paging."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.search import services
from tests.factories import make_category, make_org, make_post, make_topic, make_user


def test_header_has_a_labelled_search_box(client):
    html = client.get("/").get_data(as_text=True)
    assert 'action="/search"' in html and '<label for="site-search-q"' in html


def test_snippets_are_escaped_before_highlighting(db, client, member, category, reindex):
    make_topic(
        author=member,
        category=category,
        title="Escaping",
        body='<script>alert(1)</script> needle "x" & <b>y</b>',
    )
    reindex()
    data = client.get("/search.json?q=needle").get_json()
    snippet = data["hits"][0]["snippet_html"]
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;/script&gt;" in snippet and "<mark>needle</mark>" in snippet
    page = client.get("/search?q=needle").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<mark>needle</mark>" in page


def test_page_lists_hits_and_says_nothing_found(db, client, member, category, reindex):
    topic = make_topic(
        author=member, category=category, title="Deal registration", body="How to register a deal"
    )
    reindex()
    page = client.get("/search?q=register").get_data(as_text=True)
    assert f"/t/{topic.id}-" in page and "1 result" in page
    assert "Nothing found" in client.get("/search?q=zzzunknownword").get_data(as_text=True)
    assert "Type a few words" in client.get("/search").get_data(as_text=True)


def test_filters_by_kind_category_author_organization_and_date(db, member, category, reindex, anonymous):
    org = make_org(name="Northwind", description="needle reseller")
    other = make_category(name="Other", slug="other")
    author = make_user(username="writer", organization=org, job_title="needle engineer")
    old = make_topic(author=author, category=category, body="needle one")
    old.created_at = datetime(2020, 1, 5)
    new = make_topic(author=member, category=other, body="needle two")
    reply = make_post(new, author=author, body="needle three")
    reindex()

    def keys(**kwargs):
        return {h.key for h in services.search(anonymous, "needle", per_page=50, **kwargs).hits}

    assert keys(kinds=["organization"]) == {f"org:{org.id}"}
    assert keys(kinds=["member"]) == {f"user:{author.id}"}
    assert keys(kinds=["topic"], filters={"category": other.id}) == {f"topic:{new.id}"}
    assert keys(filters={"author": "writer"}, kinds=["topic", "post"]) == {
        f"topic:{old.id}",
        f"post:{reply.id}",
    }
    assert keys(filters={"organization": org.id}, kinds=["organization"]) == {f"org:{org.id}"}
    assert keys(filters={"date_to": "2020-01-05"}) == {f"topic:{old.id}"}
    assert f"topic:{old.id}" not in keys(filters={"date_from": "2020-01-06"})
    assert keys(filters={"author": "nobody-like-this"}) == set()


def test_facets_count_matches_by_kind_and_category(db, member, category, reindex, anonymous):
    topic = make_topic(author=member, category=category, body="needle")
    make_post(topic, author=member, body="needle again")
    reindex()
    facets = services.search(anonymous, "needle").facets
    assert {k: v["count"] for k, v in facets["kind"].items()} == {"topic": 1, "post": 1}
    assert facets["category"] == {str(category.id): {"label": "General", "count": 2}}


def test_pagination_and_date_order(db, member, category, reindex, anonymous):
    base = datetime(2024, 1, 1)
    topics = []
    for n in range(5):
        topic = make_topic(author=member, category=category, body=f"needle number {n}")
        topic.created_at = base + timedelta(days=n)
        topics.append(topic)
    reindex()
    first = services.search(anonymous, "needle", per_page=2, order="date")
    second = services.search(anonymous, "needle", per_page=2, page=2, order="date")
    assert first.total == 5 and first.pages == 3 and first.has_next
    assert [h.key for h in first.hits] == [f"topic:{topics[4].id}", f"topic:{topics[3].id}"]
    assert [h.key for h in second.hits] == [f"topic:{topics[2].id}", f"topic:{topics[1].id}"]


def test_bad_filter_values_answer_400_not_500(client):
    assert client.get("/search?q=x&category=abc").status_code == 400
    response = client.get("/search.json?q=x&date_from=yesterday")
    assert response.status_code == 400 and "error" in response.get_json()
    assert client.get("/search?q=x&page=-4&order=sideways").status_code == 200


def test_similar_questions_api_matches_any_word(db, member, category, reindex, anonymous):
    topic = make_topic(
        author=member, category=category, title="Configuring SAML with Azure AD", body="Details"
    )
    make_topic(author=member, category=category, title="Webhook retries", body="Details")
    reindex()
    result = services.search(anonymous, "How do I set up SAML for Azure?", match="any", per_page=5)
    assert [hit.id for hit in result.items][:1] == [str(topic.id)]
    assert services.search(anonymous, "How do I set up SAML for Azure?").total == 0
