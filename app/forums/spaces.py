"""Private forum spaces: categories a plug-in owns, one per scope (a council's forum).

A plug-in declares its spaces through the ``forum_spaces`` hook and says who is in
each through ``forum_space_member``; it never writes forum rows. Forums makes each
space's category here, once: by the periodic job ``forums.sync-spaces``, by ``flask
forums sync-spaces``, and at once when the plug-in calls :func:`ensure_forum_space`
right after creating its scope. Who may read it is decided on every access by
``can()`` (app/core/permissions.py asks the hook), so nothing here grants access.

Race-safe without savepoints: the category is inserted with ``ON CONFLICT DO
NOTHING`` against the unique ``(space_type, space_id)`` pair, then read back, so two
workers syncing at once make one category and neither fails.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.core.db import utcnow
from app.core.permissions import POLICY_MEMBERS
from app.extensions import db
from app.forums.models import Category
from app.forums.posting import slugify
from app.plugins import fire

SCOPE_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
NAME_MAX = 80
DESCRIPTION_MAX = 500
# Spaces list after the site's own categories for the few who see them.
SPACE_POSITION = 1000
SLUG_ATTEMPTS = 5


class SpaceSpec(dict):
    """One validated ``forum_spaces`` answer: scope_type, scope_id, name, description."""


def clean_spec(raw: Any) -> SpaceSpec | None:
    """A plug-in's answer made safe to store, or ``None`` when it is unusable (a bad
    answer from one plug-in must not stop the others' spaces from being made)."""
    if not isinstance(raw, dict):
        return None
    scope_type, scope_id = raw.get("scope_type"), raw.get("scope_id")
    if not isinstance(scope_type, str) or not SCOPE_TYPE_RE.match(scope_type):
        return None
    if isinstance(scope_id, bool) or not isinstance(scope_id, int) or scope_id < 1:
        return None
    name = " ".join(str(raw.get("name") or "").split())[:NAME_MAX] or f"{scope_type} {scope_id}"
    description = " ".join(str(raw.get("description") or "").split())[:DESCRIPTION_MAX]
    return SpaceSpec(scope_type=scope_type, scope_id=scope_id, name=name, description=description)


def declared_spaces() -> list[SpaceSpec]:
    """Every space the enabled plug-ins declare, each scope once."""
    found: dict[tuple[str, int], SpaceSpec] = {}
    for answer in fire("forum_spaces"):
        for raw in answer or []:
            spec = clean_spec(raw)
            if spec is not None:
                found.setdefault((spec["scope_type"], spec["scope_id"]), spec)
    return list(found.values())


def space_category(scope_type: str, scope_id: int) -> Category | None:
    """The category of a space, if it was made. No permission check: plug-ins use it to
    link to their own space; reading it goes through ``can()`` as for any category."""
    return db.session.scalar(
        sa.select(Category).where(Category.space_type == scope_type, Category.space_id == scope_id)
    )


def _insert(values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING in the connection's own dialect (both SQLite and
    PostgreSQL have it): a concurrent sync's row, or a slug in use, is not an error."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = db.session.execute(insert(Category).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def _slugs(spec: SpaceSpec) -> list[str]:
    base = f"{slugify(spec['scope_type'], fallback='space')}-{spec['scope_id']}"
    named = f"{base}-{slugify(spec['name'], fallback='forum')}"[:NAME_MAX].rstrip("-")
    return [named, base] + [f"{base}-{n}" for n in range(2, SLUG_ATTEMPTS)]


def ensure_forum_space(scope_type: str, scope_id: int, name: str, description: str = "") -> Category:
    """The space's category, made now if it does not exist yet; its name and
    description follow the plug-in's (a renamed council renames its forum).

    Plug-ins call this right after creating a scope, inside their transaction (the
    boundary commits); the periodic sync makes any it missed."""
    spec = clean_spec(
        {"scope_type": scope_type, "scope_id": scope_id, "name": name, "description": description}
    )
    if spec is None:
        raise ValueError(f"not a forum space: {scope_type!r} {scope_id!r}")
    category = space_category(spec["scope_type"], spec["scope_id"])
    for slug in _slugs(spec) if category is None else []:
        inserted = _insert(
            {
                "name": spec["name"],
                "slug": slug,
                "description": spec["description"],
                "position": SPACE_POSITION,
                "view_policy": POLICY_MEMBERS,
                "topic_policy": POLICY_MEMBERS,
                "reply_policy": POLICY_MEMBERS,
                "created_at": utcnow(),
                "space_type": spec["scope_type"],
                "space_id": spec["scope_id"],
            }
        )
        category = space_category(spec["scope_type"], spec["scope_id"])
        if category is not None:  # ours, or a concurrent sync's; else the slug was taken
            if inserted:
                fire("category_created", category=category, actor=None)
            break
    if category is None:
        raise RuntimeError(f"no free slug for forum space {scope_type} {scope_id}")
    if (category.name, category.description) != (spec["name"], spec["description"]):
        category.name, category.description = spec["name"], spec["description"]
        db.session.flush()
    return category


def sync_forum_spaces() -> list[Category]:
    """Make (once) the category of every declared space; the boundary commits.
    Idempotent: a second run writes nothing. A space no plug-in declares any more keeps
    its category, readable by nobody (``can()`` finds no member), so nothing leaks."""
    return [
        ensure_forum_space(spec["scope_type"], spec["scope_id"], spec["name"], spec["description"])
        for spec in declared_spaces()
    ]
