"""Directory tables: custom profile fields, directory preferences, connections, referrals.

Everything a member can hide lives here rather than on ``user_account``, so the
directory's privacy rules sit beside the data they protect.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.core.db import utcnow
from app.extensions import db

FIELD_KINDS = ("text", "choice", "multi", "url")
FIELD_VISIBILITIES = ("everyone", "members", "staff")

# Built-in profile fields a member may hide from the directory, search and export.
HIDEABLE_FIELDS = (
    "job_title",
    "region",
    "country",
    "languages",
    "specialisms",
    "certifications",
    "industries",
)

CONNECTION_STATES = ("pending", "accepted", "declined")

REFERRAL_STATES = ("sent", "accepted", "declined", "in_progress", "won", "lost", "expired", "withdrawn")
REFERRAL_OPEN_STATES = ("sent", "accepted", "in_progress")
CONFIDENTIALITY_LEVELS = ("standard", "confidential")


class ProfileField(db.Model):
    """An admin-defined profile field (text, single choice, multiple choice, URL)."""

    __tablename__ = "directory_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="text")
    choices: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    help_text: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    required: Mapped[bool] = mapped_column(nullable=False, default=False)
    searchable: Mapped[bool] = mapped_column(nullable=False, default=False)
    in_directory: Mapped[bool] = mapped_column(nullable=False, default=True)
    visibility: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="members")
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class ProfileFieldValue(db.Model):
    """One member's value for one custom field; a list for multiple choice."""

    __tablename__ = "directory_field_value"
    __table_args__ = (sa.UniqueConstraint("user_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    field_id: Mapped[int] = mapped_column(
        sa.ForeignKey("directory_field.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[str | list] = mapped_column(sa.JSON, nullable=False)
    # The member's own choice to keep this value off the directory, search and export.
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    field: Mapped[ProfileField] = relationship()


class DirectoryProfile(db.Model):
    """A member's directory settings and the directory-only facts about them."""

    __tablename__ = "directory_profile"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    hidden: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Names from HIDEABLE_FIELDS the member keeps out of the directory, search and export.
    hidden_fields: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    certifications: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    industries: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    user: Mapped[User] = relationship()


class DirectoryFacet(db.Model):
    """One filterable fact about a listed member or organization, for SQL facet counts.

    Derived data, rewritten whenever a profile, organization or field changes and
    rebuildable from the tables above. A hidden member or a hidden field has no rows;
    ``visibility`` carries the field's audience so counts never include what the
    reader may not see.
    """

    __tablename__ = "directory_facet"
    __table_args__ = (
        sa.Index("ix_directory_facet_lookup", "subject_type", "facet", "value"),
        sa.Index("ix_directory_facet_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # "user" or "org"
    subject_id: Mapped[int] = mapped_column(nullable=False)
    facet: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    value: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    visibility: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="everyone")


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
    # stays so cancelling cannot restart the clock (see directory/network/connections.py).
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
