"""Q&A notifications, sent through ``app.notifications.services.notify`` (which checks
the recipient can see the question, and never notifies the actor).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from werkzeug.routing import BuildError

from app.accounts.models import User
from app.extensions import db
from app.notifications.services import notify, preferences_for, queue_email
from app.qa.tags import follower_ids


def _name(actor: Any) -> str:
    return getattr(actor, "display_name", None) or "Someone"


def question_url(topic: Any, anchor: str | None = None) -> str:
    try:
        return url_for("qa.question", topic_id=topic.id, slug=topic.slug, _anchor=anchor)
    except (BuildError, RuntimeError):
        return f"/qa/q/{topic.id}-{topic.slug}" + (f"#{anchor}" if anchor else "")


def new_answer(post: Any, actor: Any) -> None:
    """Tell the asker. Tied to the post, so the forum's "replied to your topic"
    notice for the same post is folded into this one, and the reply email it would
    have sent is queued here instead (same preference, same one-per-post rule)."""
    topic = post.topic
    message = f"{_name(actor)} answered your question “{topic.title}”"
    url = question_url(topic, f"answer-{post.id}")
    asker = topic.author
    created = notify(asker, "answer", message, url, actor=actor, topic=topic, post=post)
    if created is not None and asker.is_confirmed and preferences_for(asker).email_replies:
        queue_email(asker, "reply", post, message, message, url)


def answer_accepted(post: Any, actor: Any) -> None:
    topic = post.topic
    message = f"Your answer to “{topic.title}” was accepted"
    notify(
        post.author,
        "accepted",
        message,
        question_url(topic, f"answer-{post.id}"),
        actor=actor,
        topic=topic,
    )


def comment_added(comment: Any, post: Any, actor: Any) -> None:
    topic = post.topic
    what = "question" if post.number == 1 else "answer"
    message = f"{_name(actor)} commented on your {what} in “{topic.title}”"
    notify(
        post.author,
        "comment",
        message,
        question_url(topic, f"comment-{comment.id}"),
        actor=actor,
        topic=topic,
    )


def question_asked(topic: Any, actor: Any, tags: list) -> None:
    """Followers of any of the question's tags, once each, if they can see it."""

    ids = follower_ids([tag.id for tag in tags])
    ids.discard(getattr(actor, "id", None))
    if not ids:
        return
    names = ", ".join(tag.name for tag in tags)
    message = f"{_name(actor)} asked “{topic.title}” ({names})"
    url = question_url(topic)
    for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.id)):
        notify(user, "tag", message, url, actor=actor, topic=topic)
