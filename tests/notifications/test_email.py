"""Email for replies and mentions: after commit, once, honouring preferences."""

from __future__ import annotations

from app.notifications import services
from app.notifications.mail import outbox_messages
from app.plugins import fire
from tests.factories import make_post, make_topic, make_user


def test_a_reply_emails_the_topic_author_after_commit(app, db, reply_setup):
    author, replier, _topic, reply = reply_setup
    fire("post_created", post=reply, actor=replier)
    assert outbox_messages(app) == []
    db.session.commit()
    (message,) = outbox_messages(app)
    assert message["To"] == author.email
    assert "Rita Replier replied" in message["Subject"]
    body = message.get_content()
    assert "I have thoughts on this." in body  # plain-text excerpt, Markdown stripped
    assert "**" not in body
    assert f"{app.config['SERVER_BASE_URL']}/p/{reply.id}" in body


def test_no_email_when_the_transaction_rolls_back(app, db, reply_setup):
    _author, replier, _topic, reply = reply_setup
    db.session.commit()
    fire("post_created", post=reply, actor=replier)
    db.session.rollback()
    db.session.commit()
    assert outbox_messages(app) == []


def test_reply_email_honours_the_preference(app, db, reply_setup):
    author, replier, _topic, reply = reply_setup
    services.update_preferences(author, email_replies=False)
    fire("post_created", post=reply, actor=replier)
    db.session.commit()
    assert outbox_messages(app) == []


def test_unconfirmed_users_get_no_email(app, db):
    author = make_user(confirmed_at=None)
    topic = make_topic(author=author)
    replier = make_user()
    fire("post_created", post=make_post(topic, author=replier), actor=replier)
    db.session.commit()
    assert outbox_messages(app) == []


def test_a_mention_emails_the_mentioned_user(app, db, reply_setup):
    _author, replier, _topic, reply = reply_setup
    mentioned = make_user()
    fire("user_mentioned", post=reply, user=mentioned, actor=replier)
    db.session.commit()
    (message,) = outbox_messages(app)
    assert message["To"] == mentioned.email and "mentioned you" in message["Subject"]


def test_mention_email_honours_the_preference(app, db, reply_setup):
    _author, replier, _topic, reply = reply_setup
    mentioned = make_user()
    services.update_preferences(mentioned, email_mentions=False)
    fire("user_mentioned", post=reply, user=mentioned, actor=replier)
    db.session.commit()
    assert outbox_messages(app) == []
    assert services.unread_count(mentioned) == 1  # still notified in the app


def test_a_reply_that_mentions_the_author_sends_one_email(app, db, reply_setup):
    author, replier, _topic, reply = reply_setup
    fire("post_created", post=reply, actor=replier)
    fire("user_mentioned", post=reply, user=author, actor=replier)
    db.session.commit()
    (message,) = outbox_messages(app)
    assert "mentioned you" in message["Subject"]


def test_likes_and_watching_send_no_email(app, db, reply_setup):
    author, _replier, _topic, reply = reply_setup
    fire("post_liked", post=reply, actor=author)
    db.session.commit()
    assert outbox_messages(app) == []


def test_no_email_about_a_hidden_post(app, db, reply_setup):
    _author, replier, _topic, reply = reply_setup
    reply.hidden = True
    reply.hidden_reason = "spam"
    mentioned = make_user()
    fire("user_mentioned", post=reply, user=mentioned, actor=replier)
    db.session.commit()
    assert outbox_messages(app) == []
