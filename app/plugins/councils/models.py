"""Advisory council tables, all prefixed ``council_`` (the plug-in's own Alembic branch).

A seat is a ``CouncilMembership`` row; ``Council.seats_taken`` counts the voting seats
(chair, co-chair, member) so that granting a seat is one conditional UPDATE: when
two chairs grant the last seat at once, the database lets exactly one through.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organization, User
from app.core.db import utcnow
from app.extensions import db

SCOPES = ("global", "region")
ROLES = ("chair", "co_chair", "member", "observer")
ROLE_LABELS = {"chair": "Chair", "co_chair": "Co-chair", "member": "Member", "observer": "Vendor observer"}
VOTING_ROLES = frozenset({"chair", "co_chair", "member"})
CHAIR_ROLES = frozenset({"chair", "co_chair"})
RULE_KINDS = ("tier", "type", "region")
RULE_KIND_LABELS = {"tier": "partner tier", "type": "partner type", "region": "region"}
MEMBERSHIP_STATUSES = ("active", "ended", "removed")
APPLICATION_KINDS = ("application", "invitation")
APPLICATION_STATUSES = ("pending", "granted", "declined", "withdrawn")


class Council(db.Model):
    __tablename__ = "council"
    __table_args__ = (sa.CheckConstraint("seats_taken <= seats", name="seats_within_limit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    scope: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="global")
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    seats: Mapped[int] = mapped_column(nullable=False, default=12)
    seats_taken: Mapped[int] = mapped_column(nullable=False, default=0)
    term_months: Mapped[int] = mapped_column(nullable=False, default=24)
    charter_version: Mapped[int] = mapped_column(nullable=False, default=0)
    applications_open_from: Mapped[date | None] = mapped_column(sa.Date)
    applications_open_until: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    charters: Mapped[list[CouncilCharter]] = relationship(
        back_populates="council", order_by="CouncilCharter.version", cascade="all, delete-orphan"
    )
    seat_rules: Mapped[list[CouncilSeatRule]] = relationship(
        back_populates="council", order_by="CouncilSeatRule.id", cascade="all, delete-orphan"
    )

    @property
    def scope_label(self) -> str:
        return f"Region: {self.region}" if self.scope == "region" else "Global"


class CouncilCharter(db.Model):
    """One version of a council's charter and confidentiality terms (Markdown, with the
    sanitized HTML stored beside it)."""

    __tablename__ = "council_charter"
    __table_args__ = (sa.UniqueConstraint("council_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    council: Mapped[Council] = relationship(back_populates="charters")


class CouncilSeatRule(db.Model):
    """At most ``max_seats`` voting seats for organizations of one tier, type or region."""

    __tablename__ = "council_seat_rule"
    __table_args__ = (sa.UniqueConstraint("council_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    value: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    max_seats: Mapped[int] = mapped_column(nullable=False)

    council: Mapped[Council] = relationship(back_populates="seat_rules")

    @property
    def description(self) -> str:
        return f"at most {self.max_seats} seat(s) for {RULE_KIND_LABELS[self.kind]} “{self.value}”"


class CouncilMembership(db.Model):
    """A seat (or an observer's place). One row per council and user; a re-granted
    seat reuses it. Access needs ``status == "active"`` and today before ``term_end``."""

    __tablename__ = "council_membership"
    __table_args__ = (sa.UniqueConstraint("council_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organization.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="member")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="active")
    term_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    term_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    override_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    ending_notified: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column()

    council: Mapped[Council] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organization: Mapped[Organization | None] = relationship()

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def votes(self) -> bool:
        return self.role in VOTING_ROLES


class CouncilApplication(db.Model):
    """A partner's application (with a statement) or a chair's invitation."""

    __tablename__ = "council_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="application")
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="member")
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()

    council: Mapped[Council] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CouncilAcceptance(db.Model):
    """A member accepted charter ``version`` (and its confidentiality terms) at ``accepted_at``."""

    __tablename__ = "council_acceptance"
    __table_args__ = (sa.UniqueConstraint("council_id", "user_id", "charter_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    charter_version: Mapped[int] = mapped_column(nullable=False)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


DOCUMENT_KINDS = ("link", "note")


class CouncilDocument(db.Model):
    """A document in a council's private space: a link (http or https only) or a
    Markdown note whose sanitized HTML is stored beside it. Chairs add, edit and
    remove them; a removed document is deleted, so nothing of it lingers for search
    or export."""

    __tablename__ = "council_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="link")
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def host(self) -> str:
        """The site a link points to, shown beside it so members see where it leads."""
        return (urlsplit(self.url).hostname or "") if self.kind == "link" else ""
