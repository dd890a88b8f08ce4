"""Core hook implementations of the notifications feature: domain-event listeners.

Listeners run inside the caller's transaction, so notifications land atomically with
the post, like or moderator action that caused them; email waits for the commit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.forums.models import CategoryWatch, TopicWatch
from app.notifications.links import join_requests_url, organization_url, post_url, topic_url
from app.notifications.mail import retry_queued_mail
from app.notifications.services import notify, preferences_for, queue_email
from app.plugins import hookimpl


def _name(actor: Any) -> str:
    return getattr(actor, "display_name", None) or "Someone"


def _email_reply(user: User, post: Any, actor: Any, message: str, url: str) -> None:
    if user.is_confirmed and preferences_for(user).email_replies:
        queue_email(user, "reply", post, f"{_name(actor)} replied in “{post.topic.title}”", message, url)


@hookimpl
def post_created(post: Any, actor: Any) -> None:
    """Tell the topic author, the author replied to, and watchers about a new post."""
    topic = post.topic
    url = post_url(post)
    name = _name(actor)
    notified: set[int] = set()

    if post.number != 1:
        message = f"{name} replied to your topic “{topic.title}”"
        if notify(topic.author, "reply", message, url, actor=actor, topic=topic, post=post):
            notified.add(topic.author_id)
            _email_reply(topic.author, post, actor, message, url)

    parent = post.reply_to
    if parent is not None and parent.author_id not in notified:
        message = f"{name} replied to your post in “{topic.title}”"
        if notify(parent.author, "reply", message, url, actor=actor, topic=topic, post=post):
            notified.add(parent.author_id)
            _email_reply(parent.author, post, actor, message, url)

    watcher_ids = set(
        db.session.scalars(sa.select(TopicWatch.user_id).where(TopicWatch.topic_id == topic.id))
    )
    watcher_ids |= set(
        db.session.scalars(
            sa.select(CategoryWatch.user_id).where(CategoryWatch.category_id == topic.category_id)
        )
    )
    watcher_ids -= notified
    watcher_ids.discard(getattr(actor, "id", None))
    if post.number == 1:
        watcher_ids.discard(topic.author_id)
    if not watcher_ids:
        return
    if post.number == 1:
        message = f"{name} started a new topic “{topic.title}” in {topic.category.name}"
    else:
        message = f"{name} posted in “{topic.title}”"
    for user in db.session.scalars(sa.select(User).where(User.id.in_(watcher_ids)).order_by(User.id)):
        if preferences_for(user).notify_watching:
            notify(user, "watching", message, url, actor=actor, topic=topic, post=post)


@hookimpl
def user_mentioned(post: Any, user: Any, actor: Any) -> None:
    url = post_url(post)
    message = f"{_name(actor)} mentioned you in “{post.topic.title}”"
    created = notify(user, "mention", message, url, actor=actor, topic=post.topic, post=post)
    if created and user.is_confirmed and preferences_for(user).email_mentions:
        queue_email(user, "mention", post, message, message, url)


@hookimpl
def post_liked(post: Any, actor: Any) -> None:
    author = post.author
    if author is None or not preferences_for(author).notify_likes:
        return
    message = f"{_name(actor)} liked your post in “{post.topic.title}”"
    notify(author, "like", message, post_url(post), actor=actor, topic=post.topic, post=post)


# Moderation notices concern the author's own content and must reach them even when
# that content is now hidden, so they are not tied to the post/topic (which would
# filter them out and deduplicate them against likes or replies).


@hookimpl
def post_hidden(post: Any, actor: Any, reason: str) -> None:
    notify(post.author, "moderation", f"A moderator hid your post: {reason}", post_url(post), actor=actor)


@hookimpl
def post_unhidden(post: Any, actor: Any) -> None:
    message = f"A moderator made your post in “{post.topic.title}” visible again"
    notify(post.author, "moderation", message, post_url(post), actor=actor)


_TOPIC_VERBS = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned", "move": "moved"}


@hookimpl
def topic_moderated(topic: Any, actor: Any, action: str, reason: str) -> None:
    verb = _TOPIC_VERBS.get(action, action)
    message = f"A moderator {verb} your topic “{topic.title}”"
    if action == "move":
        message += f" to {topic.category.name}"
    if reason:
        message += f": {reason}"
    notify(topic.author, "moderation", message, topic_url(topic), actor=actor)


@hookimpl
def organization_join_request_changed(join_request: Any, actor: Any, kind: str) -> None:
    """A request to join an organization goes to its admins; their answer goes back."""
    org = join_request.organization
    if kind == "requested":
        admins = db.session.scalars(
            sa.select(User).where(User.organization_id == org.id, User.is_org_admin.is_(True))
        ).all()
        if not admins:  # nobody in the organization can answer: the site's admins do
            admins = db.session.scalars(sa.select(User).where(User.role == "admin")).all()
        url = join_requests_url(org)
        for admin in admins:
            notify(admin, "organization", f"{_name(actor)} asked to join {org.name}", url, actor=actor)
        return
    verb = "approved" if kind == "approved" else "declined"
    url = organization_url(org)
    notify(join_request.user, "organization", f"Your request to join {org.name} was {verb}", url, actor=actor)


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    # Email a failed send (or a process killed after its commit) left in mail_queue.
    return [
        {
            "name": "mail.retry",
            "func": retry_queued_mail,
            "every": 60,
            "description": "Send queued email a failure or a crash left behind; prune sent mail",
        }
    ]
