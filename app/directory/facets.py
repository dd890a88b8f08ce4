"""``DirectoryFacet`` rows: one per filterable fact of a listed member or organization.

Facet counts are a GROUP BY over these rows, so they must say exactly what the
listing may show. Rows are derived only from the tables, by the same two functions
(:func:`user_rows`, :func:`org_rows`) for the incremental updates the domain events
trigger (see ``app.directory.hooks``) and for :func:`rebuild_all`, so a rebuild
always equals the incremental state.

What gets no rows: unconfirmed members, members hidden from the directory, built-in
fields a member hid, custom values a member hid, custom fields not shown in the
directory, text and URL fields (they are matched by free text instead), and stored
choices no longer offered. Suspension is *not* reflected here: it ends by the clock,
without an event, so the listing checks ``suspended_until`` at query time instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.models import Organization, User
from app.core.db import in_id_batches, utcnow
from app.directory import fields as fields_service
from app.directory.models import DirectoryFacet, DirectoryProfile, ProfileField, ProfileFieldValue
from app.directory.profiles import hidden_fields_of, profiles_by_user
from app.extensions import db

VALUE_MAX = 120
CUSTOM_PREFIX = "cf."
LISTED_ROLES = ("mentor", "moderator", "admin")
PEOPLE_FACETS = (
    "partner_type",
    "tier",
    "region",
    "country",
    "language",
    "specialism",
    "industry",
    "certification",
    "role",
)
ORG_FACETS = ("partner_type", "tier", "region", "specialism", "industry")

Row = tuple[str, str, str]  # (facet, value, visibility)


def custom_facet(field: ProfileField) -> str:
    return f"{CUSTOM_PREFIX}{field.key}"


def is_faceted(field: ProfileField) -> bool:
    """Choice fields shown in the directory are facets; text and URL fields are not."""
    return field.in_directory and field.kind in fields_service.CHOICE_KINDS


def _clip(value: Any) -> str:
    return " ".join(str(value or "").split())[:VALUE_MAX]


def _add(
    rows: dict[tuple[str, str], str], facet: str, values: Iterable[Any], visibility: str = "everyone"
) -> None:
    for raw in values:
        value = _clip(raw)
        if value:
            rows.setdefault((facet, value), visibility)


def listed_people() -> sa.Select:
    """``SELECT user.id`` of everyone the directory lists: confirmed, not suspended
    (checked against the clock: suspensions end without an event), not hidden."""
    hidden = sa.select(DirectoryProfile.user_id).where(DirectoryProfile.hidden.is_(True))
    return sa.select(User.id).where(
        User.confirmed_at.is_not(None),
        sa.or_(User.suspended_until.is_(None), User.suspended_until <= utcnow()),
        User.id.not_in(hidden),
    )


def is_listable(user: User, profile: DirectoryProfile | None) -> bool:
    """Confirmed and not hidden by the member (suspension is checked at query time)."""
    return user.confirmed_at is not None and not (profile is not None and profile.hidden)


def user_rows(
    user: User,
    profile: DirectoryProfile | None,
    values: dict[int, ProfileFieldValue],
    fields: list[ProfileField],
) -> list[Row]:
    """The facet rows of one member (empty when they are not listed)."""
    if not is_listable(user, profile):
        return []
    hidden = hidden_fields_of(profile)
    rows: dict[tuple[str, str], str] = {}
    org = user.organization
    if org is not None:
        _add(rows, "partner_type", [org.partner_type])
        _add(rows, "tier", [org.tier])
    for facet, name in (("region", "region"), ("country", "country")):
        if name not in hidden:
            _add(rows, facet, [getattr(user, name)])
    if "languages" not in hidden:
        _add(rows, "language", user.languages or [])
    if "specialisms" not in hidden:
        _add(rows, "specialism", user.specialisms or [])
    if "industries" not in hidden:
        _add(rows, "industry", (profile.industries if profile else None) or [])
        _add(rows, "industry", (org.industries if org else None) or [])
    if "certifications" not in hidden and profile is not None:
        _add(rows, "certification", profile.certifications or [])
    if user.role in LISTED_ROLES:
        _add(rows, "role", [user.role])
    for custom in fields:
        row = values.get(custom.id)
        if not is_faceted(custom) or row is None or row.hidden:
            continue
        _add(rows, custom_facet(custom), fields_service.current_items(custom, row.value), custom.visibility)
    return sorted((facet, value, visibility) for (facet, value), visibility in rows.items())


def org_rows(org: Organization) -> list[Row]:
    rows: dict[tuple[str, str], str] = {}
    _add(rows, "partner_type", [org.partner_type])
    _add(rows, "tier", [org.tier])
    _add(rows, "region", org.regions or [])
    _add(rows, "specialism", org.specialisms or [])
    _add(rows, "industry", org.industries or [])
    return sorted((facet, value, visibility) for (facet, value), visibility in rows.items())


def _insert(subject_type: str, subject_id: int, rows: list[Row]) -> None:
    if rows:
        db.session.execute(
            sa.insert(DirectoryFacet),
            [
                {
                    "subject_type": subject_type,
                    "subject_id": subject_id,
                    "facet": f,
                    "value": v,
                    "visibility": vis,
                }
                for f, v, vis in rows
            ],
        )


def _delete_subjects(subject_type: str, ids: list[int]) -> None:
    if ids:
        db.session.execute(
            sa.delete(DirectoryFacet).where(
                DirectoryFacet.subject_type == subject_type, DirectoryFacet.subject_id.in_(ids)
            )
        )


# --- incremental -------------------------------------------------------------------------


def sync_users(users: Iterable[User]) -> None:
    """Rewrite the rows of these members from their current state."""
    users = [user for user in users if getattr(user, "id", None) is not None]
    if not users:
        return
    db.session.flush()
    ids = [user.id for user in users]
    profiles = profiles_by_user(ids)
    values = fields_service.values_by_user(ids)
    fields = fields_service.list_fields()
    _delete_subjects("user", ids)
    for user in users:
        _insert("user", user.id, user_rows(user, profiles.get(user.id), values.get(user.id, {}), fields))


def sync_user(user: User) -> None:
    sync_users([user])


def sync_org(org: Organization, with_members: bool = True) -> None:
    """Rewrite an organization's rows, and its members' (they carry its type and tier)."""
    db.session.flush()
    _delete_subjects("org", [org.id])
    _insert("org", org.id, org_rows(org))
    if with_members:
        sync_users(db.session.scalars(sa.select(User).where(User.organization_id == org.id)).all())


def sync_field(field: ProfileField, deleted: bool = False) -> None:
    """Rewrite one custom field's rows for every member who has a value for it."""
    db.session.flush()
    facet = custom_facet(field)
    db.session.execute(sa.delete(DirectoryFacet).where(DirectoryFacet.facet == facet))
    if deleted or not is_faceted(field):
        return
    users = db.session.scalars(
        sa.select(User)
        .join(ProfileFieldValue, ProfileFieldValue.user_id == User.id)
        .where(ProfileFieldValue.field_id == field.id)
    ).all()
    profiles = profiles_by_user([user.id for user in users])
    values = fields_service.values_by_user([user.id for user in users])
    for user in users:
        rows = [row for row in user_rows(user, profiles.get(user.id), values.get(user.id, {}), [field])]
        _insert("user", user.id, [row for row in rows if row[0] == facet])


# --- rebuild -----------------------------------------------------------------------------


def rebuild_all(batch: int = 500) -> dict[str, int]:
    """Throw every row away and derive them again from the tables (``flask directory
    rebuild-facets``); returns how many rows each subject type got. The caller commits."""
    db.session.flush()
    db.session.execute(sa.delete(DirectoryFacet))
    fields = fields_service.list_fields()
    counts = {"user": 0, "org": 0}
    for users in in_id_batches(db.session, User, batch, selectinload(User.organization)):
        ids = [user.id for user in users]
        profiles = profiles_by_user(ids)
        values = fields_service.values_by_user(ids)
        for user in users:
            rows = user_rows(user, profiles.get(user.id), values.get(user.id, {}), fields)
            _insert("user", user.id, rows)
            counts["user"] += len(rows)
    for org in db.session.scalars(sa.select(Organization).order_by(Organization.id)):
        rows = org_rows(org)
        _insert("org", org.id, rows)
        counts["org"] += len(rows)
    db.session.flush()
    return counts


def snapshot() -> set[tuple[str, int, str, str, str]]:
    """Every row as a comparable tuple (tests compare rebuilds with incremental state)."""
    return {
        (row.subject_type, row.subject_id, row.facet, row.value, row.visibility)
        for row in db.session.scalars(sa.select(DirectoryFacet))
    }
