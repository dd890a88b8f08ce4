"""Event listeners: which domain events notify whom, and never leak private content."""

from __future__ import annotations

import sqlalchemy as sa

from app.forums.models import CategoryWatch, Mention, TopicWatch
from app.notifications import services
from app.notifications.models import Notification
from app.plugins import fire
from tests.factories import make_category, make_post, make_topic, make_user
from tests.notifications.conftest import opening_post


def notifications_for(db, user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def test_a_reply_notifies_the_topic_author(db, reply_setup):
    author, replier, _topic, reply = reply_setup
    fire("post_created", post=reply, actor=replier)
    (n,) = notifications_for(db, author)
    assert n.kind == "reply"
    assert n.message == "Rita Replier replied to your topic “Deal registration”"
    assert n.url == f"/p/{reply.id}" and n.post_id == reply.id and n.actor_id == replier.id
    assert notifications_for(db, replier) == []


def test_the_opening_post_does_not_notify_its_own_author(db):
    author = make_user()
    topic = make_topic(author=author)
    fire("post_created", post=opening_post(topic), actor=author)
    assert notifications_for(db, author) == []


def test_a_reply_to_a_post_notifies_that_posts_author(db, reply_setup):
    author, replier, topic, reply = reply_setup
    third = make_user(display_name="Third")
    answer = make_post(topic, author=third, reply_to=reply)
    fire("post_created", post=answer, actor=third)
    (to_replier,) = notifications_for(db, replier)
    assert to_replier.message == "Third replied to your post in “Deal registration”"
    assert [n.kind for n in notifications_for(db, author)] == ["reply"]


def test_topic_and_category_watchers_hear_about_new_posts(db, reply_setup):
    _author, replier, topic, reply = reply_setup
    topic_watcher, category_watcher = make_user(), make_user()
    db.session.add_all(
        [
            TopicWatch(user_id=topic_watcher.id, topic_id=topic.id),
            CategoryWatch(user_id=category_watcher.id, category_id=topic.category_id),
            TopicWatch(user_id=replier.id, topic_id=topic.id),
        ]
    )
    db.session.flush()
    fire("post_created", post=reply, actor=replier)
    for watcher in (topic_watcher, category_watcher):
        (n,) = notifications_for(db, watcher)
        assert n.kind == "watching" and n.message == "Rita Replier posted in “Deal registration”"
    assert notifications_for(db, replier) == []


def test_category_watchers_hear_about_new_topics(db):
    category = make_category(name="Marketing")
    watcher, author = make_user(), make_user(display_name="Ann")
    db.session.add(CategoryWatch(user_id=watcher.id, category_id=category.id))
    topic = make_topic(author=author, category=category, title="Co-op funds")
    fire("post_created", post=opening_post(topic), actor=author)
    (n,) = notifications_for(db, watcher)
    assert n.message == "Ann started a new topic “Co-op funds” in Marketing"


def test_watchers_who_turned_watching_off_hear_nothing(db, reply_setup):
    _author, replier, topic, reply = reply_setup
    watcher = make_user()
    db.session.add(TopicWatch(user_id=watcher.id, topic_id=topic.id))
    services.update_preferences(watcher, notify_watching=False)
    fire("post_created", post=reply, actor=replier)
    assert notifications_for(db, watcher) == []


def test_watchers_of_a_restricted_category_they_cannot_read_get_nothing(db):
    private = make_category(view_policy="moderator,admin")
    member, moderator = make_user(), make_user(role="moderator")
    db.session.add(CategoryWatch(user_id=member.id, category_id=private.id))
    topic = make_topic(author=moderator, category=private)
    db.session.add(TopicWatch(user_id=member.id, topic_id=topic.id))
    reply = make_post(topic, author=make_user(role="admin"))
    fire("post_created", post=reply, actor=reply.author)
    assert notifications_for(db, member) == []
    assert [n.kind for n in notifications_for(db, moderator)] == ["reply"]


def test_a_mention_notifies_the_mentioned_user(db, reply_setup):
    _author, replier, _topic, reply = reply_setup
    mentioned = make_user()
    fire("user_mentioned", post=reply, user=mentioned, actor=replier)
    (n,) = notifications_for(db, mentioned)
    assert (n.kind, n.message) == ("mention", "Rita Replier mentioned you in “Deal registration”")


def test_a_mention_in_a_restricted_category_the_member_cannot_read_gives_nothing(db):
    private = make_category(view_policy="admin")
    admin = make_user(role="admin")
    member = make_user()
    post = make_post(make_topic(author=admin, category=private), author=admin, body=f"@{member.username}")
    db.session.add(Mention(post_id=post.id, user_id=member.id))
    fire("user_mentioned", post=post, user=member, actor=admin)
    assert notifications_for(db, member) == []


def test_a_reply_that_mentions_the_topic_author_gives_one_mention(db, reply_setup):
    author, replier, _topic, reply = reply_setup
    fire("post_created", post=reply, actor=replier)
    fire("user_mentioned", post=reply, user=author, actor=replier)
    (n,) = notifications_for(db, author)
    assert n.kind == "mention"


def test_a_like_notifies_the_post_author_unless_they_opted_out(db, reply_setup):
    author, replier, topic, reply = reply_setup
    fire("post_liked", post=reply, actor=author)
    (n,) = notifications_for(db, replier)
    assert (n.kind, n.message) == ("like", "Topic Author liked your post in “Deal registration”")
    other_post = make_post(topic, author=replier)
    services.update_preferences(replier, notify_likes=False)
    fire("post_liked", post=other_post, actor=author)
    assert len(notifications_for(db, replier)) == 1


def test_hiding_a_post_tells_its_author_with_the_reason_even_though_it_is_hidden(db, reply_setup):
    author, replier, _topic, reply = reply_setup
    moderator = make_user(role="moderator")
    fire("post_liked", post=reply, actor=author)
    reply.hidden = True
    fire("post_hidden", post=reply, actor=moderator, reason="off-topic rant")
    messages = [n.message for n in notifications_for(db, replier) if n.kind == "moderation"]
    assert messages == ["A moderator hid your post: off-topic rant"]
    assert services.unread_count(replier) == 1  # the like is about now-hidden content
    assert [n.message for n in services.list_notifications(replier).items] == messages


def test_unhiding_and_topic_moderation_tell_the_author(db, reply_setup):
    author, replier, topic, reply = reply_setup
    moderator = make_user(role="moderator")
    fire("post_unhidden", post=reply, actor=moderator)
    fire("topic_moderated", topic=topic, actor=moderator, action="lock", reason="resolved")
    fire("topic_moderated", topic=topic, actor=moderator, action="move", reason="")
    assert [n.message for n in notifications_for(db, replier)] == [
        "A moderator made your post in “Deal registration” visible again"
    ]
    assert [n.message for n in notifications_for(db, author)] == [
        "A moderator locked your topic “Deal registration”: resolved",
        f"A moderator moved your topic “Deal registration” to {topic.category.name}",
    ]


def test_moderators_acting_on_their_own_content_get_no_notice(db):
    moderator = make_user(role="moderator")
    topic = make_topic(author=moderator)
    fire("topic_moderated", topic=topic, actor=moderator, action="pin", reason="")
    assert notifications_for(db, moderator) == []
