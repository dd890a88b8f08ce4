"""Partner-to-partner referrals: send (to one organization or a shortlist), answer,
report progress, withdraw, expire; and who may see what.

A referral is visible only to the members of its two organizations and to admins;
everyone else gets a 404, as if it did not exist. The recipient side accepts or
declines and reports progress, the sender side may withdraw, admins only look. Every
step appends a ``ReferralEvent`` (the timeline both sides see) and tells the other side
(see ``notices``). Overdue referrals expire lazily when read, and on schedule through
the worker's ``referrals.expire-overdue`` job (or ``flask referrals expire``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_admin, require
from app.core.sanitize import render_markdown
from app.extensions import db
from app.referrals import checks as clean
from app.referrals.models import Referral, ReferralEvent
from app.referrals.notices import announce
from app.referrals.shortlist import SHORTLIST_MAX

MAX_ID = 2**31 - 1
SIBLING_NOTE = "Accepted by another partner."
ACCEPTED_OR_LATER = ("accepted", "in_progress", "won", "lost")

STATUS_LABELS = {
    "sent": "Awaiting answer",
    "accepted": "Accepted",
    "declined": "Declined",
    "in_progress": "In progress",
    "won": "Won",
    "lost": "Lost",
    "expired": "Expired",
    "withdrawn": "Withdrawn",
}
EVENT_LABELS = {
    "created": "Sent",
    "accepted": "Accepted",
    "declined": "Declined",
    "in_progress": "Work started",
    "won": "Won",
    "lost": "Lost",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}
# Step → (statuses it may follow, the side that takes it).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "accepted": (("sent",), "recipient"),
    "declined": (("sent",), "recipient"),
    "in_progress": (("accepted",), "recipient"),
    "won": (("in_progress",), "recipient"),
    "lost": (("in_progress",), "recipient"),
    "withdrawn": (("sent", "accepted"), "sender"),
}
_VERBS = {
    "accepted": "accepted",
    "declined": "declined",
    "in_progress": "started",
    "won": "marked as won",
    "lost": "marked as lost",
    "withdrawn": "withdrawn",
}


# --- sending -----------------------------------------------------------------------


def resolve_organization(value: Any, field: str = "recipient") -> Organization:
    """An organization from itself, its id or its slug; unknown ones are a form error."""
    if isinstance(value, Organization):
        return value
    org = None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID:
        org = db.session.get(Organization, value)
    elif isinstance(value, str) and value.strip() and "\x00" not in value and len(value) <= 120:
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == value.strip()))
    if org is None:
        raise Invalid("There is no partner organization with that address.", field=field)
    return org


def send_referral(
    actor: Any,
    recipients: Sequence[Any],
    *,
    summary: Any,
    details: Any = "",
    customer_name: Any = "",
    customer_region: Any = "",
    customer_industry: Any = "",
    specialisms: Any = "",
    estimated_value: Any = None,
    currency: Any = "USD",
    confidentiality: Any = "standard",
    expires_on: Any = None,
    shortlist: bool = False,
) -> list[Referral]:
    """Send one referral to each of ``recipients`` (organizations, ids or slugs).

    Several recipients form a shortlist (at most five) sharing one ``batch``: the first
    to accept closes the others. Nothing is written unless every value is valid.
    """
    if not can(actor, "referral.send"):
        raise PermissionDenied("Join a partner organization to send referrals.")
    field_name = "shortlist" if shortlist else "recipient"
    values = clean.referral_fields(
        summary_text=summary,
        details=details,
        customer_name=customer_name,
        customer_region=customer_region,
        customer_industry=customer_industry,
        needed_specialisms=specialisms,
        estimated_value=estimated_value,
        currency_code=currency,
        confidentiality_level=confidentiality,
        expires_on=expires_on,
    )
    if isinstance(recipients, (str, int, Organization)):
        recipients = [recipients]
    if not recipients:
        message = "Tick at least one organization." if shortlist else "Choose an organization."
        raise Invalid(message, field=field_name)
    if len(recipients) > SHORTLIST_MAX:
        raise Invalid(f"Choose at most {SHORTLIST_MAX} organizations.", field=field_name)
    orgs: dict[int, Organization] = {}
    for value in recipients:
        org = resolve_organization(value, field_name)
        if org.id == actor.organization_id:
            raise Invalid("You cannot send a referral to your own organization.", field=field_name)
        orgs.setdefault(org.id, org)
    values["details_html"] = render_markdown(values["details"])
    batch = secrets.token_hex(16)
    created = []
    for org in orgs.values():
        referral = Referral(
            batch=batch,
            sender_id=actor.id,
            sender_org_id=actor.organization_id,
            recipient_org=org,
            status="sent",
            **values,
        )
        db.session.add(referral)
        db.session.flush()
        _record(referral, actor, "created", notify_org="recipient")
        created.append(referral)
    return created


# --- answering, progress, withdrawal -------------------------------------------------


def accept(actor: Any, referral: Referral, note: Any = "") -> Referral:
    """Accept for the recipient organization; shortlist siblings still waiting close."""
    note = clean.multi_line(note, clean.NOTE_MAX, "the note", "note")
    batch = _lock_batch(referral)
    referral = _check_step(actor, referral, "accepted")
    if any(other.status in ACCEPTED_OR_LATER for other in batch if other.id != referral.id):
        raise Conflict("Another partner has already accepted this referral.")
    referral.status = "accepted"
    _record(referral, actor, "accepted", note=note, notify_org="sender")
    for other in batch:
        if other.id != referral.id and other.status == "sent":
            other.status = "withdrawn"
            # No actor and a fixed note: the other recipients never learn who accepted.
            _record(other, None, "withdrawn", note=SIBLING_NOTE, notify_org="recipient")
    return referral


def decline(actor: Any, referral: Referral, reason: Any) -> Referral:
    reason = clean.multi_line(reason, clean.REASON_MAX, "a reason", "reason", required=True)
    referral = _check_step(actor, _locked(referral), "declined")
    referral.status = "declined"
    referral.decline_reason = reason
    return _record(referral, actor, "declined", note=reason, notify_org="sender")


def start_work(actor: Any, referral: Referral, note: Any = "") -> Referral:
    note = clean.multi_line(note, clean.NOTE_MAX, "the note", "note")
    referral = _check_step(actor, _locked(referral), "in_progress")
    referral.status = "in_progress"
    return _record(referral, actor, "in_progress", note=note, notify_org="sender")


def win(actor: Any, referral: Referral, value: Any, note: Any = "") -> Referral:
    """Close as won; the deal's value is required (it feeds the won-value figures)."""
    amount = clean.amount(value, "value", "the outcome value", required=True)
    note = clean.multi_line(note, clean.NOTE_MAX, "the note", "note")
    referral = _check_step(actor, _locked(referral), "won")
    referral.status = "won"
    referral.outcome_value, referral.outcome_note = amount, note
    return _record(referral, actor, "won", note=note, value=amount, notify_org="sender")


def lose(actor: Any, referral: Referral, value: Any = None, note: Any = "") -> Referral:
    amount = clean.amount(value, "value", "the outcome value")
    note = clean.multi_line(note, clean.NOTE_MAX, "the note", "note")
    referral = _check_step(actor, _locked(referral), "lost")
    referral.status = "lost"
    referral.outcome_value, referral.outcome_note = amount, note
    return _record(referral, actor, "lost", note=note, value=amount, notify_org="sender")


def withdraw(actor: Any, referral: Referral, note: Any = "") -> Referral:
    """The sender side takes the referral back while it is waiting or accepted."""
    note = clean.multi_line(note, clean.NOTE_MAX, "the note", "note")
    referral = _check_step(actor, _locked(referral), "withdrawn")
    referral.status = "withdrawn"
    return _record(referral, actor, "withdrawn", note=note, notify_org="recipient")


STEPS = {
    "accepted": accept,
    "declined": decline,
    "in_progress": start_work,
    "won": win,
    "lost": lose,
    "withdrawn": withdraw,
}


def _locked(referral: Referral) -> Referral:
    """The referral re-read under a row lock (PostgreSQL), so two answers serialize."""
    locked = db.session.scalar(
        sa.select(Referral)
        .where(Referral.id == referral.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound()
    return locked


def _lock_batch(referral: Referral) -> list[Referral]:
    """Every referral of the shortlist, locked in id order (no deadlocks)."""
    return list(
        db.session.scalars(
            sa.select(Referral)
            .where(Referral.batch == referral.batch)
            .order_by(Referral.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _check_step(actor: Any, referral: Referral, step: str) -> Referral:
    require(actor, "referral.view", referral, hide=True)
    allowed_from, side = TRANSITIONS[step]
    if not can(actor, "referral.respond" if side == "recipient" else "referral.withdraw", referral):
        who = "the receiving" if side == "recipient" else "the sending"
        raise PermissionDenied(f"Only members of {who} organization can do that.")
    if expire_if_due(referral):
        raise Conflict("This referral has expired.")
    if referral.status not in allowed_from:
        label = STATUS_LABELS[referral.status].lower()
        raise Conflict(f"A referral that is {label} cannot be {_VERBS[step]}.")
    return referral


def _record(
    referral: Referral,
    actor: Any,
    kind: str,
    *,
    note: str = "",
    value: Decimal | None = None,
    notify_org: str | None = None,
) -> Referral:
    referral.updated_at = utcnow()
    event = ReferralEvent(
        referral=referral, actor_id=getattr(actor, "id", None), kind=kind, note=note, value=value
    )
    db.session.add(event)
    db.session.flush()
    announce(referral, kind, actor, notify_org)
    return referral


# --- expiry ----------------------------------------------------------------------------


def expire_if_due(referral: Referral) -> bool:
    """Expire one overdue referral still waiting for an answer; True if it just expired."""
    if referral.status != "sent" or referral.expires_at >= utcnow():
        return False
    referral.status = "expired"
    _record(referral, None, "expired", notify_org="sender")
    return True


def expire_overdue(org_id: int | None = None) -> int:
    """Expire every overdue waiting referral (of one organization, when given)."""
    query = sa.select(Referral).where(Referral.status == "sent", Referral.expires_at < utcnow())
    if org_id is not None:
        query = query.where(sa.or_(Referral.sender_org_id == org_id, Referral.recipient_org_id == org_id))
    return sum(expire_if_due(referral) for referral in db.session.scalars(query.order_by(Referral.id)).all())


# --- reading ---------------------------------------------------------------------------


def get_referral(actor: Any, referral_id: Any) -> Referral:
    """One referral for ``actor``; unknown and private ones alike answer NotFound."""
    if not isinstance(referral_id, int) or isinstance(referral_id, bool) or not 0 < referral_id <= MAX_ID:
        raise NotFound()
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    require(actor, "referral.view", referral, hide=True)
    expire_if_due(referral)
    return referral


def customer_visible(actor: Any, referral: Referral) -> bool:
    """Whether ``actor`` may read the customer's name and the details: always for a
    standard referral; for a confidential one the recipient must have accepted it."""
    if not can(actor, "referral.view", referral):
        return False
    if referral.confidentiality != "confidential":
        return True
    if is_admin(actor) or actor.organization_id == referral.sender_org_id:
        return True
    return referral.status in ACCEPTED_OR_LATER or any(e.kind == "accepted" for e in referral.events)


def available_steps(actor: Any, referral: Referral) -> list[str]:
    """The steps ``actor`` may take on ``referral`` now (for buttons)."""
    steps = []
    for step, (allowed_from, side) in TRANSITIONS.items():
        rule = "referral.respond" if side == "recipient" else "referral.withdraw"
        if referral.status in allowed_from and can(actor, rule, referral):
            steps.append(step)
    return steps
