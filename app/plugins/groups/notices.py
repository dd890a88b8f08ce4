"""What the groups tell the core notification service: the kinds members choose
delivery for, and whether an email may still go (asked as it is built, at commit, so
a member removed or banned in the same transaction gets nothing about the group)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.plugins.groups import services
from app.plugins.groups.models import Group

GROUP_LABEL = "User groups"
_GROUP_URL = re.compile(r"^/groups/([a-z0-9-]+)(/lead)?/?$")


def notification_kinds() -> dict[str, dict]:
    return {
        kind: {"label": label, "group": GROUP_LABEL, "in_app": True, "email": True}
        for kind, label in services.NOTIFICATION_KINDS.items()
    }


def may_reach(user: Any, kind: str, url: str) -> bool | None:
    """``False`` when ``user`` may no longer see what a group notice is about."""
    if kind not in services.NOTIFICATION_KINDS:
        return None
    match = _GROUP_URL.match(url or "")
    group = db.session.scalar(sa.select(Group).where(Group.slug == match.group(1))) if match else None
    if group is None:
        return False
    if kind == "group_request":
        return services.may_manage(user, group)
    if kind == "group_invitation":
        return services.has_pending_invitation(user, group)
    return services.is_member(user, group)
