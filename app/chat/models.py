"""Chat channels, memberships and messages.

A channel is one of four kinds: ``public`` (any member may join), ``private``
(invited members), ``plugin`` (a council or user group's room whose membership a
plug-in decides, identified by ``scope_type``/``scope_id``) and ``dm`` (a fixed set
of participants). Memberships are soft-removed (``removed_at``) so the read marker
survives a re-invite and the history of who was in a room stays answerable.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.core.pagecache import register_viewer_table
from app.extensions import db

KINDS = ("public", "private", "plugin", "dm")
ROLES = ("member", "owner")


class ChatChannel(db.Model):
    __tablename__ = "chat_channel"
    __table_args__ = (sa.UniqueConstraint("scope_type", "scope_id", name="uq_chat_channel_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # Unique for named channels; DMs get a generated one.
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    topic: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    scope_type: Mapped[str | None] = mapped_column(sa.String(40))
    scope_id: Mapped[int | None] = mapped_column()

    created_by: Mapped[User | None] = relationship()

    def membership_of(self, user_id: int | None) -> ChatMembership | None:
        """The user's current (not removed) membership, or None."""
        if user_id is None or self.id is None:
            return None
        return db.session.scalar(
            sa.select(ChatMembership).where(
                ChatMembership.channel_id == self.id,
                ChatMembership.user_id == user_id,
                ChatMembership.removed_at.is_(None),
            )
        )

    def has_member(self, user_id: int | None) -> bool:
        return self.membership_of(user_id) is not None

    @property
    def room(self) -> str:
        """The Socket.IO room every member's sockets join to receive this channel."""
        return f"channel:{self.id}"

    def __repr__(self) -> str:
        return f"<ChatChannel {self.kind} {self.slug}>"


class ChatMembership(db.Model):
    __tablename__ = "chat_membership"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "user_id", name="uq_chat_membership_channel_user"),
        sa.Index("ix_chat_membership_user", "user_id", "removed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_channel.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="member")
    last_read_message_id: Mapped[int] = mapped_column(nullable=False, default=0)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column()

    channel: Mapped[ChatChannel] = relationship()
    user: Mapped[User] = relationship()


class ChatMessage(db.Model):
    __tablename__ = "chat_message"
    __table_args__ = (
        # A resend with the same client id is the same message (idempotent send).
        sa.UniqueConstraint("author_id", "client_id", name="uq_chat_message_author_client"),
        sa.Index("ix_chat_message_channel_id", "channel_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(
        sa.ForeignKey("chat_channel.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    channel: Mapped[ChatChannel] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


# Forum pages show chat only as each member's unread count in the header, so writing
# these rows invalidates members' own cached pages, never the shared ones. A new
# message names its room's members (messages.store_message).
register_viewer_table("chat_membership", owner_column="user_id")
register_viewer_table("chat_message", owner_column=None)
