"""Admin-defined custom profile fields: definitions, members' values, and who may see them.

A field's ``visibility`` names its audience (everyone, signed-in members, staff) and is
checked for every reader, wherever a value is shown or counted. Keys and kinds are
fixed once a field exists: the key is part of shareable directory URLs
(``?cf.<key>=…``) and changing the kind would strand every stored value.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.accounts.services import clean_text, no_nul
from app.core.errors import Invalid, NotFound
from app.core.permissions import is_active_member, is_staff, require
from app.directory.models import FIELD_KINDS, FIELD_VISIBILITIES, ProfileField, ProfileFieldValue
from app.extensions import db
from app.plugins import fire

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CHOICE_KINDS = ("choice", "multi")
KIND_LABELS = {"text": "Text", "choice": "Single choice", "multi": "Multiple choice", "url": "Web address"}
VISIBILITY_LABELS = {"everyone": "Everyone", "members": "Signed-in members", "staff": "Staff only"}
LABEL_MAX = 80
HELP_MAX = 200
MAX_CHOICES = 50
CHOICE_MAX = 80
TEXT_VALUE_MAX = 200
URL_VALUE_MAX = 300
MAX_FIELDS = 50


# --- audiences -----------------------------------------------------------------------


def audience_of(reader: Any) -> tuple[str, ...]:
    """The visibility levels ``reader`` may see: the filter under every count and list."""
    if is_staff(reader) and not getattr(reader, "is_suspended", False):
        return FIELD_VISIBILITIES
    if is_active_member(reader):
        return ("everyone", "members")
    return ("everyone",)


def field_visible_to(field: ProfileField, reader: Any) -> bool:
    return field.visibility in audience_of(reader)


# --- definitions ----------------------------------------------------------------------


def list_fields() -> list[ProfileField]:
    return list(db.session.scalars(sa.select(ProfileField).order_by(ProfileField.position, ProfileField.id)))


def fields_by_ids(field_ids: list[int]) -> list[ProfileField]:
    """The fields that still exist among ``field_ids`` (the audit log names them)."""
    return list(db.session.scalars(sa.select(ProfileField).where(ProfileField.id.in_(field_ids))))


def get_field(field_id: int) -> ProfileField:
    # Ids past the column's range would be a database error, not a missing field.
    in_range = isinstance(field_id, int) and 0 < field_id < 2**31
    field = db.session.get(ProfileField, field_id) if in_range else None
    if field is None:
        raise NotFound("No such profile field.")
    return field


def parse_choices(raw: str | list[str] | None) -> list[str]:
    """One choice per line (or a list), trimmed; duplicates and oversize lists refused."""
    items = raw.splitlines() if isinstance(raw, str) else list(raw or [])
    choices: list[str] = []
    seen: set[str] = set()
    for item in items:
        choice = " ".join(no_nul(str(item)).split())
        if not choice:
            continue
        if len(choice) > CHOICE_MAX:
            raise Invalid(f"Each choice must be at most {CHOICE_MAX} characters.", field="choices")
        if any(ord(ch) < 32 or ch == "\x7f" for ch in choice):
            raise Invalid("Choices cannot contain control characters.", field="choices")
        if choice.casefold() in seen:
            raise Invalid(f"The choice “{choice}” is listed twice.", field="choices")
        seen.add(choice.casefold())
        choices.append(choice)
    if len(choices) > MAX_CHOICES:
        raise Invalid(f"A field can offer at most {MAX_CHOICES} choices.", field="choices")
    return choices


def _clean_definition(
    label: str,
    kind: str,
    choices: str | list[str] | None,
    help_text: str,
    required: bool,
    searchable: bool,
    in_directory: bool,
    visibility: str,
) -> dict:
    label = clean_text(label, LABEL_MAX, "The label")
    if not label:
        raise Invalid("Give the field a label.", field="label")
    if kind not in FIELD_KINDS:
        raise Invalid("Choose a kind of field from the list.", field="kind")
    if visibility not in FIELD_VISIBILITIES:
        raise Invalid("Choose who may see the field from the list.", field="visibility")
    parsed = parse_choices(choices) if kind in CHOICE_KINDS else []
    if kind in CHOICE_KINDS and len(parsed) < 1:
        raise Invalid("A choice field needs at least one choice (one per line).", field="choices")
    try:
        help_text = clean_text(help_text, HELP_MAX, "The help text")
    except Invalid as error:
        raise Invalid(error.message, field="help_text")
    return {
        "label": label,
        "kind": kind,
        "choices": parsed,
        "help_text": help_text,
        "required": bool(required),
        "searchable": bool(searchable),
        "in_directory": bool(in_directory),
        "visibility": visibility,
    }


def create_field(
    actor: Any,
    *,
    key: str,
    label: str,
    kind: str,
    choices: str | list[str] | None = None,
    help_text: str = "",
    required: bool = False,
    searchable: bool = False,
    in_directory: bool = True,
    visibility: str = "members",
) -> ProfileField:
    require(actor, "directory.fields.manage")
    key = (key or "").strip()
    if not KEY_RE.match(key):
        raise Invalid(
            "Keys are 1 to 40 lowercase letters, digits and underscores, starting with a letter.",
            field="key",
        )
    values = _clean_definition(
        label, kind, choices, help_text, required, searchable, in_directory, visibility
    )
    if db.session.scalar(sa.select(ProfileField.id).where(ProfileField.key == key)) is not None:
        raise Invalid("Another field already uses that key.", field="key")
    if (db.session.scalar(sa.select(sa.func.count()).select_from(ProfileField)) or 0) >= MAX_FIELDS:
        raise Invalid(f"There can be at most {MAX_FIELDS} custom fields.")
    last = db.session.scalar(sa.select(sa.func.max(ProfileField.position)))
    field = ProfileField(key=key, position=(last + 1) if last is not None else 0, **values)
    db.session.add(field)
    db.session.flush()
    fire("profile_field_changed", field=field, actor=actor, deleted=False)
    return field


def update_field(
    actor: Any,
    field: ProfileField,
    *,
    label: str,
    choices: str | list[str] | None = None,
    help_text: str = "",
    required: bool = False,
    searchable: bool = False,
    in_directory: bool = True,
    visibility: str = "members",
) -> ProfileField:
    """Change everything but the key and kind. Stored values whose choice was removed
    stay in the table but are ignored wherever values are read, so putting the choice
    back restores them."""
    require(actor, "directory.fields.manage")
    values = _clean_definition(
        label, field.kind, choices, help_text, required, searchable, in_directory, visibility
    )
    for name, value in values.items():
        setattr(field, name, value)
    db.session.flush()
    fire("profile_field_changed", field=field, actor=actor, deleted=False)
    return field


def delete_field(actor: Any, field: ProfileField) -> None:
    require(actor, "directory.fields.manage")
    fire("profile_field_changed", field=field, actor=actor, deleted=True)
    db.session.execute(sa.delete(ProfileFieldValue).where(ProfileFieldValue.field_id == field.id))
    db.session.delete(field)
    db.session.flush()
    _renumber(list_fields())


def move_field(actor: Any, field: ProfileField, direction: str) -> None:
    """Swap a field with its neighbour ("up" or "down"); positions stay 0..n-1."""
    require(actor, "directory.fields.manage")
    if direction not in ("up", "down"):
        raise Invalid("Move a field up or down.")
    fields = list_fields()
    index = fields.index(field)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(fields):
        fields[index], fields[other] = fields[other], fields[index]
    _renumber(fields)


def _renumber(fields: list[ProfileField]) -> None:
    for position, field in enumerate(fields):
        field.position = position
    db.session.flush()


# --- values -----------------------------------------------------------------------------


def safe_url(url: str) -> str | None:
    """An absolute http(s) address without spaces or control characters, else None."""
    if not url or len(url) > URL_VALUE_MAX or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def clean_value(field: ProfileField, raw: Any) -> str | list[str] | None:
    """A member's input for ``field`` as it is stored; ``None`` for empty."""
    label = field.label
    if field.kind in ("text", "url", "choice"):
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else ", ".join(str(item) for item in raw)
        text = " ".join(no_nul(str(raw or "")).split())
        if not text:
            return None
        if field.kind == "text":
            if len(text) > TEXT_VALUE_MAX:
                raise Invalid(
                    f"{label} must be at most {TEXT_VALUE_MAX} characters.", field=f"cf_{field.key}"
                )
            return text
        if field.kind == "url":
            if safe_url(text) is None:
                raise Invalid(f"{label} must be a full http:// or https:// address.", field=f"cf_{field.key}")
            return text
        if text not in field.choices:
            raise Invalid(f"Choose {label} from the list.", field=f"cf_{field.key}")
        return text
    items = raw if isinstance(raw, list) else ([raw] if raw else [])
    chosen: list[str] = []
    for item in items:
        text = " ".join(no_nul(str(item or "")).split())
        if not text:
            continue
        if text not in field.choices:
            raise Invalid(f"Choose {label} from the list.", field=f"cf_{field.key}")
        if text not in chosen:
            chosen.append(text)
    return [choice for choice in field.choices if choice in chosen] or None


def current_items(field: ProfileField, value: Any) -> list[str]:
    """A stored value as a list of strings still valid for the field's definition."""
    if value is None:
        return []
    if field.kind == "multi":
        items = value if isinstance(value, list) else [value]
        return [str(item) for item in items if str(item) in field.choices]
    text = str(value[0] if isinstance(value, list) and value else value or "")
    if not text:
        return []
    if field.kind == "choice" and text not in field.choices:
        return []
    if field.kind == "url" and safe_url(text) is None:
        return []
    return [text]


def values_by_user(user_ids: list[int] | set[int]) -> dict[int, dict[int, ProfileFieldValue]]:
    """``{user_id: {field_id: value row}}`` for many members in one query."""
    found: dict[int, dict[int, ProfileFieldValue]] = {user_id: {} for user_id in user_ids}
    if not user_ids:
        return found
    rows = db.session.scalars(
        sa.select(ProfileFieldValue).where(ProfileFieldValue.user_id.in_(list(user_ids)))
    )
    for row in rows:
        found.setdefault(row.user_id, {})[row.field_id] = row
    return found


def user_ids_with_values(field: ProfileField) -> list[int]:
    return list(
        db.session.scalars(sa.select(ProfileFieldValue.user_id).where(ProfileFieldValue.field_id == field.id))
    )
