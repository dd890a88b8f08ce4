"""Lists of referrals and their JSON shape: an organization's received and sent
referrals (admins: all of them), filtered by status and paginated.

Unknown lists and statuses are refused with a clear error rather than ignored, so a
shared URL never silently shows something else. A page number follows the rule of
every list (``app.core.params.page_number``): one that is not a page reads as the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.core.errors import Invalid
from app.core.pagination import PageLinks
from app.core.params import page_number
from app.core.permissions import is_admin, require
from app.extensions import db
from app.referrals.models import REFERRAL_STATES, Referral
from app.referrals.notices import referral_path
from app.referrals.services import customer_visible, expire_overdue

PER_PAGE = 20
MAX_PAGE = 10_000


def available_boxes(actor: Any) -> list[str]:
    boxes = ["received", "sent"] if getattr(actor, "organization_id", None) is not None else []
    return [*boxes, "all"] if is_admin(actor) else boxes


@dataclass
class ReferralPage(PageLinks):
    items: list[Referral]
    page: int
    pages: int
    total: int
    box: str
    status: str | None
    boxes: list[str] = field(default_factory=list)
    # How many referrals each list holds (any status), for the tab labels.
    counts: dict[str, int] = field(default_factory=dict)


def _in_box(query: sa.Select, box: str, org_id: int | None) -> sa.Select:
    if box == "received":
        return query.where(Referral.recipient_org_id == org_id)
    if box == "sent":
        return query.where(Referral.sender_org_id == org_id)
    return query


def box_counts(actor: Any, boxes: list[str]) -> dict[str, int]:
    """Each list's size, so the tabs say where the referrals are."""
    org_id = getattr(actor, "organization_id", None)
    counting = sa.select(sa.func.count()).select_from(Referral)
    return {box: db.session.scalar(_in_box(counting, box, org_id)) or 0 for box in boxes}


def default_box(actor: Any, boxes: list[str]) -> str:
    """The list holding the organization's newest referral: a referral someone just
    sent is on screen when they open the list, instead of an empty "Received" tab."""
    org_id = getattr(actor, "organization_id", None)
    if "sent" in boxes and "received" in boxes:
        newest = db.session.execute(
            sa.select(Referral.sender_org_id)
            .where(sa.or_(Referral.sender_org_id == org_id, Referral.recipient_org_id == org_id))
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if newest == org_id:
            return "sent"
    return boxes[0]


def parse_page(value: Any) -> int:
    return page_number(value, maximum=MAX_PAGE)


def list_referrals(
    actor: Any, box: str | None = None, status: str | None = None, page: Any = 1, per_page: int = PER_PAGE
) -> ReferralPage:
    """The actor's organization's received or sent referrals (admins: ``all``), newest
    first, optionally of one status. Unknown lists and statuses are refused."""
    require(actor, "referral.use")
    boxes = available_boxes(actor)
    box = box or default_box(actor, boxes)
    if box not in boxes:
        raise Invalid(f"Unknown list {box[:40]!r}: choose {' or '.join(boxes)}.", field="box")
    if status and status not in REFERRAL_STATES:
        raise Invalid(f"Unknown status {status[:40]!r}.", field="status")
    page = parse_page(page)
    org_id = actor.organization_id
    expire_overdue(None if box == "all" else org_id)
    query = _in_box(sa.select(Referral), box, org_id)
    if status:
        query = query.where(Referral.status == status)
    query = query.order_by(Referral.created_at.desc(), Referral.id.desc())
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return ReferralPage(
        items=list(result.items),
        page=page,
        pages=max(result.pages or 1, 1),
        total=result.total or 0,
        box=box,
        status=status or None,
        boxes=boxes,
        counts=box_counts(actor, boxes),
    )


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def referral_as_dict(actor: Any, referral: Referral, with_events: bool = False) -> dict:
    """The JSON shape of a referral for ``actor`` (confidential fields withheld)."""
    visible = customer_visible(actor, referral)
    data = {
        "id": referral.id,
        "url": referral_path(referral),
        "status": referral.status,
        "summary": referral.summary,
        "sender_org": {"slug": referral.sender_org.slug, "name": referral.sender_org.name},
        "recipient_org": {"slug": referral.recipient_org.slug, "name": referral.recipient_org.name},
        "sender": referral.sender.username if referral.sender else None,
        "customer_region": referral.customer_region,
        "customer_industry": referral.customer_industry,
        "specialisms": list(referral.specialisms or []),
        "estimated_value": _money(referral.estimated_value),
        "currency": referral.currency,
        "confidentiality": referral.confidentiality,
        "customer_visible": visible,
        "customer_name": referral.customer_name if visible else None,
        "details_html": referral.details_html if visible else None,
        "decline_reason": referral.decline_reason,
        "outcome_value": _money(referral.outcome_value),
        "outcome_note": referral.outcome_note,
        "expires_at": referral.expires_at.isoformat() + "Z",
        "created_at": referral.created_at.isoformat() + "Z",
        "updated_at": referral.updated_at.isoformat() + "Z",
    }
    if with_events:
        data["events"] = [
            {
                "kind": event.kind,
                "actor": event.actor.username if event.actor else None,
                "note": event.note,
                "value": _money(event.value),
                "created_at": event.created_at.isoformat() + "Z",
            }
            for event in referral.events
        ]
    return data
