"""Lists, ordering, unread tracking and query counts."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event

from app.core.db import utcnow
from app.forums import services
from app.forums.models import Post
from tests.factories import make_category, make_post, make_topic


def test_latest_orders_by_last_activity(db, member):
    old, new = make_topic(), make_topic()
    old.last_posted_at = utcnow() - timedelta(days=2)
    new.last_posted_at = utcnow() - timedelta(days=1)
    services.create_reply(member, old, "bump")
    assert [t.id for t in services.latest_topics(member).items] == [old.id, new.id]


def test_category_page_puts_pinned_first_and_includes_children(db, member, category):
    child = make_category(parent=category)
    pinned = make_topic(category=category, pinned=True)
    pinned.last_posted_at = utcnow() - timedelta(days=9)
    in_child = make_topic(category=child)
    ids = [t.id for t in services.category_topics(member, category).items]
    assert ids == [pinned.id, in_child.id]


def test_hidden_topics_are_listed_for_staff_only(db, member, moderator):
    topic = make_topic(hidden=True)
    assert topic not in services.latest_topics(member).items
    assert topic in services.latest_topics(moderator).items


def test_restricted_topics_are_never_listed(db, member, mentor, mentors_only):
    topic = make_topic(category=mentors_only)
    assert topic not in services.latest_topics(member).items
    assert topic in services.latest_topics(mentor).items


def test_new_badge_until_opened_then_unread_count(db, member, other):
    topic = make_topic(author=other)
    assert services.topic_read_state(member, [topic])[topic.id] == {"new": True, "unread": 0}
    assert topic in services.new_topics(member).items
    services.mark_read(member, topic, 1)
    make_post(topic)
    make_post(topic)
    assert services.topic_read_state(member, [topic])[topic.id] == {"new": False, "unread": 2}
    assert topic not in services.new_topics(member).items
    assert topic in services.unread_topics(member).items


def test_old_unopened_topics_are_not_new(db, member):
    topic = make_topic(created_at=utcnow() - timedelta(days=15))
    assert services.topic_read_state(member, [topic])[topic.id]["new"] is False


def test_read_marker_never_moves_back(db, member):
    topic = make_topic()
    make_post(topic)
    services.mark_read(member, topic, 2)
    services.mark_read(member, topic, 1)
    assert services.first_unread_post(member, topic).number == 2


def test_rereading_a_topic_writes_nothing(db, member):
    topic = make_topic()
    services.mark_read(member, topic, 1)
    db.session.commit()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        services.mark_read(member, topic, 1)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements and not any(s.lstrip().upper().startswith(("INSERT", "UPDATE")) for s in statements)


def test_first_unread_post_is_after_the_marker(db, member):
    topic = make_topic()
    make_post(topic)
    make_post(topic)
    services.mark_read(member, topic, 1)
    assert services.first_unread_post(member, topic).number == 2


def test_viewing_a_topic_marks_it_read_and_jump_goes_to_first_unread(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    client.get(f"/t/{topic.id}-{topic.slug}")
    post = make_post(topic)
    db.session.commit()
    assert services.topic_read_state(member, [topic])[topic.id]["unread"] == 1
    response = client.get(f"/t/{topic.id}/unread")
    assert response.headers["Location"].endswith(f"#post-{post.number}")
    assert "unread 1" in client.get("/unread").get_data(as_text=True)


def test_topic_pages_paginate_and_permalinks_find_the_page(app, db, client, member):
    app.config["POSTS_PER_PAGE"] = 2
    topic = make_topic()
    posts = [make_post(topic, body=f"reply {n}") for n in range(4)]
    db.session.commit()
    page2 = client.get(f"/t/{topic.id}-{topic.slug}?page=2").get_data(as_text=True)
    assert "reply 1" in page2 and "reply 0" not in page2
    response = client.get(f"/p/{posts[-1].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/t/{topic.id}-{topic.slug}?page=3#post-5")


def test_topic_without_slug_redirects_to_canonical(db, client):
    topic = make_topic()
    db.session.commit()
    response = client.get(f"/t/{topic.id}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/t/{topic.id}-{topic.slug}")
    assert client.get(f"/t/{topic.id}-wrong-slug").status_code == 301


def _count_queries(db, fn) -> int:
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def test_latest_and_topic_pages_have_no_n_plus_one(db, client, sign_in, member):
    def build(n):
        for _ in range(n):
            topic = make_topic()
            for _ in range(3):
                make_post(topic)
        db.session.commit()

    build(2)
    sign_in(member)
    client.get("/")
    small_latest = _count_queries(db, lambda: client.get("/"))
    build(8)
    client.get("/")  # warm up: the commit expired the signed-in user
    big_latest = _count_queries(db, lambda: client.get("/"))
    assert big_latest == small_latest

    topic = db.session.scalar(sa.select(Post).order_by(Post.id.desc())).topic
    url = f"/t/{topic.id}-{topic.slug}"
    client.get(url)
    few = _count_queries(db, lambda: client.get(url))
    for _ in range(8):
        make_post(topic)
    db.session.commit()
    client.get(url)
    many = _count_queries(db, lambda: client.get(url))
    assert many <= few + 1


def test_mark_read_is_an_upsert_that_never_moves_back(app):
    from app.extensions import db
    from app.forums.models import TopicRead
    from app.forums.services import mark_read
    from tests.factories import make_topic, make_user

    reader = make_user()
    topic = make_topic()
    mark_read(reader, topic, 3)
    mark_read(reader, topic, 3)  # a second tab: no primary-key collision
    mark_read(reader, topic, 1)
    db.session.commit()
    assert db.session.get(TopicRead, (reader.id, topic.id)).last_read_post_number == 3
    mark_read(reader, topic, 5)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(TopicRead, (reader.id, topic.id)).last_read_post_number == 5
