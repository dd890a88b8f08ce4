"""The group's forum category, through the forums' space hooks.

Forums makes and guards the category; the group says which spaces exist (one per
group, scope type ``group``) and who is in each (``services.may_enter_space``): the
group's active members, and for a public group also the site's partner members that
the group has not banned. Asked on every access, so leaving, a removal or a ban takes
effect at once with no forum rows to update.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.forums.models import Category
from app.forums.spaces import space_category
from app.plugins.groups import services
from app.plugins.groups.models import Group


def forum_spaces() -> list[dict]:
    return [
        {
            "scope_type": services.SCOPE_TYPE,
            "scope_id": g.id,
            "name": g.name,
            "description": services.FORUM_DESCRIPTION,
        }
        for g in db.session.scalars(sa.select(Group).order_by(Group.id))
    ]


def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    if scope_type != services.SCOPE_TYPE:
        return None
    group = db.session.get(Group, scope_id)
    return group is not None and services.may_enter_space(actor, group)


def forum_of(group: Group) -> Category | None:
    """The group's category, for the link on its page."""
    return space_category(services.SCOPE_TYPE, group.id)
