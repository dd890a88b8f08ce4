"""Council meetings, motions, feedback and action items (tables prefixed ``council_``).

Anonymous ballots: a ``CouncilBallot`` row records only *that* a member voted (so
nobody votes twice); the choice goes to ``CouncilTally`` as a bare counter with no
voter and no time. No row anywhere links a voter to a choice, so nobody, admins and
database readers included, can see who voted what.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db

AGENDA_KINDS = ("information", "discussion", "decision")
AGENDA_KIND_LABELS = {"information": "Information", "discussion": "Discussion", "decision": "Decision"}
# "council": everyone with a place on the council; "chairs": chairs, co-chairs and admins.
CONFIDENTIALITY = ("council", "chairs")
CONFIDENTIALITY_LABELS = {"council": "Council members", "chairs": "Chairs only"}
CHOICES = ("yes", "no", "abstain")
QUORUM_KINDS = ("count", "share")
FEEDBACK_STATUSES = ("received", "under_review", "planned", "shipped", "declined")
FEEDBACK_STATUS_LABELS = {
    "received": "Received",
    "under_review": "Under review",
    "planned": "Planned",
    "shipped": "Shipped",
    "declined": "Declined",
}
ACTION_STATUSES = ("open", "done", "dropped")


class CouncilMeeting(db.Model):
    """``starts_at`` is naive UTC; ``timezone`` (IANA) is how the chair wrote it and how
    the page shows it."""

    __tablename__ = "council_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(nullable=False)
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="UTC")
    location: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    link: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    items: Mapped[list[CouncilAgendaItem]] = relationship(
        back_populates="meeting", order_by="CouncilAgendaItem.position", cascade="all, delete-orphan"
    )


class CouncilAgendaItem(db.Model):
    __tablename__ = "council_agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_meeting.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="information")
    confidentiality: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="council")
    # Embargoed summary: shown on the council's public page from ``public_after`` on.
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    summary_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    public_after: Mapped[date | None] = mapped_column(sa.Date)

    meeting: Mapped[CouncilMeeting] = relationship(back_populates="items")
    minutes: Mapped[CouncilMinutes | None] = relationship(
        back_populates="item", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return AGENDA_KIND_LABELS.get(self.kind, self.kind)

    @property
    def confidentiality_label(self) -> str:
        return CONFIDENTIALITY_LABELS.get(self.confidentiality, self.confidentiality)


class CouncilMinutes(db.Model):
    """The chair's minutes for one agenda item; members read them once published."""

    __tablename__ = "council_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_agenda_item.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    written_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column()

    item: Mapped[CouncilAgendaItem] = relationship(back_populates="minutes")


class CouncilMotion(db.Model):
    """A motion put to the voting members. The result columns are written once, when
    the motion closes, so the result never moves after the close."""

    __tablename__ = "council_motion"
    __table_args__ = (sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False, index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_meeting.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    text_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    quorum_kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="share")
    quorum_value: Mapped[int] = mapped_column(nullable=False, default=50)
    anonymous: Mapped[bool] = mapped_column(nullable=False, default=False)
    opens_at: Mapped[datetime] = mapped_column(nullable=False)
    closes_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    opened_notified: Mapped[bool] = mapped_column(nullable=False, default=False)
    closing_notified: Mapped[bool] = mapped_column(nullable=False, default=False)
    closed_at: Mapped[datetime | None] = mapped_column()
    eligible: Mapped[int | None] = mapped_column()
    yes: Mapped[int | None] = mapped_column()
    no: Mapped[int | None] = mapped_column()
    abstain: Mapped[int | None] = mapped_column()
    quorum_met: Mapped[bool | None] = mapped_column()

    @property
    def quorum_label(self) -> str:
        if self.quorum_kind == "count":
            return f"{self.quorum_value} voter(s)"
        return f"{self.quorum_value}% of voting members"

    @property
    def turnout(self) -> int:
        return (self.yes or 0) + (self.no or 0) + (self.abstain or 0)

    @property
    def carried(self) -> bool:
        return bool(self.quorum_met) and (self.yes or 0) > (self.no or 0)


class CouncilBallot(db.Model):
    """One per member and motion (the unique constraint makes a second row impossible).
    ``choice`` is NULL on anonymous motions, whose choices live only in ``CouncilTally``."""

    __tablename__ = "council_ballot"
    __table_args__ = (sa.UniqueConstraint("motion_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_motion.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False)
    choice: Mapped[str | None] = mapped_column(sa.String(10))

    user: Mapped[User] = relationship()


class CouncilTally(db.Model):
    """Counters for anonymous motions: one row per motion and choice, no voter."""

    __tablename__ = "council_tally"
    __table_args__ = (sa.UniqueConstraint("motion_id", "choice"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    motion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_motion.id", ondelete="CASCADE"), nullable=False
    )
    choice: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    votes: Mapped[int] = mapped_column(nullable=False, default=0)


class CouncilFeedback(db.Model):
    __tablename__ = "council_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False, index=True
    )
    motion_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_motion.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    problem: Mapped[str] = mapped_column(sa.Text, nullable=False)
    problem_html: Mapped[str] = mapped_column(sa.Text, nullable=False)
    impact: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    impact_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="received")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    # First response by vendor staff; NULL = still waiting (flagged after N days).
    responded_at: Mapped[datetime | None] = mapped_column()

    motion: Mapped[CouncilMotion | None] = relationship()
    history: Mapped[list[CouncilFeedbackStatus]] = relationship(
        back_populates="feedback", order_by="CouncilFeedbackStatus.id", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return FEEDBACK_STATUS_LABELS.get(self.status, self.status)


class CouncilFeedbackStatus(db.Model):
    """Each status a feedback item passed through, with the responder's note."""

    __tablename__ = "council_feedback_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council_feedback.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    note_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    feedback: Mapped[CouncilFeedback] = relationship(back_populates="history")
    actor: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return FEEDBACK_STATUS_LABELS.get(self.status, self.status)


class CouncilActionItem(db.Model):
    __tablename__ = "council_action_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(
        sa.ForeignKey("council.id", ondelete="CASCADE"), nullable=False, index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council_meeting.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="open")
    reminded_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
