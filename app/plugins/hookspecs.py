"""Every hook contract Guildhall offers, in one file.

Plug-ins implement these with ``@hookimpl`` (from ``app.plugins``). Core features
fire the domain events from their services, inside the caller's transaction: a
listener that writes rows writes them atomically with the event, and one that needs
the write to be final (email, search, sockets) uses ``app.core.db.after_commit``.
Hook arguments are always passed by keyword.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("guildhall")


# --- wiring ------------------------------------------------------------------------


@hookspec
def register_blueprints(app: Any) -> None:
    """Register the plug-in's blueprints (and Socket.IO namespaces) on ``app``."""


@hookspec
def register_cli(cli: Any) -> None:
    """Add click commands or groups to ``app.cli``."""


@hookspec
def migrations_folders() -> list[str]:
    """Absolute paths of the plug-in's Alembic ``versions`` folders (its own branch)."""


@hookspec
def nav_items(actor: Any) -> list[dict]:
    """Header navigation entries for ``actor``: ``{"label", "endpoint", "order"}``."""


@hookspec
def template_panel(name: str, context: dict) -> str | None:
    """Markup for a named panel slot (``profile_sidebar``, ``topic_footer``, …).

    The returned string is inserted as-is, so a plug-in must render it through a
    Jinja template (autoescaped) and never concatenate user data into it.
    """


@hookspec
def permission_rule(actor: Any, action: str, obj: Any) -> bool | None:
    """``True``/``False`` to decide, ``None`` to abstain (see ``core.permissions``)."""


@hookspec
def search_documents(since: Any) -> list[dict]:
    """Documents the plug-in wants indexed: ``{"kind", "id", "title", "body", "url",
    "principals", "updated_at"}``; ``since`` limits to changes after a time (``None``
    for a full rebuild)."""


@hookspec
def points_rules() -> list[dict]:
    """Recognition points per domain event: ``{"event", "points", "reason"}``."""


# --- domain events -----------------------------------------------------------------


@hookspec
def user_registered(user: Any) -> None:
    """A new account was created (before confirmation)."""


@hookspec
def user_confirmed(user: Any) -> None:
    """A user confirmed their email address."""


@hookspec
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    """A moderator suspended ``user`` until ``until``."""


@hookspec
def organization_created(organization: Any, actor: Any) -> None:
    """A partner organization was created."""


@hookspec
def topic_created(topic: Any, actor: Any) -> None:
    """A topic and its first post were created."""


@hookspec
def post_created(post: Any, actor: Any) -> None:
    """A reply (or a topic's first post) was created; mentions are already parsed."""


@hookspec
def post_edited(post: Any, actor: Any, revision: Any) -> None:
    """A post body changed; ``revision`` holds the previous body."""


@hookspec
def post_deleted(post: Any, actor: Any) -> None:
    """A post (or topic, via its first post) was soft-deleted."""


@hookspec
def post_restored(post: Any, actor: Any) -> None:
    """A soft-deleted post was restored."""


@hookspec
def post_hidden(post: Any, actor: Any, reason: str) -> None:
    """A moderator hid a post."""


@hookspec
def post_unhidden(post: Any, actor: Any) -> None:
    """A moderator restored a hidden post."""


@hookspec
def post_liked(post: Any, actor: Any) -> None:
    """``actor`` liked ``post``."""


@hookspec
def user_mentioned(post: Any, user: Any, actor: Any) -> None:
    """``post`` mentions ``user``, who can read it."""


@hookspec
def topic_moderated(topic: Any, actor: Any, action: str, reason: str) -> None:
    """A moderator locked, unlocked, pinned, unpinned or moved a topic."""


@hookspec
def post_flagged(flag: Any, actor: Any) -> None:
    """A member flagged a post for review."""
