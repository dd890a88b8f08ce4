"""Network tables: connections between members and follows.

The table names keep their ``directory_`` prefix from when the network lived inside
the directory package; renaming them would need a migration for no gain.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db

CONNECTION_STATES = ("pending", "accepted", "declined")


def _pair_key(context) -> str:
    """Both directions of a pair share one key, so two members asking each other at
    the same instant cannot make two rows."""
    values = context.get_current_parameters()
    low, high = sorted((values["requester_id"], values["addressee_id"]))
    return f"{low}:{high}"


class Connection(db.Model):
    """A professional-network connection: one row per pair, whoever asked first."""

    __tablename__ = "directory_connection"
    __table_args__ = (
        sa.UniqueConstraint("requester_id", "addressee_id"),
        sa.Index("ix_directory_connection_addressee_status", "addressee_id", "status"),
        sa.Index("ix_directory_connection_requester_status", "requester_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    addressee_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    message: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    pair_key: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False, default=_pair_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    responded_at: Mapped[datetime | None] = mapped_column()
    # Set when the requester cancels a declined request during the cool-down: the row
    # stays so cancelling cannot restart the clock (see network/connections.py).
    withdrawn_at: Mapped[datetime | None] = mapped_column()

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    addressee: Mapped[User] = relationship(foreign_keys=[addressee_id])


class Follow(db.Model):
    """Following a member's public activity; one-way and needs no consent."""

    __tablename__ = "directory_follow"

    follower_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    followed_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
