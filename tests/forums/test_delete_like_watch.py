"""Soft delete and restore, likes, and watching topics and categories."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, NotFound, PermissionDenied
from app.forums import services
from app.forums.models import Post, PostLike
from tests.factories import make_topic


def first_post(db, topic) -> Post:
    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def test_deleting_a_reply_keeps_counters_in_step(db, member, other, events):
    topic = make_topic(author=member)
    reply = services.create_reply(other, topic, "oops")
    services.delete_post(other, reply)
    assert reply.deleted_at is not None and reply.deleted_by_id == other.id
    assert topic.post_count == 1 and topic.last_poster_id == member.id
    assert events.named("post_deleted")[0]["post"] is reply


def test_deleting_the_first_post_deletes_the_topic(db, member):
    topic = make_topic(author=member)
    services.delete_post(member, first_post(db, topic))
    assert topic.deleted_at is not None
    assert topic not in services.latest_topics(member).items


def test_restore_undoes_delete(db, member, events):
    topic = make_topic(author=member)
    post = first_post(db, topic)
    services.delete_post(member, post)
    services.restore_post(member, post)
    assert post.deleted_at is None and topic.deleted_at is None and topic.post_count == 1
    assert len(events.named("post_restored")) == 1


def test_others_cannot_delete_or_see_a_deleted_post(db, member, other):
    topic = make_topic(author=member)
    reply = services.create_reply(member, topic, "mine")
    with pytest.raises(PermissionDenied):
        services.delete_post(other, reply)
    services.delete_post(member, reply)
    with pytest.raises(NotFound):
        services.restore_post(other, reply)


def test_deleting_twice_conflicts(db, member):
    reply = services.create_reply(member, make_topic(), "x")
    services.delete_post(member, reply)
    with pytest.raises(Conflict):
        services.delete_post(member, reply)


def test_like_toggles_and_counts_on_post_and_topic(db, member, other, events):
    topic = make_topic(author=member)
    post = first_post(db, topic)
    assert services.toggle_like(other, post) is True
    assert (post.like_count, topic.like_count) == (1, 1)
    assert services.toggle_like(other, post) is False
    assert (post.like_count, topic.like_count) == (0, 0)
    assert len(events.named("post_liked")) == 1


def test_cannot_like_own_post(db, member):
    post = first_post(db, make_topic(author=member))
    for _ in range(2):
        with pytest.raises(PermissionDenied):
            services.toggle_like(member, post)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostLike)) == 0


def test_watch_toggles_and_watchers_include_category_watchers(db, member, other, mentor, category):
    topic = make_topic(author=member, category=category)
    assert services.toggle_topic_watch(other, topic) is True
    assert services.toggle_category_watch(mentor, category) is True
    assert {u.username for u in services.watchers_of(topic)} == {"bob", "mira"}
    assert services.toggle_topic_watch(other, topic) is False
    assert {u.username for u in services.watchers_of(topic)} == {"mira"}


def test_watchers_who_lost_access_are_left_out(db, member, mentor, mentors_only):
    topic = make_topic(author=mentor, category=mentors_only)
    services.toggle_topic_watch(mentor, topic)
    mentor.role = "member"
    assert services.watchers_of(topic) == []


def test_like_delete_restore_and_watch_over_http(db, client, sign_in, member, other):
    topic = make_topic(author=member)
    post = first_post(db, topic)
    reply = services.create_reply(other, topic, "a reply")
    db.session.commit()
    sign_in(other)
    assert client.post(f"/p/{post.id}/like").status_code == 302
    assert client.post(f"/p/{reply.id}/like").status_code == 403
    assert client.post(f"/p/{reply.id}/like").status_code == 403
    assert client.post(f"/t/{topic.id}/watch").status_code == 302
    assert client.post(f"/c/{topic.category.slug}/watch").status_code == 302
    assert client.post(f"/p/{reply.id}/delete").status_code == 302
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "Restore" in page and "Unlike" in page
    assert client.post(f"/p/{reply.id}/restore").status_code == 302
    db.session.refresh(post)
    db.session.refresh(reply)
    assert post.like_count == 1 and reply.deleted_at is None


def test_deleted_post_is_a_placeholder_for_others(db, client, sign_in, member, other):
    topic = make_topic(author=member)
    reply = services.create_reply(other, topic, "secret regret")
    services.delete_post(other, reply)
    db.session.commit()
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "secret regret" not in page and "was deleted" in page
    sign_in(member)
    assert client.post(f"/p/{reply.id}/restore").status_code == 404
