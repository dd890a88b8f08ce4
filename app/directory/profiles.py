"""A member's directory settings, and what of a member each kind of reader may see.

Two views of a member exist. The *directory view* (listing, facets, JSON, CSV, search
documents) never contains what the member hid, whoever reads it, admins included: it
is what the member agreed to publish. The *profile view* (the custom-field panel on
``/u/<username>``) shows the member everything of their own and shows staff hidden
values marked as hidden, as moderators need them; everyone else sees the directory view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.services import clean_list
from app.core.errors import Invalid
from app.core.permissions import is_authenticated, is_staff, require
from app.directory import fields as fields_service
from app.directory.models import HIDEABLE_FIELDS, DirectoryProfile, ProfileField, ProfileFieldValue
from app.extensions import db
from app.plugins import fire

FIELD_LABELS = {
    "job_title": "Job title",
    "region": "Region",
    "country": "Country",
    "languages": "Languages",
    "specialisms": "Specialisms",
    "certifications": "Certifications",
    "industries": "Industries",
}


# --- reading ----------------------------------------------------------------------------


def get_profile(user: Any) -> DirectoryProfile | None:
    if getattr(user, "id", None) is None:
        return None
    return db.session.get(DirectoryProfile, user.id)


def profiles_by_user(user_ids: list[int] | set[int]) -> dict[int, DirectoryProfile]:
    if not user_ids:
        return {}
    rows = db.session.scalars(sa.select(DirectoryProfile).where(DirectoryProfile.user_id.in_(list(user_ids))))
    return {row.user_id: row for row in rows}


def hidden_fields_of(profile: DirectoryProfile | None) -> set[str]:
    return {name for name in (profile.hidden_fields if profile else None) or [] if name in HIDEABLE_FIELDS}


def is_hidden_member(profile: DirectoryProfile | None) -> bool:
    return bool(profile is not None and profile.hidden)


def sees_everything_of(viewer: Any, user: Any) -> bool:
    """The member themselves, and staff, see hidden built-in fields on the profile page."""
    return is_authenticated(viewer) and (getattr(viewer, "id", None) == user.id or is_staff(viewer))


def hidden_fields_for(user: User, viewer: Any) -> set[str]:
    """The built-in fields of ``user`` the profile page keeps from ``viewer``."""
    if sees_everything_of(viewer, user):
        return set()
    return hidden_fields_of(get_profile(user))


def builtin_field_visible(user: User, name: str, viewer: Any) -> bool:
    """Whether the profile page may show ``user``'s built-in field ``name`` to ``viewer``."""
    return name not in hidden_fields_for(user, viewer)


@dataclass
class CustomValue:
    key: str
    label: str
    kind: str
    items: list[str]
    visibility: str
    hidden: bool = False  # hidden by the member (shown only on the profile view)


@dataclass
class PersonFacts:
    """The directory view of one member: only what they publish and ``reader`` may see."""

    job_title: str = ""
    region: str = ""
    country: str = ""
    languages: list[str] = field(default_factory=list)
    specialisms: list[str] = field(default_factory=list)
    certifications: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    custom: list[CustomValue] = field(default_factory=list)

    def custom_text(self, key: str) -> str:
        for value in self.custom:
            if value.key == key:
                return ", ".join(value.items)
        return ""


def directory_facts(
    user: User,
    profile: DirectoryProfile | None,
    values: dict[int, ProfileFieldValue],
    fields: list[ProfileField],
    reader: Any,
    *,
    in_directory_only: bool = True,
) -> PersonFacts:
    """What the listing, JSON, CSV and search may say about ``user`` to ``reader``."""
    hidden = hidden_fields_of(profile)
    facts = PersonFacts()
    for name in ("job_title", "region", "country"):
        if name not in hidden:
            setattr(facts, name, getattr(user, name) or "")
    for name in ("languages", "specialisms"):
        if name not in hidden:
            setattr(facts, name, list(getattr(user, name) or []))
    if profile is not None and "certifications" not in hidden:
        facts.certifications = list(profile.certifications or [])
    if "industries" not in hidden:
        # Their own industries, then their organization's: the industry filter matches both.
        org_industries = user.organization.industries if user.organization is not None else None
        own = list(profile.industries or []) if profile is not None else []
        facts.industries = list(dict.fromkeys([*own, *(org_industries or [])]))
    audience = fields_service.audience_of(reader)
    for custom in fields:
        if (in_directory_only and not custom.in_directory) or custom.visibility not in audience:
            continue
        row = values.get(custom.id)
        if row is None or row.hidden:
            continue
        items = fields_service.current_items(custom, row.value)
        if items:
            facts.custom.append(CustomValue(custom.key, custom.label, custom.kind, items, custom.visibility))
    return facts


def profile_custom_values(user: User, viewer: Any) -> list[CustomValue]:
    """The custom fields the profile panel shows ``viewer`` about ``user``."""
    own = is_authenticated(viewer) and getattr(viewer, "id", None) == user.id
    staff = is_staff(viewer)
    audience = fields_service.audience_of(viewer)
    values = fields_service.values_by_user([user.id]).get(user.id, {})
    shown: list[CustomValue] = []
    for custom in fields_service.list_fields():
        row = values.get(custom.id)
        if row is None or not (own or custom.visibility in audience):
            continue
        if row.hidden and not (own or staff):
            continue
        items = fields_service.current_items(custom, row.value)
        if items:
            shown.append(
                CustomValue(custom.key, custom.label, custom.kind, items, custom.visibility, row.hidden)
            )
    return shown


def profile_lists(user: User, viewer: Any) -> dict[str, list[str]]:
    """Certifications and industries for the profile panel (hidden ones for owner/staff only)."""
    profile = get_profile(user)
    if profile is None:
        return {"certifications": [], "industries": []}
    everything = sees_everything_of(viewer, user)
    hidden = hidden_fields_of(profile)
    return {
        name: list(getattr(profile, name) or []) if everything or name not in hidden else []
        for name in ("certifications", "industries")
    }


def search_facts(user_ids: list[int], session: Session | None = None) -> dict[int, dict]:
    """Each member's directory settings as plain data for the search index's
    ``member_document``: ``hidden``, ``hidden_fields``, ``certifications``,
    ``industries`` and ``public_values`` (their unhidden values of searchable,
    everyone-visible fields). Read through ``session``: indexing runs in its own."""
    data: dict[int, dict] = {
        user_id: {
            "hidden": False,
            "hidden_fields": set(),
            "certifications": [],
            "industries": [],
            "public_values": [],
        }
        for user_id in user_ids
    }
    if not user_ids:
        return data
    session = session or db.session
    for profile in session.scalars(sa.select(DirectoryProfile).where(DirectoryProfile.user_id.in_(user_ids))):
        entry = data[profile.user_id]
        entry["hidden"] = bool(profile.hidden)
        entry["hidden_fields"] = set(profile.hidden_fields or [])
        entry["certifications"] = [str(item) for item in profile.certifications or []]
        entry["industries"] = [str(item) for item in profile.industries or []]
    fields = {
        custom.id: custom
        for custom in session.scalars(
            sa.select(ProfileField).where(
                ProfileField.searchable.is_(True), ProfileField.visibility == "everyone"
            )
        )
    }
    if fields:
        rows = session.execute(
            sa.select(ProfileFieldValue.user_id, ProfileFieldValue.field_id, ProfileFieldValue.value).where(
                ProfileFieldValue.user_id.in_(user_ids),
                ProfileFieldValue.field_id.in_(list(fields)),
                ProfileFieldValue.hidden.is_(False),
            )
        )
        for user_id, field_id, value in rows:
            custom = fields[field_id]
            items = value if isinstance(value, list) else [value]
            data[user_id]["public_values"].extend(
                str(item)
                for item in items
                if item and (custom.kind not in ("choice", "multi") or item in custom.choices)
            )
    return data


# --- writing ------------------------------------------------------------------------------


def profile_for_update(user: User) -> DirectoryProfile:
    profile = get_profile(user)
    if profile is None:
        profile = DirectoryProfile(
            user_id=user.id, hidden=False, hidden_fields=[], certifications=[], industries=[]
        )
        db.session.add(profile)
    return profile


def update_directory_settings(
    actor: Any,
    user: User,
    *,
    hidden: bool = False,
    hidden_fields: list[str] | None = None,
    certifications: str | list[str] = "",
    industries: str | list[str] = "",
    values: dict[str, Any] | None = None,
    hidden_values: list[str] | set[str] | None = None,
) -> DirectoryProfile:
    """Save a member's directory settings and custom field values in one go.

    Everything is validated before anything is written, so a refused save changes
    nothing. ``values`` maps field keys to raw input (a list for multiple choice);
    every field is saved, so a field left out is cleared, and a required field left
    empty is refused. ``hidden_values`` names the fields whose value the member keeps
    off the directory. Fires ``profile_updated``: the facets and the search index follow.
    """
    require(actor, "user.edit", user)
    wanted_hidden = list(dict.fromkeys(hidden_fields or []))
    unknown = [name for name in wanted_hidden if name not in HIDEABLE_FIELDS]
    if unknown:
        raise Invalid(f"{str(unknown[0])[:60]!r} is not a field you can hide.", field="hidden_fields")
    try:
        certification_list = clean_list(certifications, "certifications")
    except Invalid as error:
        raise Invalid(error.message, field="certifications")
    try:
        industry_list = clean_list(industries, "industries")
    except Invalid as error:
        raise Invalid(error.message, field="industries")
    values = dict(values or {})
    defined = fields_service.list_fields()
    keys = {custom.key for custom in defined}
    stray = [key for key in values if key not in keys]
    if stray:
        raise Invalid(f"There is no profile field {str(stray[0])[:40]!r}.")
    hidden_keys = set(hidden_values or [])
    stray = [key for key in hidden_keys if key not in keys]
    if stray:
        raise Invalid(f"There is no profile field {str(stray[0])[:40]!r}.")
    cleaned: dict[int, Any] = {}
    for custom in defined:
        value = fields_service.clean_value(custom, values.get(custom.key))
        if value is None and custom.required:
            raise Invalid(f"{custom.label} is required.", field=f"cf_{custom.key}")
        cleaned[custom.id] = value

    profile = profile_for_update(user)
    profile.hidden = bool(hidden)
    profile.hidden_fields = [name for name in HIDEABLE_FIELDS if name in wanted_hidden]
    profile.certifications = certification_list
    profile.industries = industry_list
    existing = fields_service.values_by_user([user.id]).get(user.id, {})
    for custom in defined:
        row = existing.get(custom.id)
        value = cleaned[custom.id]
        if value is None:
            if row is not None:
                db.session.delete(row)
            continue
        if row is None:
            row = ProfileFieldValue(user_id=user.id, field_id=custom.id, value=value)
            db.session.add(row)
        else:
            row.value = value
        row.hidden = custom.key in hidden_keys
    db.session.flush()
    fire("profile_updated", user=user, actor=actor)
    return profile


def settings_snapshot(user: User) -> dict[str, Any]:
    """The member's current settings as form data (for the settings page)."""
    profile = get_profile(user)
    values = fields_service.values_by_user([user.id]).get(user.id, {})
    by_key: dict[str, Any] = {}
    hidden_keys: list[str] = []
    for custom in fields_service.list_fields():
        row = values.get(custom.id)
        if row is None:
            continue
        items = fields_service.current_items(custom, row.value)
        by_key[custom.key] = items if custom.kind == "multi" else (items[0] if items else "")
        if row.hidden:
            hidden_keys.append(custom.key)
    return {
        "hidden": bool(profile and profile.hidden),
        "hidden_fields": sorted(hidden_fields_of(profile), key=HIDEABLE_FIELDS.index),
        "certifications": list(profile.certifications or []) if profile else [],
        "industries": list(profile.industries or []) if profile else [],
        "values": by_key,
        "hidden_values": hidden_keys,
    }
