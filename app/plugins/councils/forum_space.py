"""The council's private forum category (issue 22), through the forums' space hooks.

Forums makes and guards the category; the council only says which spaces exist (one
per council, scope type ``council``) and who is in each: exactly those who may enter
the council's private pages (``services.may_enter``: an active seat in its term, with
the current charter accepted). The answer is asked on every access, so an ended term,
a removal or a new charter takes effect at once, with no forum rows to update.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.forums.models import Category
from app.forums.spaces import ensure_forum_space, space_category
from app.plugins.councils import services
from app.plugins.councils.models import Council


def forum_spaces() -> list[dict]:
    councils = db.session.scalars(sa.select(Council).order_by(Council.id))
    return [
        {
            "scope_type": services.SCOPE_TYPE,
            "scope_id": c.id,
            "name": c.name,
            "description": services.FORUM_DESCRIPTION,
        }
        for c in councils
    ]


def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    if scope_type != services.SCOPE_TYPE:
        return None
    council = db.session.get(Council, scope_id)
    return council is not None and services.may_enter(actor, council)


def forum_of(council: Council) -> Category | None:
    """The council's category, for the link on its page (made by the sync if missing)."""
    return space_category(services.SCOPE_TYPE, council.id)


def ensure_forum(council: Council) -> Category:
    """The council's category, made now if missing (the demo, on a site whose councils
    predate their forums; ``create_council`` makes it for new ones)."""
    return ensure_forum_space(services.SCOPE_TYPE, council.id, council.name, services.FORUM_DESCRIPTION)
