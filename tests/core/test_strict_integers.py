"""Integers from outside go through one strict parser (``app.core.params``).

``str.isdigit()`` accepts ``²``, which ``int()`` then refuses (a 500); ``int()`` accepts
``١``, `` 2`` and forty-digit numbers that overflow the query they reach (a 500 on
SQLite). Every page number reads with one rule: anything that is not a page from 1 to
the list's limit is the first page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.chat import messages
from app.core.errors import Invalid
from app.core.params import MAX_ID, MAX_PAGE, page_number, parse_id, parse_int
from app.extensions import db, socketio
from app.forums.models import Post
from tests.chat.conftest import NS, make_channel, signed_in_http
from tests.factories import make_org, make_topic, make_user
from tests.qa.conftest import ask, make_qa_category

# Page values a hand-edited or hostile URL carries: Unicode digits (superscript, Arabic-
# Indic), signs, zero, an exponent, a number past any OFFSET, padding, nothing.
BAD_PAGES = [
    "²",
    "١",
    "-1",
    "0",
    "1e3",
    "99999999999999999999",
    " 2",
    "",
    "1_0",
    "+2",
    "2.5",
    "%00",
    "9" * 5000,
]
# Ids and cursors a client may send that must be refused cleanly.
BAD_NUMBERS = ["²", "١", "-1", "1e3", "99999999999999999999", " 2", "1_0", "+2", "0x10", "2\n", "9" * 5000]


# --- the parser --------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "number"), [("0", 0), ("12", 12), ("-3", -3), (7, 7), (str(MAX_ID), MAX_ID)])
def test_parse_int_reads_ascii_digits_and_ints(raw, number):
    assert parse_int(raw) == number


@pytest.mark.parametrize("raw", [*(r for r in BAD_NUMBERS if r != "-1"), " ", "abc", True, 1.5, [], {}])
def test_parse_int_refuses_anything_but_ascii_digits_with_the_field_named(raw):
    with pytest.raises(Invalid) as caught:
        parse_int(raw, name="limit")
    assert caught.value.field == "limit" and "limit" in caught.value.message


def test_parse_int_applies_bounds_and_defaults():
    assert parse_int(None, default=5) == 5 and parse_int("", default=5) == 5
    assert parse_int("5", minimum=1, maximum=5) == 5
    for raw in ("0", "6", 6, "9" * 40):
        with pytest.raises(Invalid, match="between 1 and 5"):
            parse_int(raw, name="n", minimum=1, maximum=5)


def test_parse_id_refuses_negative_and_unstorable_ids():
    assert parse_id("0") == 0 and parse_id(None) is None
    for raw in ("-1", MAX_ID + 1, str(MAX_ID + 1)):
        with pytest.raises(Invalid):
            parse_id(raw)


@pytest.mark.parametrize("raw", BAD_PAGES)
def test_a_page_that_is_not_a_page_number_reads_as_the_first(raw):
    assert page_number(raw) == 1


def test_page_numbers_within_the_limit_are_kept_and_past_it_read_as_the_first():
    assert page_number("3") == 3 and page_number(MAX_PAGE) == MAX_PAGE
    assert page_number(str(MAX_PAGE + 1)) == 1 and page_number("51", maximum=50) == 1


# --- every paginated view --------------------------------------------------------------


@pytest.fixture
def site(db):
    """An admin with an organization, a topic, a chat room and a Q&A category: enough for
    every paginated list to render."""
    org = make_org(name="North Networks", slug="north")
    admin = make_user(role="admin", username="root", display_name="Root", organization=org, is_org_admin=True)
    topic = make_topic(author=admin, title="A topic to page through")
    channel = make_channel(owner=admin, name="Paging room")
    db.session.commit()
    return SimpleNamespace(admin=admin, topic=topic, channel=channel)


PAGED_VIEWS = [
    "/",
    "/new",
    "/unread",
    "/c/{category}",
    "/t/{topic}",
    "/qa",
    "/notifications/",
    "/mod/audit",
    "/search?q=topic",
    "/search.json?q=topic",
    "/referrals",
    "/referrals.json",
    "/following",
    "/directory",
    "/directory.json",
]


@pytest.mark.parametrize("view", PAGED_VIEWS)
def test_every_paginated_view_reads_a_bad_page_as_the_first(site, client, login_as, view):
    login_as(site.admin)
    url = view.format(category=site.topic.category.slug, topic=f"{site.topic.id}-{site.topic.slug}")
    for raw in BAD_PAGES:
        response = client.get(f"{url}{'&' if '?' in url else '?'}page={raw}")
        assert response.status_code == 200, (raw, response.get_data(as_text=True)[:300])
        if response.is_json and "page" in response.get_json():
            assert response.get_json()["page"] == 1, raw


# --- the examples of the report ----------------------------------------------------------


def test_referrals_with_a_superscript_page_show_the_first_page(site, client, login_as):
    login_as(site.admin)
    assert client.get("/referrals?page=²").status_code == 200
    response = client.get("/referrals.json?page=²")
    assert response.status_code == 200 and response.get_json()["page"] == 1


def test_following_feed_with_a_superscript_page_shows_the_first_page(site, client, login_as):
    login_as(site.admin)
    assert client.get("/following?page=²").status_code == 200


@pytest.mark.parametrize("name", ["before", "limit"])
def test_chat_history_refuses_a_malformed_cursor_or_limit_with_a_json_400(site, client, login_as, name):
    login_as(site.admin)
    for raw in BAD_NUMBERS:
        response = client.get(f"/chat/api/channels/{site.channel.id}/messages", query_string={name: raw})
        assert response.status_code == 400, raw
        assert response.get_json()["field"] == name, raw


def test_chat_history_still_reads_ascii_cursors(site, client, login_as):
    sent = [messages.post_message(site.admin, site.channel, f"message {i}")[0].id for i in range(4)]
    db.session.commit()
    login_as(site.admin)
    data = client.get(f"/chat/api/channels/{site.channel.id}/messages?limit=2&before={sent[3]}").get_json()
    assert [m["id"] for m in data["messages"]] == sent[1:3] and data["has_more"]


def test_a_reply_to_a_malformed_post_id_is_a_form_error_and_stores_nothing(site, client, login_as):
    login_as(site.admin)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
    for raw in BAD_NUMBERS:
        response = client.post(
            f"/t/{site.topic.id}/reply", data={"body": "A reply of mine.", "reply_to": raw}
        )
        assert response.status_code == 400, raw
        page = response.get_data(as_text=True)
        # " 2" is stripped (a hidden field's padding) and names post 2, which is not here.
        assert "You can only reply to a post in this topic." in page or "not in this topic" in page, raw
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == before


def test_a_malformed_quote_or_reply_link_is_ignored_on_the_topic_page(site, client, login_as):
    login_as(site.admin)
    for name in ("quote", "reply_to"):
        for raw in BAD_NUMBERS:
            response = client.get(f"/t/{site.topic.id}-{site.topic.slug}", query_string={name: raw})
            assert response.status_code == 200, (name, raw)


def test_new_topic_ignores_a_malformed_category_in_the_link(site, client, login_as):
    login_as(site.admin)
    for raw in BAD_NUMBERS:
        assert client.get("/new-topic", query_string={"category": raw}).status_code == 200, raw


def test_search_refuses_a_malformed_numeric_filter_with_a_400(site, client, login_as):
    login_as(site.admin)
    for raw in BAD_NUMBERS:
        response = client.get("/search.json", query_string={"q": "topic", "category": raw})
        assert response.status_code == 400, raw


def _socket(app, user):
    return socketio.test_client(app, namespace=NS, flask_test_client=signed_in_http(app, user))


def test_socket_history_refuses_a_malformed_limit_with_an_error_event(app, site):
    client = _socket(app, site.admin)
    try:
        for raw in ["²", "١", "-1", "1e3", " 2", "99999999999999999999", 10**30, -5, 1.5, True]:
            data = {"channel_id": site.channel.id, "limit": raw}
            ack = client.emit("history", data, namespace=NS, callback=True)
            assert ack["field"] == "limit" and "limit" in ack["error"], raw
            errors = [e["args"][0] for e in client.get_received(NS) if e["name"] == "error"]
            assert errors and errors[-1]["field"] == "limit", raw
    finally:
        client.disconnect(NS)


def test_socket_history_refuses_an_unstorable_cursor_with_an_error_event(app, site):
    client = _socket(app, site.admin)
    try:
        for raw in [10**30, MAX_ID + 1]:
            data = {"channel_id": site.channel.id, "before": raw}
            ack = client.emit("history", data, namespace=NS, callback=True)
            assert ack["field"] == "before", raw
    finally:
        client.disconnect(NS)


# --- whole-number form fields -------------------------------------------------------------


def test_close_as_duplicate_of_a_malformed_number_is_a_form_error(db, client, login_as):
    qa = make_qa_category(name="Q&A", slug="qa-cat")
    asker = make_user()
    moderator = make_user(role="moderator")
    db.session.commit()
    topic = ask(asker, qa)
    login_as(moderator)
    for raw in ["١٢", "²", "99999999999999999999", " 3", "1e3"]:
        response = client.post(f"/qa/q/{topic.id}/close", data={"reason": "duplicate", "duplicate_of": raw})
        assert response.status_code == 400, raw


def test_a_category_position_must_be_an_ascii_whole_number(site, client, login_as):
    login_as(site.admin)
    for raw in ["١", "99999999999999999999", "1e3"]:
        form = {"name": "New place", "slug": "new-place", "parent": "0", "position": raw}
        form |= {"view_policy": "everyone", "topic_policy": "members", "reply_policy": "members"}
        response = client.post("/admin/categories/new", data=form)
        assert response.status_code == 400, raw
        assert "whole number" in response.get_data(as_text=True)


def test_a_draft_place_with_a_malformed_topic_or_category_is_a_json_400(site, client, login_as):
    login_as(site.admin)
    for name in ("topic", "category"):
        for raw in BAD_NUMBERS:
            response = client.get("/drafts", query_string={name: raw}, headers={"Accept": "application/json"})
            assert response.status_code == 400, (name, raw)
            assert response.get_json()["field"] == name
