"""In-app notifications and per-user delivery preferences."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.core.pagecache import register_bookkeeping_table
from app.extensions import db

# Core kinds, then Q&A's (answer to my question, my answer accepted, comment on my
# post, new question in a tag I follow).
KINDS = (
    "reply",
    "mention",
    "like",
    "moderation",
    "quote",
    "watching",
    "answer",
    "accepted",
    "comment",
    "tag",
    "connection",
    "referral",
    "organization",
)


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_topic.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class NotificationPreference(db.Model):
    """One row per user who changed a default; absent row means the defaults."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email_replies: Mapped[bool] = mapped_column(nullable=False, default=True)
    email_mentions: Mapped[bool] = mapped_column(nullable=False, default=True)
    notify_likes: Mapped[bool] = mapped_column(nullable=False, default=True)
    notify_watching: Mapped[bool] = mapped_column(nullable=False, default=True)


class NotificationKindPreference(db.Model):
    """A member's choice for one kind a plug-in declares through ``notification_kinds``.

    Keyed by the kind's name, so a plug-in's kinds need no core column; no row means
    the plug-in's declared default, and the rows of a disabled plug-in are never read
    (they come back into force if the plug-in is enabled again).
    """

    __tablename__ = "notification_kind_preference"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    in_app: Mapped[bool] = mapped_column(nullable=False)
    email: Mapped[bool] = mapped_column(nullable=False)


class QueuedMail(db.Model):
    """One outgoing email, written in the transaction that decided to send it.

    The row is the durable promise to deliver: it lands (or rolls back) with the write
    that caused it, is sent right after the commit, and a failed send keeps it here for
    the worker's ``mail.retry`` job (:mod:`app.notifications.mail`). ``message`` is the
    whole RFC 5322 message, so a retry sends exactly what was built (same Message-ID).
    A sender claims a row by moving ``next_attempt_at`` a lease ahead under its own
    ``claim_token`` in one conditional UPDATE, so two senders never send one row twice.
    """

    __tablename__ = "mail_queue"
    __table_args__ = (sa.Index("ix_mail_queue_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    recipient: Mapped[str] = mapped_column(sa.String(320), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    message: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column()


# No cached page shows the queue (only the uncached admin pages), so queueing or
# sending a message must not invalidate anyone's cached pages.
register_bookkeeping_table(QueuedMail.__tablename__)
