"""Creating topics and replies: validation, numbering, counters, events, watches."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.forums import services
from app.forums.models import Post, Topic, TopicWatch
from tests.factories import make_topic


def count(model) -> int:
    from app.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_create_topic_makes_topic_and_first_post(db, member, category):
    topic = services.create_topic(member, category, "  Hello   partners  ", "Welcome **all**")
    post = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id))
    assert topic.title == "Hello partners"
    assert topic.slug == "hello-partners"
    assert (topic.post_count, topic.highest_post_number, topic.last_poster_id) == (1, 1, member.id)
    assert post.number == 1 and "<strong>all</strong>" in post.body_html


def test_slug_is_ascii_with_fallback(db, member, category):
    assert services.create_topic(member, category, "Crème brûlée tips", "x").slug == "creme-brulee-tips"
    assert services.create_topic(member, category, "日本語のタイトル", "x").slug == "topic"


@pytest.mark.parametrize("title", ["", "  ", "ab", "x" * 201])
def test_bad_titles_are_refused(db, member, category, title):
    with pytest.raises(Invalid) as info:
        services.create_topic(member, category, title, "body")
    assert info.value.field == "title"


@pytest.mark.parametrize("body", ["", "   \n ", "x" * 50_001])
def test_bad_bodies_are_refused(db, member, category, body):
    with pytest.raises(Invalid) as info:
        services.create_topic(member, category, "A title", body)
    assert info.value.field == "body"


def test_topic_creation_fires_topic_and_post_events(db, member, category, events):
    topic = services.create_topic(member, category, "Events", "body")
    assert [e["topic"] for e in events.named("topic_created")] == [topic]
    assert [e["post"].number for e in events.named("post_created")] == [1]


def test_anonymous_and_suspended_users_cannot_post(db, app, member, category):
    from app.accounts.models import Anonymous

    with pytest.raises(PermissionDenied):
        services.create_topic(Anonymous(), category, "Title", "body")
    member.suspended_until = utcnow() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.create_topic(member, category, "Title", "body")


def test_topic_policy_is_enforced(db, member, admin):
    cat = services.create_category(admin, "News", "news", topic_policy="admin")
    with pytest.raises(PermissionDenied):
        services.create_topic(member, cat, "Title", "body")
    assert services.create_topic(admin, cat, "Title", "body").id


def test_restricted_category_answers_not_found(db, member, mentors_only):
    with pytest.raises(NotFound):
        services.create_topic(member, mentors_only, "Title", "body")


def test_replies_are_numbered_and_counted(db, member, other, category, events):
    topic = services.create_topic(member, category, "Numbers", "one")
    second = services.create_reply(other, topic, "two")
    third = services.create_reply(member, topic, "three", reply_to=second)
    assert (second.number, third.number) == (2, 3)
    assert third.reply_to_id == second.id
    assert (topic.post_count, topic.highest_post_number, topic.last_poster_id) == (3, 3, member.id)
    assert [e["post"].number for e in events.named("post_created")] == [1, 2, 3]


def test_authors_watch_topics_they_create_or_reply_to(db, member, other, category):
    topic = services.create_topic(member, category, "Watch me", "one")
    services.create_reply(other, topic, "two")
    watchers = {u.username for u in services.watchers_of(topic)}
    assert watchers == {"alice", "bob"}
    assert count(TopicWatch) == 2


def test_reply_to_locked_topic_is_refused_except_for_staff(db, member, moderator):
    topic = make_topic(locked=True)
    with pytest.raises(PermissionDenied, match="locked"):
        services.create_reply(member, topic, "hello")
    assert services.create_reply(moderator, topic, "staff note").number == 2


def test_reply_to_deleted_topic_is_refused(db, member, category):
    topic = services.create_topic(member, category, "Going away", "one")
    services.delete_post(member, db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id)))
    with pytest.raises(Conflict):
        services.create_reply(member, topic, "hello?")


def test_reply_to_hidden_topic_is_not_found(db, member):
    topic = make_topic(hidden=True)
    with pytest.raises(NotFound):
        services.create_reply(member, topic, "hello?")


def test_reply_to_restricted_topic_is_not_found(db, member, mentors_only):
    topic = make_topic(category=mentors_only)
    with pytest.raises(NotFound):
        services.create_reply(member, topic, "hello?")


def test_reply_to_post_of_another_topic_is_refused(db, member):
    a, b = make_topic(), make_topic()
    foreign = db.session.scalar(sa.select(Post).where(Post.topic_id == b.id))
    with pytest.raises(Invalid):
        services.create_reply(member, a, "hi", reply_to=foreign)


def test_quote_for_reply_quotes_each_line_with_attribution(db, member):
    topic = make_topic(author=member, body="first line\n\nsecond line")
    post = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id))
    quoted = services.quote_for_reply(post)
    assert quoted.startswith(f"@alice wrote in [post #1](/p/{post.id}):")
    assert "> first line\n>\n> second line" in quoted


def test_recent_posts_for_profile_shows_only_visible_posts(db, member, other, mentors_only, category):
    public = services.create_topic(member, category, "Public topic", "visible")
    make_topic(author=member, category=mentors_only)
    hidden = services.create_reply(member, public, "hidden one")
    hidden.hidden = True
    newest = services.create_reply(member, public, "newest")
    posts = services.recent_posts_for_profile(other, member)
    assert [p.body for p in posts] == [newest.body, "visible"]
    assert len(services.recent_posts_for_profile(member, member, limit=1)) == 1


def test_nothing_is_written_when_validation_fails(db, member, category):
    with pytest.raises(Invalid):
        services.create_topic(member, category, "ok title", "")
    db.session.rollback()
    assert count(Topic) == 0 and count(Post) == 0
