"""The page cache for signed-in members: a member gets back only their own earlier
render of a page, and only while nothing it shows — shared data or their own read
markers and notifications — has changed."""

from __future__ import annotations

import pytest
from flask import render_template_string, session
from flask_login import current_user

from app.accounts import services as accounts
from app.core.pagecache import PageCacheMiddleware, cache_page, page_cache
from app.extensions import db as _db
from app.forums.models import Topic, TopicRead
from app.notifications.models import Notification
from app.notifications.services import mark_all_read
from tests.core.test_pagecache import get
from tests.factories import browser_session_id, make_post, make_topic, make_user

pytestmark = pytest.mark.app_config(PAGE_CACHE_SECONDS=300)

PAGE = """{% extends "base.html" %}{% block content %}
<p id="me">{{ current_user.display_name }}</p>
<ul>{% for t in topics %}<li>{{ t.title }} ({{ t.post_count }}){% if t.id in read %} read{% endif %}</li>
{% endfor %}</ul>
{% if current_user.is_authenticated %}<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">{% endif %}
{% endblock %}"""


def _page() -> str:
    topics = _db.session.scalars(_db.select(Topic).order_by(Topic.id)).all()
    read = set()
    if current_user.is_authenticated:
        read = set(
            _db.session.scalars(_db.select(TopicRead.topic_id).where(TopicRead.user_id == current_user.id))
        )
    return render_template_string(PAGE, topics=topics, read=read)


@pytest.fixture
def pages(app):
    @cache_page
    def mine():
        return _page()

    @cache_page
    def touches_session():
        session["last_page"] = "mine"
        return _page()

    app.flask_requests = []  # requests that reached Flask (the fast path skips it)
    app.before_request(lambda: app.flask_requests.append(1))
    app.add_url_rule("/mine", "mine", mine)
    app.add_url_rule("/touches-session", "touches_session", touches_session)
    return app


@pytest.fixture
def member(app):
    user = make_user(display_name="Member Mia")
    _db.session.commit()
    return user


def _login(client, user):
    with client.session_transaction() as sess:
        sess["_user_id"] = browser_session_id(user)
        sess["_fresh"] = True
    get(client, "/mine")  # settles the session
    return client


def test_second_request_is_served_from_the_members_own_entry(pages, client, topic, member):
    _login(client, member)
    first = get(client, "/mine")
    second = get(client, "/mine")
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"
    assert second.data == first.data
    assert b"Member Mia" in second.data


def test_hit_is_answered_before_flask_runs_with_the_first_renders_headers(pages, client, topic, member):
    _login(client, member)
    before = len(pages.flask_requests)
    fresh = get(client, "/mine")
    cached = get(client, "/mine")
    assert len(pages.flask_requests) == before + 1
    assert cached.headers["X-Page-Cache"] == "hit"
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Vary"):
        assert cached.headers[header] == fresh.headers[header]
    assert "Set-Cookie" not in cached.headers


def test_another_member_never_gets_the_first_members_page(pages, app, topic, member):
    other = make_user(display_name="Other Otto")
    _db.session.commit()
    mia = _login(app.test_client(), member)
    get(mia, "/mine")
    get(mia, "/mine")
    otto = app.test_client()
    _login(otto, other)
    get(otto, "/mine")
    response = get(otto, "/mine")
    assert response.headers["X-Page-Cache"] == "hit"  # Otto's own entry
    assert b"Other Otto" in response.data
    assert b"Member Mia" not in response.data


def test_a_different_browser_or_address_is_a_different_entry(pages, client, topic, member):
    _login(client, member)
    get(client, "/mine")
    assert get(client, "/mine").headers["X-Page-Cache"] == "hit"
    other_agent = get(client, "/mine", headers={"User-Agent": "Another browser"})
    assert other_agent.headers.get("X-Page-Cache") != "hit"
    other_address = get(client, "/mine", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other_address.headers.get("X-Page-Cache") != "hit"


def test_shared_write_invalidates_signed_in_entries(pages, client, topic, member):
    _login(client, member)
    assert b"Cached topic (1)" in get(client, "/mine").data
    make_post(topic=_db.session.get(Topic, topic.id))
    _db.session.commit()
    response = get(client, "/mine")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"Cached topic (2)" in response.data


def test_members_own_read_marker_invalidates_only_their_entry(pages, app, topic, member):
    other = make_user()
    _db.session.commit()
    mia, otto = _login(app.test_client(), member), _login(app.test_client(), other)
    get(mia, "/mine")
    get(otto, "/mine")
    get(app.test_client(), "/mine")  # and an anonymous entry
    _db.session.add(TopicRead(user_id=member.id, topic_id=topic.id, last_read_post_number=1))
    _db.session.commit()
    response = get(mia, "/mine")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"Cached topic (1) read" in response.data
    assert get(otto, "/mine").headers["X-Page-Cache"] == "hit"
    assert get(app.test_client(), "/mine").headers["X-Page-Cache"] == "hit"


def test_new_notification_updates_the_header_count(pages, client, topic, member):
    _login(client, member)
    before = get(client, "/mine")
    assert b'id="notification-count"' not in before.data
    _db.session.add(Notification(user_id=member.id, kind="mention", message="You were mentioned", url="/"))
    _db.session.commit()
    after = get(client, "/mine")
    assert after.headers["X-Page-Cache"] == "miss"
    assert b'id="notification-count">1<' in after.data


def test_bulk_statement_naming_its_member_invalidates_them(pages, client, topic, member):
    _db.session.add(Notification(user_id=member.id, kind="mention", message="You were mentioned", url="/"))
    _db.session.commit()
    _login(client, member)
    assert b'id="notification-count">1<' in get(client, "/mine").data
    mark_all_read(member)
    _db.session.commit()
    response = get(client, "/mine")
    assert response.headers["X-Page-Cache"] == "miss"
    assert b'id="notification-count"' not in response.data


def test_bulk_statement_without_members_invalidates_every_viewer_but_not_visitors(pages, app, topic, member):
    mia = _login(app.test_client(), member)
    get(mia, "/mine")
    visitor = app.test_client()
    get(visitor, "/mine")
    _db.session.execute(_db.update(Notification).values(read_at=None))
    _db.session.commit()
    assert get(mia, "/mine").headers["X-Page-Cache"] == "miss"
    assert get(visitor, "/mine").headers["X-Page-Cache"] == "hit"


def test_rolled_back_member_write_keeps_the_entry(pages, client, topic, member):
    _login(client, member)
    get(client, "/mine")
    _db.session.add(TopicRead(user_id=member.id, topic_id=topic.id, last_read_post_number=1))
    _db.session.flush()
    _db.session.rollback()
    assert get(client, "/mine").headers["X-Page-Cache"] == "hit"


def test_write_inside_a_savepoint_bumps_only_when_the_outer_transaction_commits(pages, client, topic, member):
    _login(client, member)
    get(client, "/mine")
    cache = page_cache(pages)
    before = cache.generation()
    with _db.session.begin_nested():
        make_post(topic=_db.session.get(Topic, topic.id))
    assert cache.generation() == before  # the savepoint released; nothing landed yet
    _db.session.commit()
    assert cache.generation() != before


def test_password_change_ends_the_old_cookies_cached_pages(pages, app, topic, member):
    stolen = _login(app.test_client(), member)
    get(stolen, "/mine")
    assert get(stolen, "/mine").headers["X-Page-Cache"] == "hit"
    accounts.change_password(member, "correct horse battery staple", "a new long passphrase 42")
    _db.session.commit()
    response = get(stolen, "/mine")
    assert response.headers.get("X-Page-Cache") != "hit"
    assert b"Member Mia" not in response.data


def test_suspension_ends_the_members_cached_pages(pages, app, topic, member):
    from datetime import timedelta

    from app.core.db import utcnow

    mia = _login(app.test_client(), member)
    get(mia, "/mine")
    member.suspended_until = utcnow() + timedelta(days=1)
    _db.session.commit()
    response = get(mia, "/mine")
    assert response.headers.get("X-Page-Cache") != "hit"
    assert b"Member Mia" not in response.data


def test_view_that_changes_the_session_is_not_stored(pages, client, topic, member):
    _login(client, member)
    get(client, "/touches-session")
    response = get(client, "/touches-session")
    assert response.headers.get("X-Page-Cache") != "hit"
    assert len(page_cache(pages).viewers) == 0


def test_pending_flash_is_shown_not_served_from_the_cache(pages, client, topic, member):
    _login(client, member)
    get(client, "/mine")
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "Saved your reply.")]
    response = get(client, "/mine")
    assert b"Saved your reply." in response.data
    assert response.headers.get("X-Page-Cache") != "hit"
    assert b"Saved your reply." not in get(client, "/mine").data


@pytest.mark.app_config(PAGE_CACHE_SIGNED_IN=False)
def test_signed_in_caching_can_be_turned_off(pages, client, topic, member):
    _login(client, member)
    get(client, "/mine")
    assert "X-Page-Cache" not in get(client, "/mine").headers
    assert len(page_cache(pages).viewers) == 0
    # The anonymous fast path stays in the WSGI chain (under the security headers).
    layer = pages.wsgi_app
    while not isinstance(layer, PageCacheMiddleware) and hasattr(layer, "wsgi_app"):
        layer = layer.wsgi_app
    assert isinstance(layer, PageCacheMiddleware)


# --- the real forum pages ----------------------------------------------------------


def test_topic_page_is_served_again_once_the_read_marker_settles(app, client, member):
    topic = make_topic(title="Settling topic", body="First post body.")
    _db.session.commit()
    path = f"/t/{topic.id}-{topic.slug}"
    _login(client, member)
    first = get(client, path)  # renders, then moves the read marker: entry is stale
    second = get(client, path)  # marker already there: stored
    third = get(client, path)
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "miss"
    assert third.headers["X-Page-Cache"] == "hit"
    assert third.data == second.data
    make_post(topic=_db.session.get(Topic, topic.id), body="A reply from someone else.")
    _db.session.commit()
    assert b"A reply from someone else." in get(client, path).data


def test_latest_page_shows_a_new_topic_to_a_member_with_a_cached_page(app, client, member):
    make_topic(title="Older topic")
    _db.session.commit()
    _login(client, member)
    get(client, "/")
    assert get(client, "/").headers["X-Page-Cache"] == "hit"
    make_topic(title="Brand new topic")
    _db.session.commit()
    assert b"Brand new topic" in get(client, "/").data


@pytest.mark.app_config(WTF_CSRF_ENABLED=False)
def test_signing_out_retires_the_old_cookies_pages(pages, app, topic, member):
    browser = _login(app.test_client(), member)
    get(browser, "/mine")
    old_cookie = browser.get_cookie("session").value
    browser.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", old_cookie)
    response = get(replay, "/mine")
    assert response.headers.get("X-Page-Cache") != "hit"


def test_chat_message_refreshes_its_rooms_members_and_nobody_else(pages, app, topic, member):
    """Forum pages show chat only as a member's unread count: a message in a room
    invalidates its members' pages, not an outsider's, not the shared ones."""
    from app.chat import channels, messages

    sender, outsider = make_user(display_name="Sender Sam"), make_user(display_name="Outsider Oz")
    _db.session.commit()
    room = channels.create_channel(sender, "Partner lounge", kind="public")
    channels.join_channel(member, room)
    _db.session.commit()
    mia, oz, visitor = (
        _login(app.test_client(), member),
        _login(app.test_client(), outsider),
        app.test_client(),
    )
    for browser in (mia, oz, visitor):
        get(browser, "/mine")
    assert b"Chat (1)" not in get(mia, "/mine").data

    messages.post_message(sender, room, "Welcome to the lounge")
    _db.session.commit()

    refreshed = get(mia, "/mine")
    assert refreshed.headers["X-Page-Cache"] == "miss"
    assert b"Chat (1)" in refreshed.data
    assert get(oz, "/mine").headers["X-Page-Cache"] == "hit"
    assert get(visitor, "/mine").headers["X-Page-Cache"] == "hit"
