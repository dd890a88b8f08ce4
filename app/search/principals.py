"""The principals of a reader: who they are, for matching against documents.

Core rules give ``public`` to everyone, ``members``, ``role:<role>`` and ``user:<id>`` to
signed-in members, and ``category:<id>`` for every category ``can()`` lets them view
(the one permission rule stays authoritative). Plug-ins add theirs (``council:<id>``,
``group:<id>``) through the ``search_principals`` hook.
"""

from __future__ import annotations

from typing import Any

from app.core.permissions import is_authenticated
from app.forums.categories import visible_category_ids
from app.plugins import fire


def actor_principals(actor: Any, category_ids: set[int] | None = None) -> list[str]:
    """``category_ids``: the actor's visible categories when the caller has them already
    (the search service needs them for facet labels too: one query instead of two)."""
    principals = {"public"}
    if is_authenticated(actor) and not getattr(actor, "is_suspended", False):
        principals |= {"members", f"role:{actor.role}", f"user:{actor.id}"}
    if category_ids is None:
        category_ids = visible_category_ids(actor)
    principals |= {f"category:{category_id}" for category_id in category_ids}
    for extra in fire("search_principals", actor=actor):
        principals |= {str(p) for p in extra or [] if p}
    return sorted(principals)
