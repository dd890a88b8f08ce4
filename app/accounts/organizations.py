"""Partner organizations and invitations for colleagues to join them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.accounts import tokens
from app.accounts.models import (
    JOIN_APPROVED,
    JOIN_DECLINED,
    JOIN_PENDING,
    PARTNER_TYPE_LABELS,
    TIERS,
    Organization,
    OrganizationInvite,
    OrganizationJoinRequest,
    User,
)
from app.accounts.services import clean_list, no_nul, normalize_email, record_audit, slugify, unique_value
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import require
from app.core.sanitize import render_markdown
from app.extensions import db
from app.notifications.mail import send_email
from app.plugins import fire

NAME_MIN = 2
NAME_MAX = 120
SLUG_MAX = 60
INVITE_DAYS = 7


def safe_website(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address, else None (never a script link)."""
    url = (url or "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url


def _clean_fields(
    name: str,
    partner_type: str,
    tier: str,
    regions: Any,
    specialisms: Any,
    industries: Any,
    website: str | None,
    description: str,
    email_domains: Any = "",
) -> dict:
    name = " ".join(no_nul(name).split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise Invalid(f"Organization names are {NAME_MIN} to {NAME_MAX} characters long.", field="name")
    if partner_type not in PARTNER_TYPE_LABELS:
        raise Invalid("Choose a partner type from the list.", field="partner_type")
    if tier not in TIERS:
        raise Invalid("Choose a tier from the list.", field="tier")
    website = (website or "").strip()
    if website and (safe_website(website) is None or len(website) > 300):
        raise Invalid("The website must be a full http:// or https:// address.", field="website")
    description = no_nul(description)
    if len(description) > 20_000:
        raise Invalid("Descriptions are limited to 20,000 characters.", field="description")
    return {
        "name": name,
        "partner_type": partner_type,
        "tier": tier,
        "regions": clean_list(regions, "regions"),
        "specialisms": clean_list(specialisms, "specialisms"),
        "industries": clean_list(industries, "industries"),
        "website": website or None,
        "description": description,
        "description_html": render_markdown(description),
        "email_domains": clean_email_domains(email_domains),
    }


EMAIL_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def clean_email_domains(value: Any) -> list[str]:
    """Staff email domains (``example.com``), lower-cased, without duplicates."""
    parts = re.split(r"[\s,;]+", value) if isinstance(value, str) else [str(v) for v in value or []]
    domains: list[str] = []
    for part in parts:
        domain = part.strip().lower().lstrip("@")
        if not domain:
            continue
        if not EMAIL_DOMAIN.match(domain):
            raise Invalid(
                f"{part.strip()[:80]!r} is not a domain such as example.com.", field="email_domains"
            )
        if domain not in domains:
            domains.append(domain)
    if len(domains) > 50:
        raise Invalid("At most 50 email domains.", field="email_domains")
    return domains


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(Organization.id).where(Organization.slug == slug)) is not None


def list_organizations() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).order_by(sa.func.lower(Organization.name))))


def get_organization(slug: str) -> Organization:
    org = None
    if slug and "\x00" not in slug:
        org = db.session.scalar(sa.select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound("No organization with that address.")
    return org


def create_organization(
    actor: Any,
    name: str,
    partner_type: str,
    tier: str = "registered",
    *,
    regions: Any = "",
    specialisms: Any = "",
    industries: Any = "",
    website: str | None = None,
    description: str = "",
    email_domains: Any = "",
) -> Organization:
    require(actor, "org.create")
    values = _clean_fields(
        name, partner_type, tier, regions, specialisms, industries, website, description, email_domains
    )
    values["slug"] = unique_value(slugify(values["name"], SLUG_MAX, "org"), _slug_taken, SLUG_MAX)
    org = Organization(**values)
    db.session.add(org)
    db.session.flush()
    fire("organization_created", organization=org, actor=actor)
    return org


def update_organization(
    actor: Any,
    org: Organization,
    *,
    name: str,
    partner_type: str,
    tier: str,
    regions: Any = "",
    specialisms: Any = "",
    industries: Any = "",
    website: str | None = None,
    description: str = "",
    email_domains: Any = "",
) -> Organization:
    """Edit an organization; the slug stays so links keep working."""
    require(actor, "org.manage", org)
    values = _clean_fields(
        name, partner_type, tier, regions, specialisms, industries, website, description, email_domains
    )
    for key, value in values.items():
        setattr(org, key, value)
    db.session.flush()
    fire("organization_updated", organization=org, actor=actor)
    return org


def add_member(actor: Any, org: Organization, user: User, *, org_admin: bool = False) -> None:
    require(actor, "org.manage", org)
    user.organization = org
    user.is_org_admin = org_admin
    db.session.flush()
    fire("profile_updated", user=user, actor=actor)


# --- invitations -----------------------------------------------------------------------


def invite_colleague(actor: Any, org: Organization, email: str) -> OrganizationInvite:
    """Email a single-use link that lets the owner of ``email`` join ``org``."""
    require(actor, "org.manage", org)
    email = normalize_email(email)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None and existing.organization_id == org.id:
        raise Conflict("That person is already a member of this organization.", field="email")
    raw = tokens.new_raw_token()
    now = utcnow()
    invite = OrganizationInvite(
        organization=org,
        email=email,
        token_hash=tokens.hash_token(raw),
        invited_by_id=getattr(actor, "id", None),
        created_at=now,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )
    db.session.add(invite)
    db.session.flush()
    link = tokens.external_url("accounts.accept_invite", token=raw)
    inviter = getattr(actor, "display_name", "A colleague")
    send_email(
        email,
        f"Join {org.name} on the partner community",
        f"{inviter} invited you to join {org.name}.\n\nOpen this link within {INVITE_DAYS} days "
        f"to accept (you can create an account there if you have none):\n\n{link}\n",
    )
    return invite


def find_invite(raw_token: str) -> OrganizationInvite:
    """The pending invitation for a link; raises Invalid when unknown, used or expired."""
    invite = db.session.scalar(
        sa.select(OrganizationInvite).where(OrganizationInvite.token_hash == tokens.hash_token(raw_token))
    )
    if invite is None:
        raise NotFound("This invitation link is not valid.")
    if invite.accepted_at is not None:
        raise Invalid("This invitation has already been accepted.")
    if invite.expires_at <= utcnow():
        raise Invalid("This invitation has expired. Ask your organization admin for a new one.")
    return invite


def accept_invite(actor: Any, raw_token: str) -> Organization:
    """Join the invitation's organization; only the invited address may accept it."""
    invite = find_invite(raw_token)
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to accept this invitation.")
    if actor.email.lower() != invite.email.lower():
        raise PermissionDenied(
            "This invitation was sent to another email address. Sign in with that address to accept it."
        )
    if actor.organization_id != invite.organization_id:
        actor.organization = invite.organization
        actor.is_org_admin = False
    invite.accepted_at = utcnow()
    db.session.flush()
    fire("profile_updated", user=actor, actor=actor)
    return invite.organization


# --- join requests -----------------------------------------------------------------------

NOTE_MAX = 1000


def email_domain(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def suggested_organizations(user: Any) -> list[Organization]:
    """Organizations whose email domains include the member's: a hint, never a join."""
    domain = email_domain(getattr(user, "email", "") or "")
    if not domain or getattr(user, "organization_id", None) is not None:
        return []
    return [org for org in list_organizations() if domain in (org.email_domains or [])]


def pending_request_of(user: Any) -> OrganizationJoinRequest | None:
    """The member's open request, if any (one at a time)."""
    if getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        sa.select(OrganizationJoinRequest).where(
            OrganizationJoinRequest.user_id == user.id, OrganizationJoinRequest.status == JOIN_PENDING
        )
    )


def may_request_to_join(actor: Any) -> bool:
    return (
        getattr(actor, "is_authenticated", False)
        and not getattr(actor, "is_suspended", False)
        and getattr(actor, "organization_id", None) is None
    )


def request_to_join(actor: Any, org: Organization, note: str = "") -> OrganizationJoinRequest:
    """Ask ``org``'s admins to let the actor join; one open request per member."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to ask to join an organization.")
    if getattr(actor, "is_suspended", False):
        raise PermissionDenied()
    if actor.organization_id == org.id:
        raise Conflict("You are already a member of this organization.")
    if actor.organization_id is not None:
        raise Conflict("You already belong to an organization; ask a site admin to move you.")
    if pending_request_of(actor) is not None:
        raise Conflict("You already asked to join an organization; wait for its answer or withdraw it first.")
    note = no_nul(note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"Keep the note under {NOTE_MAX} characters.", field="note")
    join_request = OrganizationJoinRequest(organization=org, user=actor, note=note, status=JOIN_PENDING)
    db.session.add(join_request)
    db.session.flush()
    fire("organization_join_request_changed", join_request=join_request, actor=actor, kind="requested")
    return join_request


def withdraw_join_request(actor: Any, join_request: OrganizationJoinRequest) -> None:
    """The member changes their mind: the open request goes away."""
    if getattr(actor, "id", None) != join_request.user_id or join_request.status != JOIN_PENDING:
        raise NotFound()
    db.session.delete(join_request)
    db.session.flush()


def pending_join_requests(actor: Any, org: Organization) -> list[OrganizationJoinRequest]:
    """Open requests to join ``org``, oldest first, for its admins and site admins."""
    require(actor, "org.manage", org)
    return list(
        db.session.scalars(
            sa.select(OrganizationJoinRequest)
            .where(
                OrganizationJoinRequest.organization_id == org.id,
                OrganizationJoinRequest.status == JOIN_PENDING,
            )
            .order_by(OrganizationJoinRequest.created_at, OrganizationJoinRequest.id)
        )
    )


def get_join_request(actor: Any, org: Organization, request_id: int) -> OrganizationJoinRequest:
    """A request to join ``org``; 404 for a request of another organization."""
    join_request = db.session.get(OrganizationJoinRequest, request_id)
    if join_request is None or join_request.organization_id != org.id:
        raise NotFound("No such request.")
    require(actor, "org.manage", org)
    return join_request


def decide_join_request(
    actor: Any, join_request: OrganizationJoinRequest, approve: bool
) -> OrganizationJoinRequest:
    """Approve (the member joins) or decline; logged in the audit log, and the member
    is notified either way. Only the organization's admins or a site admin decide."""
    org = join_request.organization
    require(actor, "org.manage", org)
    if join_request.status != JOIN_PENDING:
        raise Conflict("This request has already been answered.")
    member = join_request.user
    if approve and member.organization_id not in (None, org.id):
        raise Conflict(f"{member.display_name} has joined another organization meanwhile.")
    join_request.status = JOIN_APPROVED if approve else JOIN_DECLINED
    join_request.decided_at = utcnow()
    join_request.decided_by_id = getattr(actor, "id", None)
    if approve:
        member.organization = org
        member.is_org_admin = False
    db.session.flush()
    record_audit(
        actor,
        "org.join_approved" if approve else "org.join_declined",
        "user",
        member.id,
        details={"organization_id": org.id, "request_id": join_request.id},
    )
    if approve:
        fire("profile_updated", user=member, actor=actor)
    fire(
        "organization_join_request_changed",
        join_request=join_request,
        actor=actor,
        kind="approved" if approve else "declined",
    )
    return join_request
