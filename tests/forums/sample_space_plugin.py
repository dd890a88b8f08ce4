"""A sample plug-in owning private forum spaces ("clubs"), for the forums' own tests of
the ``forum_spaces`` / ``forum_space_member`` hooks: they must run with every in-tree
plug-in disabled (``PLUGINS=``), so they cannot lean on councils.

Tests fill ``CLUBS`` (scope id → name) and ``MEMBERS`` (scope id → user ids); the
``_empty_clubs`` fixture in test_spaces.py clears both.
"""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl

SCOPE_TYPE = "club"
CLUBS: dict[int, str] = {}
MEMBERS: dict[int, set[int]] = {}


@hookimpl
def forum_spaces() -> list[dict]:
    return [
        {"scope_type": SCOPE_TYPE, "scope_id": club_id, "name": name, "description": f"{name}: members only"}
        for club_id, name in sorted(CLUBS.items())
    ]


@hookimpl
def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    if scope_type != SCOPE_TYPE:
        return None
    return getattr(actor, "id", None) in MEMBERS.get(scope_id, set())
