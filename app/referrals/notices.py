"""Who hears about a referral change: notifications to the other side, the search
document, and the ``referral_changed`` event.

Notifications outlive organization membership, so their stored text names the
organization and the referral's number only: never the customer, the details or the
summary. The summary is added when the list is read (``notification_text``), and only
for a reader who may still see the referral. Everyone notified must be able to see the
referral at that moment.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from app.accounts.models import User
from app.core.permissions import can
from app.core.urls import path_for
from app.extensions import db
from app.notifications.services import notify
from app.plugins import fire
from app.referrals.models import Referral

SEARCH_KIND = "referral"


def referral_path(referral: Referral) -> str:
    """The referral page's path, also outside a request (CLI expiry, after-commit)."""
    try:
        return url_for("referrals.show", referral_id=referral.id)
    except (BuildError, RuntimeError):
        return path_for("referrals.show", referral_id=referral.id)


def notification_text(notification: Any, viewer: Any) -> str | None:
    """A referral notification as ``viewer`` should read it: the stored text and the
    referral's summary, while ``viewer`` may still see the referral; otherwise ``None``
    (the stored text alone, which names no summary)."""
    if notification.kind != "referral":
        return None
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(notification.url, method="GET")
    except HTTPException:
        return None
    if endpoint != "referrals.show":
        return None
    referral = db.session.get(Referral, args["referral_id"])
    if referral is None or not can(viewer, "referral.view", referral):
        return None
    return f"{notification.message}: “{referral.summary}”"


def organization_contacts(org_id: int) -> list[User]:
    """Whom an organization is told through: its org admins, or everyone if it has none."""
    members = list(
        db.session.scalars(sa.select(User).where(User.organization_id == org_id).order_by(User.id))
    )
    admins = [user for user in members if user.is_org_admin]
    return admins or members


def _message(referral: Referral, kind: str, actor: Any) -> str:
    number = f"referral #{referral.id}"
    sender, recipient = referral.sender_org.name, referral.recipient_org.name
    if kind == "created":
        return f"{sender} sent your organization {number}"
    if kind == "withdrawn" and actor is None:
        return f"Referral #{referral.id} from {sender} was withdrawn: accepted by another partner"
    if kind == "withdrawn":
        return f"{sender} withdrew {number}"
    if kind == "expired":
        return f"Referral #{referral.id} to {recipient} expired without an answer"
    verbs = {
        "accepted": "accepted",
        "declined": "declined",
        "in_progress": "started work on",
        "won": "won",
        "lost": "reported as lost",
    }
    return f"{recipient} {verbs.get(kind, 'updated')} {number}"


def notify_side(referral: Referral, kind: str, actor: Any, side: str) -> int:
    """Notify the ``side`` ("sender" or "recipient") organization of a change; the
    sender side also hears through the member who sent the referral. Returns how
    many notifications were created."""
    org_id = referral.sender_org_id if side == "sender" else referral.recipient_org_id
    people = organization_contacts(org_id)
    if side == "sender" and referral.sender is not None and referral.sender not in people:
        people.append(referral.sender)
    message = _message(referral, kind, actor)
    url = referral_path(referral)
    created = 0
    for user in people:
        if not can(user, "referral.view", referral):
            continue  # e.g. the sender has since left the organization
        if notify(user, "referral", message, url, actor=actor) is not None:
            created += 1
    return created


def search_document(referral: Referral) -> dict:
    """The referral as a search document: summary, region, industry and specialisms,
    never the customer's name or the details; readable by both organizations' members
    (``org:<id>``, see ``hooks.search_principals``) and admins."""
    body = "\n".join(
        part
        for part in (
            referral.customer_region,
            referral.customer_industry,
            " ".join(referral.specialisms or []),
        )
        if part
    )
    return {
        "kind": SEARCH_KIND,
        "id": referral.id,
        "title": referral.summary,
        "body": body,
        "url": referral_path(referral),
        "principals": [f"org:{referral.sender_org_id}", f"org:{referral.recipient_org_id}", "role:admin"],
        "created_at": referral.created_at,
        "updated_at": referral.updated_at,
        "tags": [item.lower() for item in referral.specialisms or []],
        "meta": {
            "status": referral.status,
            "from": referral.sender_org.name,
            "to": referral.recipient_org.name,
        },
    }


def announce(referral: Referral, kind: str, actor: Any, notify_org: str | None) -> None:
    """After a timeline step: notify, queue the search update, fire the domain event."""

    if notify_org is not None:
        notify_side(referral, kind, actor, notify_org)
    fire("search_document_changed", document=search_document(referral))
    fire("referral_changed", referral=referral, actor=actor, kind=kind)
