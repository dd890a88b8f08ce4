"""What a search hit shows: snippets as the reader sees the post (no Markdown syntax),
and a compact card for members and organizations."""

from __future__ import annotations

from app.directory.models import DirectoryProfile
from tests.factories import make_org, make_post, make_topic, make_user

MARKDOWN_POST = """Our **quarterly** rollout plan, in _short_:

| Region | Partner | Quota |
|--------|---------|-------|
| EMEA   | Acme    | 40    |

See [the wiki](https://example.com/wiki) and `rollout --dry-run`.
"""


def test_snippets_show_the_rendered_text_not_the_markdown(db, client, member, category, reindex):
    make_topic(author=member, category=category, title="Planning", body=MARKDOWN_POST)
    reindex()
    snippet = client.get("/search.json?q=quarterly").get_json()["hits"][0]["snippet_html"]
    assert "<mark>quarterly</mark>" in snippet
    for syntax in ("**", "|", "---", "](", "_short_", "`"):
        assert syntax not in snippet, syntax
    assert "EMEA Acme 40" in " ".join(snippet.split())


def test_reply_snippets_are_plain_text_too(db, client, member, category, reindex):
    topic = make_topic(author=member, category=category, title="Replies")
    make_post(topic, author=member, body="A *careful* ~~old~~ answer with **emphasis**")
    reindex()
    hits = client.get("/search.json?q=emphasis").get_json()["hits"]
    assert [hit["kind"] for hit in hits] == ["post"]
    assert "*" not in hits[0]["snippet_html"] and "~~" not in hits[0]["snippet_html"]
    assert "<mark>emphasis</mark>" in hits[0]["snippet_html"]


def test_raw_html_in_a_post_stays_escaped_text_in_its_snippet(db, client, member, category, reindex):
    make_topic(author=member, category=category, title="Tags", body="needle <img src=x onerror=alert(1)>")
    reindex()
    snippet = client.get("/search.json?q=needle").get_json()["hits"][0]["snippet_html"]
    assert "<img" not in snippet and "&lt;img" in snippet


def test_a_member_hit_shows_a_compact_card(db, client, reindex):
    org = make_org(name="Acme Networks", partner_type="reseller", tier="gold")
    make_user(
        username="zoe",
        display_name="Zoe Zimmer",
        job_title="Solutions Architect",
        region="EMEA",
        organization=org,
        bio="Loves **bold** statements and firewalls.",
    )
    reindex()
    page = client.get("/search?q=zimmer&kind=member").get_data(as_text=True)
    card = page.split('class="search-card"', 1)[1].split("</p>", 1)[0]
    facts = [part.split("</span>")[0] for part in card.split('<span class="search-card-fact">')[1:]]
    assert facts == ["Solutions Architect", "Acme Networks", "Reseller", "Gold", "EMEA"]
    assert "firewalls" not in card and "**" not in page


def test_a_member_card_leaves_out_the_fields_they_hid(db, client, reindex):
    shy = make_user(username="yan", display_name="Yan Yellow", job_title="Secret Agent", region="APAC")
    db.session.add(DirectoryProfile(user_id=shy.id, hidden_fields=["job_title", "region"]))
    reindex()
    page = client.get("/search?q=yellow&kind=member").get_data(as_text=True)
    assert "Secret Agent" not in page and "APAC" not in page


def test_an_organization_hit_shows_type_tier_and_regions(db, client, reindex):
    make_org(name="Globex Partners", partner_type="reseller", tier="platinum", regions=["EMEA", "NA"])
    reindex()
    page = client.get("/search?q=globex&kind=organization").get_data(as_text=True)
    card = page.split('class="search-card"', 1)[1].split("</p>", 1)[0]
    assert "Reseller" in card and "Platinum" in card and "EMEA, NA" in card
