"""Notification services: who gets one, deduplication, visibility, reading, preferences."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.db import utcnow
from app.notifications import services
from app.notifications.models import Notification, NotificationPreference
from tests.factories import make_category, make_post, make_topic, make_user


def all_notifications(db) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_notify_creates_a_notification(db):
    user, actor = make_user(), make_user()
    post = make_post(make_topic())
    n = services.notify(user, "reply", "hello", "/p/1", actor=actor, post=post)
    assert (n.user_id, n.kind, n.message, n.url, n.actor_id) == (user.id, "reply", "hello", "/p/1", actor.id)
    assert n.post_id == post.id and n.topic_id == post.topic_id
    assert n.read_at is None


def test_notify_never_tells_actors_about_their_own_actions(db):
    user = make_user()
    assert services.notify(user, "reply", "x", "/", actor=user, post=make_post(make_topic())) is None
    assert all_notifications(db) == []


def test_notify_skips_posts_the_recipient_cannot_see(db):
    member = make_user()
    staff_only = make_category(view_policy="moderator,admin")
    post = make_post(make_topic(category=staff_only))
    assert services.notify(member, "mention", "x", "/", actor=make_user(), post=post) is None
    hidden = make_post(make_topic(), hidden=True)
    assert services.notify(member, "mention", "x", "/", actor=make_user(), post=hidden) is None
    assert all_notifications(db) == []


def test_notify_skips_topics_the_recipient_cannot_see(db):
    member = make_user()
    topic = make_topic(category=make_category(view_policy="admin"))
    assert services.notify(member, "watching", "x", "/", topic=topic) is None


def test_one_notification_per_user_and_post_and_a_mention_wins(db):
    user, actor = make_user(), make_user()
    post = make_post(make_topic())
    services.notify(user, "reply", "replied", "/p", actor=actor, post=post)
    services.notify(user, "mention", "mentioned you", "/p", actor=actor, post=post)
    services.notify(user, "watching", "posted", "/p", actor=actor, post=post)
    (only,) = all_notifications(db)
    assert (only.kind, only.message) == ("mention", "mentioned you")


def test_a_reply_after_a_mention_adds_nothing(db):
    user, actor = make_user(), make_user()
    post = make_post(make_topic())
    services.notify(user, "mention", "mentioned you", "/p", actor=actor, post=post)
    assert services.notify(user, "reply", "replied", "/p", actor=actor, post=post) is None
    assert [n.kind for n in all_notifications(db)] == ["mention"]


def test_long_messages_are_shortened_to_fit(db):
    n = services.notify(make_user(), "moderation", "x" * 500, "/")
    assert len(n.message) == services.MESSAGE_MAX


def test_unread_count_counts_only_unread_visible_notifications(db):
    user = make_user()
    visible = make_post(make_topic())
    later_hidden = make_post(make_topic())
    later_deleted = make_post(make_topic())
    for post in (visible, later_hidden, later_deleted):
        services.notify(user, "reply", "x", "/", post=post)
    read = services.notify(user, "moderation", "read already", "/")
    read.read_at = utcnow()
    services.notify(user, "moderation", "no post", "/")
    assert services.unread_count(user) == 4
    later_hidden.hidden = True
    later_deleted.deleted_at = utcnow()
    db.session.flush()
    assert services.unread_count(user) == 2


def test_unread_count_drops_notifications_for_a_hidden_topic(db):
    user = make_user()
    topic = make_topic()
    services.notify(user, "watching", "x", "/", topic=topic)
    topic.hidden = True
    db.session.flush()
    assert services.unread_count(user) == 0


def test_list_is_newest_first_and_skips_content_no_longer_visible(db):
    user = make_user()
    first = make_post(make_topic())
    second = make_post(make_topic())
    restricted_later = make_post(make_topic())
    for post in (first, second, restricted_later):
        services.notify(user, "reply", f"about {post.id}", "/", post=post)
    restricted_later.topic.category.view_policy = "admin"
    db.session.flush()
    page = services.list_notifications(user)
    assert [n.post_id for n in page.items] == [second.id, first.id]


def test_list_is_paginated(db):
    user = make_user()
    for n in range(5):
        services.notify(user, "moderation", f"n{n}", "/")
    page = services.list_notifications(user, page=2, per_page=2)
    assert [n.message for n in page.items] == ["n2", "n1"]
    assert page.pages == 3 and page.has_prev and page.has_next


def test_mark_read_and_mark_all_read(db):
    user, other = make_user(), make_user()
    a = services.notify(user, "moderation", "a", "/")
    services.notify(user, "moderation", "b", "/")
    theirs = services.notify(other, "moderation", "c", "/")
    services.mark_read(user, a)
    assert a.read_at is not None and services.unread_count(user) == 1
    assert services.mark_all_read(user) == 1
    assert services.unread_count(user) == 0
    assert services.unread_count(other) == 1
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_preferences_default_to_everything_on_without_a_row(db):
    prefs = services.preferences_for(make_user())
    assert (prefs.email_replies, prefs.email_mentions, prefs.notify_likes, prefs.notify_watching) == (
        True,
        True,
        True,
        True,
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationPreference)) == 0


def test_update_preferences_stores_a_row(db):
    user = make_user()
    services.update_preferences(user, email_replies=False, notify_likes=False)
    prefs = services.preferences_for(user)
    assert prefs.email_replies is False and prefs.notify_likes is False
    assert prefs.email_mentions is True and prefs.notify_watching is True
