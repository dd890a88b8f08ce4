"""Referral tables: a referral between two partner organizations and its timeline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.core.db import utcnow
from app.extensions import db

REFERRAL_STATES = ("sent", "accepted", "declined", "in_progress", "won", "lost", "expired", "withdrawn")
REFERRAL_OPEN_STATES = ("sent", "accepted", "in_progress")
CONFIDENTIALITY_LEVELS = ("standard", "confidential")


class Referral(db.Model):
    """A customer opportunity one partner organization hands to another.

    Visible only to the staff of the two organizations and to admins. Referrals sent
    to a shortlist share a ``batch`` key: when one recipient accepts, the others close.
    """

    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_sender_org", "sender_org_id", "created_at"),
        sa.Index("ix_referral_recipient_org", "recipient_org_id", "created_at"),
        sa.CheckConstraint("sender_org_id <> recipient_org_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    sender_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False
    )
    recipient_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organization.id", ondelete="CASCADE"), nullable=False
    )
    summary: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    details: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    details_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    customer_name: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    customer_region: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    customer_industry: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    specialisms: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    estimated_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    # "confidential": the customer's name and the details reach the recipient only after it accepts.
    confidentiality: Mapped[str] = mapped_column(sa.String(15), nullable=False, default="standard")
    status: Mapped[str] = mapped_column(sa.String(15), nullable=False, default="sent", index=True)
    decline_reason: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    outcome_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    outcome_note: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    sender: Mapped[User | None] = relationship()
    sender_org: Mapped[Organization] = relationship(foreign_keys=[sender_org_id])
    recipient_org: Mapped[Organization] = relationship(foreign_keys=[recipient_org_id])
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )


class ReferralEvent(db.Model):
    """One step on a referral's timeline, seen by both sides."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, index=True
    )
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(15), nullable=False)
    note: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="")
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
