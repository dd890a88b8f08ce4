"""Notification services: create (permission-checked, deduplicated), list, read, and
per-user preferences; email for replies, mentions and the kinds plug-ins declare.

A notification never leaks content: it is created only for a post or topic the
recipient may see, and at view time it is shown (and counted) only while that is
still true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session, aliased

from app.accounts.models import User
from app.core import live
from app.core.db import after_commit_released, utcnow
from app.core.errors import NotFound
from app.core.pagination import PageLinks
from app.core.permissions import can, require
from app.core.sanitize import plain_text
from app.core.settings import get_setting
from app.extensions import db
from app.forums.models import Post, Topic
from app.notifications.kinds import PluginKind, kind_choice, plugin_kinds
from app.notifications.links import preferences_url
from app.notifications.mail import send_email
from app.notifications.models import KINDS, Notification, NotificationPreference
from app.plugins import fire

MESSAGE_MAX = 300
PER_PAGE = 30
# When one post gives a user several reasons to hear about it, the strongest wins.
_RANK = {
    "mention": 5,
    "quote": 4,
    "accepted": 4,
    "answer": 3,
    "reply": 2,
    "comment": 2,
    "watching": 1,
    "tag": 1,
    "like": 1,
}
_PENDING_MAIL_KEY = "guildhall_notification_mail"


# --- preferences -------------------------------------------------------------------


def preferences_for(user: Any) -> NotificationPreference:
    """The user's preferences; when they never changed them, the site's defaults (the
    ``notification_defaults`` setting an admin chooses), not stored, so a member who
    never chose follows a later change of the defaults."""
    prefs = db.session.get(NotificationPreference, user.id)
    if prefs is None:
        prefs = NotificationPreference(user_id=user.id, **get_setting("notification_defaults"))
    return prefs


def update_preferences(actor: Any, **values: bool) -> NotificationPreference:
    """Store the actor's own delivery preferences."""
    require(actor, "notifications.view")
    prefs = db.session.get(NotificationPreference, actor.id)
    if prefs is None:
        prefs = NotificationPreference(user_id=actor.id, **get_setting("notification_defaults"))
        db.session.add(prefs)
    for name in ("email_replies", "email_mentions", "notify_likes", "notify_watching"):
        if name in values:
            setattr(prefs, name, bool(values[name]))
    db.session.flush()
    return prefs


# --- creating ----------------------------------------------------------------------


def _may_see(user: Any, topic: Any, post: Any) -> bool:
    if post is not None and not can(user, "post.view", post):
        return False
    return not (topic is not None and not can(user, "topic.view", topic))


def notify(
    user: Any,
    kind: str,
    message: str,
    url: str,
    actor: Any = None,
    topic: Any = None,
    post: Any = None,
) -> Notification | None:
    """Create an in-app notification, or return ``None`` when it must not exist.

    Never for the actor themselves, never about content the recipient cannot see, and
    at most one per (user, post): a stronger reason (a mention) upgrades a weaker one
    (a reply) instead of adding a second row.

    A kind a plug-in declares (``notification_kinds``) follows the recipient's choice
    for it here, since plug-ins call this directly: the email is queued when they
    chose email, and ``None`` is returned when they turned the in-app notice off.
    """
    plugin_kind = None
    if kind not in KINDS:
        plugin_kind = plugin_kinds().get(kind)
        if plugin_kind is None:
            raise ValueError(f"unknown notification kind {kind!r}")
    if user is None or getattr(user, "id", None) is None:
        return None
    if actor is not None and getattr(actor, "id", None) == user.id:
        return None
    if post is not None and topic is None:
        topic = post.topic
    if not _may_see(user, topic, post):
        return None
    message = message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 1] + "…"
    if plugin_kind is not None:
        choice = kind_choice(user, plugin_kind)
        if choice.email:
            queue_kind_email(user, plugin_kind, message, url)
        if not choice.in_app:
            return None
    if post is not None:
        existing = db.session.scalar(
            sa.select(Notification).where(Notification.user_id == user.id, Notification.post_id == post.id)
        )
        if existing is not None:
            if _RANK.get(kind, 0) <= _RANK.get(existing.kind, 0):
                return None
            existing.kind = kind
            existing.message = message
            existing.url = url
            existing.actor_id = getattr(actor, "id", None)
            existing.read_at = None
            existing.created_at = utcnow()
            db.session.flush()
            push_unread_count_after_commit(user.id)
            return existing
    notification = Notification(
        user_id=user.id,
        kind=kind,
        message=message,
        url=url,
        actor_id=getattr(actor, "id", None),
        topic_id=getattr(topic, "id", None),
        post_id=getattr(post, "id", None),
    )
    db.session.add(notification)
    db.session.flush()
    push_unread_count_after_commit(user.id)
    return notification


def queue_email(user: Any, kind: str, post: Any, subject: str, intro: str, url: str) -> None:
    """Plan an email about ``post`` for ``user``; sent when the transaction commits.

    Kept per (user, post) until commit so that a reply which also mentions the user
    sends one email (the mention), whichever event fired first.
    """
    pending: dict = db.session.info.setdefault(_PENDING_MAIL_KEY, {})
    key = (user.id, post.id)
    previous = pending.get(key)
    if previous is not None and _RANK.get(kind, 0) <= _RANK.get(previous["kind"], 0):
        return
    base = current_app.config.get("SERVER_BASE_URL", "").rstrip("/")
    excerpt = plain_text(post.body, limit=500)
    text = f"{intro}\n\n{excerpt}\n\nRead it on {current_app.config.get('SITE_NAME', 'Guildhall')}: {base}{url}\n"
    text += "\nYou can change which emails you receive in your notification preferences.\n"
    pending[key] = {"kind": kind, "to": user.email, "subject": subject, "text": text}


def queue_kind_email(user: Any, kind: PluginKind, message: str, url: str) -> None:
    """Plan the email for a plug-in kind's notification; built and sent at commit,
    once per (user, kind, url) however often the transaction notified them."""
    if not getattr(user, "is_confirmed", False) or not getattr(user, "email", None):
        return
    pending: dict = db.session.info.setdefault(_PENDING_MAIL_KEY, {})
    pending[("kind", user.id, kind.name, url)] = {
        "kind": kind.name,
        "user_id": user.id,
        "label": kind.label,
        "message": message,
        "url": url,
    }


def _kind_email(mail: dict) -> tuple[str, str, str, str] | None:
    """(to, subject, text, html) for a plug-in kind's email, or ``None`` when it must
    not go: the recipient is gone or unconfirmed, or the plug-in says (asked now, as
    the mail is built) they may no longer see what it is about, e.g. a former member."""
    user = db.session.get(User, mail["user_id"])
    if user is None or not user.is_confirmed or not user.email:
        return None
    answers = fire("notification_may_reach", user=user, kind=mail["kind"], url=mail["url"])
    if any(answer is False for answer in answers):
        return None
    base = current_app.config.get("SERVER_BASE_URL", "").rstrip("/")
    context = {
        "user": user,
        "message": mail["message"],
        "label": mail["label"],
        "link": f"{base}{mail['url']}",
        "preferences_link": f"{base}{preferences_url()}",
        "site_name": current_app.config.get("SITE_NAME", "Guildhall"),
    }
    text = render_template("email/notification.txt", **context)
    html = render_template("email/notification.html", **context)
    return user.email, mail["message"], text, html


@event.listens_for(Session, "before_commit")
def _send_pending_mail(session: Session) -> None:
    pending = session.info.pop(_PENDING_MAIL_KEY, None)
    if not pending:
        return

    for key, mail in pending.items():
        if key[0] == "kind":
            built = _kind_email(mail)
            if built is not None:
                to, subject, text, html = built
                send_email(to, subject, text, html=html)
            continue
        send_email(mail["to"], mail["subject"], mail["text"])


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_mail(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING_MAIL_KEY, None)


# --- reading -----------------------------------------------------------------------


def _visible_filter(query: sa.Select) -> sa.Select:
    """Drop notifications whose post or topic has since been hidden or deleted."""
    post = aliased(Post)
    topic = aliased(Topic)
    return (
        query.outerjoin(post, post.id == Notification.post_id)
        .outerjoin(topic, topic.id == Notification.topic_id)
        .where(
            sa.or_(
                Notification.post_id.is_(None), sa.and_(post.hidden.is_(False), post.deleted_at.is_(None))
            ),
            sa.or_(
                Notification.topic_id.is_(None), sa.and_(topic.hidden.is_(False), topic.deleted_at.is_(None))
            ),
        )
    )


_UNREAD_COUNT: sa.Select | None = None


def _unread_count_statement() -> sa.Select:
    """Built once: every page shows the badge, and building the query (two aliases, a
    fresh cache key each time) cost ten times more than running it."""
    global _UNREAD_COUNT
    if _UNREAD_COUNT is None:
        query = (
            sa.select(sa.func.count(Notification.id))
            .select_from(Notification)
            .where(Notification.user_id == sa.bindparam("user_id"), Notification.read_at.is_(None))
        )
        _UNREAD_COUNT = _visible_filter(query)
    return _UNREAD_COUNT


def unread_count(actor: Any) -> int:
    """Unread in-app notifications for the header badge: one indexed query."""
    if getattr(actor, "id", None) is None:
        return 0
    return db.session.scalar(_unread_count_statement(), {"user_id": actor.id}) or 0


# The live event carrying a member's unread count to their open pages (static/js/live.js).
UNREAD_COUNT_EVENT = "notification_count"


def push_unread_count_after_commit(user_id: int) -> None:
    """Once this transaction commits, send ``user_id``'s new unread count to their own
    live room only (``app/core/live.py``), so the header badge on every page they have
    open follows without a reload."""

    def push() -> None:
        # The session cannot run SQL inside its own after-commit: count on a pooled
        # connection of the same engine, which sees the committed rows. Run once the
        # committed connection is back in the pool, so a thread never holds two.
        with db.engine.connect() as connection:
            count = connection.execute(_unread_count_statement(), {"user_id": user_id}).scalar() or 0
        live.emit_to_user(UNREAD_COUNT_EVENT, {"unread": int(count)}, user_id)

    after_commit_released(db.session, push)


def is_visible_to(notification: Notification, actor: Any) -> bool:
    """Whether the content a notification points at is still visible to ``actor``."""
    post = db.session.get(Post, notification.post_id) if notification.post_id else None
    topic = db.session.get(Topic, notification.topic_id) if notification.topic_id else None
    return _may_see(actor, topic, post)


@dataclass
class NotificationPage(PageLinks):
    items: list[Notification]
    page: int
    pages: int
    # Notification id -> the text a feature gave for this reader (``notification_text``).
    texts: dict[int, str] = field(default_factory=dict)


def notification_texts(actor: Any, items: list[Notification]) -> dict[int, str]:
    """What features want the reader to see for each notification, asked now rather
    than stored: a referral's summary is named only while the reader may see it."""
    texts: dict[int, str] = {}
    for notification in items:
        answers = [a for a in fire("notification_text", notification=notification, viewer=actor) if a]
        if answers:
            texts[notification.id] = answers[0][:MESSAGE_MAX]
    return texts


def list_notifications(actor: Any, page: int = 1, per_page: int = PER_PAGE) -> NotificationPage:
    """The actor's notifications newest first, without those about content they can no
    longer see (hidden or deleted in SQL; category access changes checked per item)."""
    require(actor, "notifications.view")
    query = sa.select(Notification).where(Notification.user_id == actor.id)
    query = _visible_filter(query).order_by(Notification.created_at.desc(), Notification.id.desc())
    result = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)
    items = [n for n in result.items if is_visible_to(n, actor)]
    return NotificationPage(
        items=items, page=result.page, pages=max(result.pages, 1), texts=notification_texts(actor, items)
    )


def get_own_notification(actor: Any, notification_id: int) -> Notification:
    """One of the actor's notifications; anyone else's answers 404."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or getattr(actor, "id", None) != notification.user_id:
        raise NotFound()
    return notification


def mark_read(actor: Any, notification: Notification) -> Notification:
    if notification.user_id != getattr(actor, "id", None):
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
        push_unread_count_after_commit(notification.user_id)
    return notification


def mark_all_read(actor: Any) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    require(actor, "notifications.view")
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(pagecache_users=[actor.id])
    )
    db.session.flush()
    if result.rowcount:
        push_unread_count_after_commit(actor.id)
    return result.rowcount or 0
