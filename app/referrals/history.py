"""An organization's referral record: what it sent, what it received, how it answered.

Seen by the organization's own members and by admins. "Accepted" counts every referral
that was ever accepted, whatever happened next (in progress, won, lost, or withdrawn by
the sender afterwards); the acceptance rate is accepted / (accepted + declined), so
referrals still waiting, expired or withdrawn before an answer do not weigh on it.
Won value is summed per currency: amounts in different currencies are never added up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization
from app.core.permissions import require
from app.extensions import db
from app.referrals.models import REFERRAL_OPEN_STATES, Referral, ReferralEvent
from app.referrals.services import expire_overdue

RECENT = 10


@dataclass
class Figures:
    """One side's counts (an organization's sent, or its received, referrals)."""

    total: int = 0
    open: int = 0
    accepted: int = 0
    declined: int = 0
    won: int = 0
    lost: int = 0
    expired: int = 0
    withdrawn: int = 0
    won_value: dict[str, Decimal] = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.accepted + self.declined

    @property
    def acceptance_rate(self) -> float | None:
        """Share of answered referrals that were accepted; ``None`` before any answer."""
        return self.accepted / self.decided if self.decided else None

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "open": self.open,
            "accepted": self.accepted,
            "declined": self.declined,
            "won": self.won,
            "lost": self.lost,
            "expired": self.expired,
            "withdrawn": self.withdrawn,
            "acceptance_rate": self.acceptance_rate,
            "won_value": {code: f"{value:.2f}" for code, value in sorted(self.won_value.items())},
        }


@dataclass
class History:
    organization: Organization
    sent: Figures
    received: Figures
    recent: list[Referral]


def _figures(condition: sa.ColumnElement[bool]) -> Figures:
    rows = db.session.execute(
        sa.select(Referral.id, Referral.status, Referral.currency, Referral.outcome_value).where(condition)
    ).all()
    accepted_ids = set(
        db.session.scalars(
            sa.select(ReferralEvent.referral_id)
            .join(Referral, Referral.id == ReferralEvent.referral_id)
            .where(condition, ReferralEvent.kind == "accepted")
        )
    )
    figures = Figures(total=len(rows))
    won_value: dict[str, Decimal] = defaultdict(Decimal)
    for referral_id, status, currency, outcome_value in rows:
        if status in REFERRAL_OPEN_STATES:
            figures.open += 1
        if referral_id in accepted_ids:
            figures.accepted += 1
        if status in ("declined", "won", "lost", "expired", "withdrawn"):
            setattr(figures, status, getattr(figures, status) + 1)
        if status == "won" and outcome_value is not None:
            won_value[currency] += Decimal(outcome_value)
    figures.won_value = dict(won_value)
    return figures


def referral_history(actor: Any, org: Organization) -> History:
    """The organization's figures and latest referrals; 404 to anyone outside it."""
    require(actor, "referral.history", org, hide=True)
    expire_overdue(org.id)
    either = sa.or_(Referral.sender_org_id == org.id, Referral.recipient_org_id == org.id)
    recent = list(
        db.session.scalars(
            sa.select(Referral)
            .where(either)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(RECENT)
        )
    )
    return History(
        organization=org,
        sent=_figures(Referral.sender_org_id == org.id),
        received=_figures(Referral.recipient_org_id == org.id),
        recent=recent,
    )
