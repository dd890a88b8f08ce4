"""@mentions: linked in text, left alone in code, recorded, notified once."""

from __future__ import annotations

import sqlalchemy as sa

from app.forums import services
from app.forums.models import Mention, Post
from tests.factories import make_topic


def first_post(db, topic) -> Post:
    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def test_mention_of_existing_user_becomes_a_profile_link(db, member, other, category):
    topic = services.create_topic(member, category, "Hi there", "Thanks @bob!")
    html = first_post(db, topic).body_html
    assert '<a class="mention" href="/u/bob">@bob</a>' in html


def test_unknown_users_and_emails_are_left_alone(db, member, other, category):
    topic = services.create_topic(member, category, "Hi there", "Hey @nobody, mail me@bob.example")
    html = first_post(db, topic).body_html
    assert "mention" not in html


def test_mentions_in_code_are_not_linked(db, member, other, category):
    body = "Inline `@bob` and\n\n```\n@bob in a block\n```\n"
    topic = services.create_topic(member, category, "Code", body)
    post = first_post(db, topic)
    assert "mention" not in post.body_html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Mention)) == 0


def test_mentions_are_stored_and_announced_to_readers_only(db, member, other, mentor, events):
    topic = make_topic(author=member)
    post = services.create_reply(member, topic, "@bob and @mira and @alice")
    stored = set(db.session.scalars(sa.select(Mention.user_id).where(Mention.post_id == post.id)))
    assert stored == {other.id, mentor.id}
    assert {e["user"].username for e in events.named("user_mentioned")} == {"bob", "mira"}


def test_users_who_cannot_see_the_post_are_not_notified(db, member, other, mentor, mentors_only, events):
    topic = make_topic(author=mentor, category=mentors_only)
    services.create_reply(mentor, topic, "ping @bob")
    assert events.named("user_mentioned") == []


def test_editing_notifies_only_newly_added_mentions(db, member, other, mentor, events):
    topic = make_topic(author=member)
    post = services.create_reply(member, topic, "hello @bob")
    services.edit_post(member, post, "hello @bob and @mira")
    assert [e["user"].username for e in events.named("user_mentioned")] == ["bob", "mira"]
