"""Flags, the review queue and the moderators' audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db
from app.forums.models import Post

FLAG_REASONS = (
    ("spam", "Spam"),
    ("inappropriate", "Inappropriate"),
    ("off-topic", "Off-topic"),
    ("confidential", "Shares confidential information"),
    ("other", "Something else"),
)


class Flag(db.Model):
    __tablename__ = "moderation_flag"
    __table_args__ = (sa.Index("ix_moderation_flag_open", "resolved_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("forum_post.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(sa.String(20))  # agreed | dismissed

    post: Mapped[Post] = relationship()
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class AuditEntry(db.Model):
    """One moderator action: who did what to which target, why and when. Append-only."""

    __tablename__ = "moderation_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    target_id: Mapped[int] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    details: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)

    actor: Mapped[User | None] = relationship()
