"""Cached fragments of signed-in forum pages (app/forums/fragments.py): a write shows
at once, one viewer's private parts never reach another, the header's unread count is
never stale, and the topic page costs a bounded number of SQL statements."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.core.db import utcnow
from app.forums import services
from app.forums.fragments import UrlPattern, fragment_cache
from app.forums.models import Post
from app.notifications.services import mark_all_read, notify
from tests.factories import make_post, make_topic, make_user

pytestmark = pytest.mark.app_config(PAGE_CACHE_SECONDS=300)


def _path(topic) -> str:
    return f"/t/{topic.id}-{topic.slug}"


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fragments_are_cached_and_an_edit_shows_at_once(app, db, client, login_as, member):
    topic = make_topic(author=member, body="The original wording.")
    db.session.commit()
    login_as(member)
    assert "The original wording." in _page(client, _path(topic))
    assert len(fragment_cache(app)) > 0
    post = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    services.edit_post(member, post, "A better wording.")
    db.session.commit()
    html = _page(client, _path(topic))
    assert "A better wording." in html and "The original wording." not in html


def test_a_new_topic_appears_in_the_cached_latest_list(db, client, login_as, member):
    make_topic(author=member, title="First topic")
    db.session.commit()
    login_as(member)
    assert "First topic" in _page(client, "/")
    make_topic(author=member, title="Second topic")
    db.session.commit()
    assert "Second topic" in _page(client, "/")


def test_one_viewers_buttons_and_like_state_never_reach_another(db, client, login_as, member, other):
    topic = make_topic(author=member)
    reply = make_post(topic, author=other, body="Bob's reply.")
    db.session.commit()
    services.toggle_like(member, reply)
    db.session.commit()
    edit_mine = f"/p/{reply.id}/edit"

    login_as(member)
    alice_page = _page(client, _path(topic))
    assert edit_mine not in alice_page  # not her post
    assert 'aria-pressed="true"' in alice_page  # she liked Bob's reply

    login_as(other)
    bob_page = _page(client, _path(topic))
    assert edit_mine in bob_page  # his own post: he may edit it
    assert 'aria-pressed="true"' not in bob_page  # Alice's like state is hers
    assert "Bob" in bob_page

    login_as(member)
    assert edit_mine not in _page(client, _path(topic))


def test_a_hidden_post_cached_for_staff_is_not_shown_to_members(
    db, client, login_as, member, other, moderator
):
    topic = make_topic(author=member)
    make_post(topic, author=other, body="Hidden words.", hidden=True, hidden_reason="spam")
    db.session.commit()
    login_as(moderator)
    assert "Hidden words." in _page(client, _path(topic))
    login_as(member)
    assert "Hidden words." not in _page(client, _path(topic))
    login_as(other)  # the author still sees their own hidden post
    assert "Hidden words." in _page(client, _path(topic))


def test_a_hidden_topic_cached_for_staff_stays_out_of_members_lists(db, client, login_as, member, moderator):
    make_topic(author=member, title="Visible topic")
    make_topic(author=member, title="Hidden topic", hidden=True)
    db.session.commit()
    login_as(moderator)
    assert "Hidden topic" in _page(client, "/")
    login_as(member)
    html = _page(client, "/")
    assert "Visible topic" in html and "Hidden topic" not in html


def test_read_badges_are_per_viewer(db, client, login_as, member, other):
    topic = make_topic(author=member, title="Badge topic")
    db.session.commit()
    services.mark_read(member, topic, 1)
    db.session.commit()
    login_as(member)
    assert '<span class="badge new">new</span>' not in _page(client, "/")
    login_as(other)
    assert '<span class="badge new">new</span>' in _page(client, "/")


def test_the_header_count_follows_new_notifications_and_mark_read(db, client, login_as, member, other):
    topic = make_topic(author=member)
    db.session.commit()
    login_as(member)
    assert 'id="notification-count"' not in _page(client, "/")
    notify(member, "reply", "Bob replied", "/", actor=other, topic=topic)
    db.session.commit()
    assert '<span class="badge" id="notification-count">1</span>' in _page(client, "/")
    notify(member, "mention", "Bob mentioned you", "/", actor=other, topic=topic)
    db.session.commit()
    assert '<span class="badge" id="notification-count">2</span>' in _page(client, "/")
    mark_all_read(member)
    db.session.commit()
    assert 'id="notification-count"' not in _page(client, "/")


def test_the_topic_page_costs_a_bounded_number_of_statements(app, db, client, login_as, member, other):
    topic = make_topic(author=member)
    for n in range(20):
        make_post(topic, author=other if n % 2 else make_user(), body=f"Reply {n}.")
    db.session.commit()
    login_as(member)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        # The first visit also writes the read marker (a read, then the upsert).
        # Cold is 14 since sign-out became server-side (3166279): the user loader's one
        # query (user JOIN user_session, checking the session is live) runs on every
        # request; before, the loader's get() found the test's already-loaded member in
        # the identity map, so the cold visit hid the statement the warm one shows.
        # Cold also reads the site settings once (the header shows the site name);
        # they are then served from the process's settings cache, so warm does not.
        for label, bound in (("cold", 15), ("warm", 12)):
            statements.clear()
            _page(client, _path(topic))
            assert len(statements) <= bound, (label, len(statements), statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_url_patterns_print_what_url_for_prints(app):
    from flask import url_for

    with app.test_request_context("/"):
        reply = UrlPattern("forums.topic", "reply_to", topic_id=3, slug="s", page=2, _anchor="reply")
        like = UrlPattern("forums.like_post", "post_id")
        for n in (1, 17, 90210):
            assert reply(n) == url_for(
                "forums.topic", topic_id=3, slug="s", page=2, reply_to=n, _anchor="reply"
            )
            assert like(n) == url_for("forums.like_post", post_id=n)
        assert UrlPattern.optional("no.such_endpoint", "post_id") is None


def test_nothing_is_cached_with_the_page_cache_off(app, db, client, login_as, member):
    app.extensions["guildhall_pagecache"].max_age = 0
    topic = make_topic(author=member, created_at=utcnow())
    db.session.commit()
    login_as(member)
    _page(client, _path(topic))
    assert len(fragment_cache(app)) == 0
