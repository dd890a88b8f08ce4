"""Organizations in the admin area: the list, create and edit (with the CRM id that only
admins set), and who belongs to each. The accounts feature owns the rules
(``app.accounts.organizations``); this module adds the admin's audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.accounts import organizations as orgs
from app.accounts.models import Organization, User
from app.accounts.services import no_nul
from app.core.errors import Invalid, NotFound
from app.core.permissions import require
from app.extensions import db
from app.moderation.services import record_audit

CRM_ID_MAX = 100
FIELDS = (
    "name",
    "partner_type",
    "tier",
    "regions",
    "specialisms",
    "industries",
    "website",
    "description",
    "email_domains",
)


@dataclass
class OrganizationRow:
    organization: Organization
    members: int
    admins: int


def list_organizations(actor: Any, q: str = "") -> list[OrganizationRow]:
    """Every organization with its member and admin counts, by name."""
    require(actor, "admin.view")
    members = (
        sa.select(
            User.organization_id,
            sa.func.count(User.id).label("members"),
            sa.func.sum(sa.case((User.is_org_admin.is_(True), 1), else_=0)).label("admins"),
        )
        .group_by(User.organization_id)
        .subquery()
    )
    query = sa.select(Organization, members.c.members, members.c.admins).outerjoin(
        members, members.c.organization_id == Organization.id
    )
    q = (q or "").replace("\x00", "").strip()[:100]
    if q:
        query = query.where(sa.func.lower(Organization.name).contains(q.lower(), autoescape=True))
    rows = db.session.execute(query.order_by(sa.func.lower(Organization.name))).all()
    return [OrganizationRow(org, int(count or 0), int(admins or 0)) for org, count, admins in rows]


def get_organization(actor: Any, org_id: int) -> Organization:
    require(actor, "admin.view")
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


def _clean_crm_id(value: str | None) -> str | None:
    value = no_nul(value or "").strip()
    if len(value) > CRM_ID_MAX:
        raise Invalid(f"Keep the CRM id under {CRM_ID_MAX} characters.", field="crm_id")
    return value or None


def create_organization(actor: Any, values: dict[str, Any], crm_id: str | None = None) -> Organization:
    """Create an organization as an admin (whatever the member-creation setting says)."""
    require(actor, "admin.view")
    crm = _clean_crm_id(crm_id)
    org = orgs.create_organization(actor, **{k: v for k, v in values.items() if k in FIELDS})
    org.crm_id = crm
    db.session.flush()
    record_audit(actor, "org.create", "organization", org.id, details={"name": org.name, "crm_id": crm})
    return org


def update_organization(
    actor: Any, org: Organization, values: dict[str, Any], crm_id: str | None
) -> Organization:
    """Edit any organization; the audit entry lists the fields that changed."""
    require(actor, "admin.view")
    crm = _clean_crm_id(crm_id)
    before = {name: getattr(org, name) for name in FIELDS} | {"crm_id": org.crm_id}
    orgs.update_organization(actor, org, **{k: v for k, v in values.items() if k in FIELDS})
    org.crm_id = crm
    db.session.flush()
    after = {name: getattr(org, name) for name in FIELDS} | {"crm_id": org.crm_id}
    changed = sorted(name for name in after if after[name] != before[name])
    record_audit(actor, "org.update", "organization", org.id, details={"changed": changed})
    return org


def members_of(actor: Any, org: Organization) -> list[User]:
    """The organization's members, its admins first."""
    require(actor, "admin.view")
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.organization_id == org.id)
            .order_by(User.is_org_admin.desc(), sa.func.lower(User.display_name))
        )
    )


def set_org_admin(actor: Any, org: Organization, user: User, org_admin: bool) -> User:
    """Make a member one of the organization's admins, or no longer one."""
    require(actor, "org.manage", org)
    require(actor, "admin.view")
    if user.organization_id != org.id:
        raise Invalid("That member does not belong to this organization.")
    if user.is_org_admin == org_admin:
        return user
    orgs.add_member(actor, org, user, org_admin=org_admin)
    record_audit(
        actor,
        "org.set_admin" if org_admin else "org.unset_admin",
        "user",
        user.id,
        details={"organization_id": org.id},
    )
    return user
