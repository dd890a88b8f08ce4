"""Proposing partner organizations for a referral from its needed specialisms and region.

Ranked by how many of the needed specialisms an organization lists, then by whether it
covers the customer's region, then by name; the sender's own organization is never
proposed. Matching ignores case and surrounding spaces. Organizations are few (hundreds,
not millions), so the ranking runs in Python over one query, which also keeps it the
same on SQLite and PostgreSQL (their JSON operators differ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization
from app.core.errors import PermissionDenied
from app.core.permissions import can
from app.extensions import db

SHORTLIST_MAX = 5  # how many a sender may tick
PROPOSALS_MAX = 12  # how many the page proposes


@dataclass
class Proposal:
    organization: Organization
    matched_specialisms: list[str] = field(default_factory=list)
    region_match: bool = False

    @property
    def score(self) -> tuple[int, int]:
        return (len(self.matched_specialisms), int(self.region_match))


def _key(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def propose_shortlist(
    actor: Any, specialisms: list[str], region: str = "", limit: int = PROPOSALS_MAX
) -> list[Proposal]:
    """Organizations worth sending this referral to, best first.

    An organization must share at least one needed specialism, or cover the region
    when no specialism was given; the sender's own organization is left out.
    """
    if not can(actor, "referral.send"):
        raise PermissionDenied("Join a partner organization to send referrals.")
    wanted = {_key(item): item for item in specialisms or [] if _key(item)}
    region_key = _key(region)
    if not wanted and not region_key:
        return []
    own = getattr(actor, "organization_id", None)
    proposals = []
    for org in db.session.scalars(sa.select(Organization).where(Organization.id != own)):
        offered = {_key(item) for item in org.specialisms or []}
        matched = [wanted[key] for key in wanted if key in offered]
        covers = bool(region_key) and region_key in {_key(item) for item in org.regions or []}
        if matched or (covers and not wanted):
            proposals.append(Proposal(org, matched, covers))
    proposals.sort(
        key=lambda p: (-p.score[0], -p.score[1], p.organization.name.casefold(), p.organization.id)
    )
    return proposals[: max(int(limit), 0)]
