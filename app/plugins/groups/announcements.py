"""Announcements: a leader posts one and it reaches the group's active members in-app
and by email (kind ``group_announcement``, emailed unless the member chose otherwise),
except members who turned this group's announcements off on its page. The message
names the group and the title only; the text stays on the group's page, which shows it
to those who may see the group's members.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.errors import Invalid, NotFound
from app.core.sanitize import render_markdown, too_costly
from app.extensions import db
from app.notifications.services import notify
from app.plugins.groups import services
from app.plugins.groups.models import Group, GroupAnnouncement, GroupMembership

TITLE_MAX = 200
BODY_MAX = 20_000
RECENT = 5


def post_announcement(actor: Any, group: Group, title: str, body: str) -> tuple[GroupAnnouncement, int]:
    """A leader posts; returns the announcement and how many members were told."""
    services.require_leader(actor, group)
    title = services.clean_line(title, "title", TITLE_MAX)
    body = services.clean_block(body, "body", BODY_MAX)
    problem = too_costly(body)
    if problem:
        raise Invalid(problem, field="body")
    announcement = GroupAnnouncement(
        group_id=group.id, author_id=actor.id, title=title, body=body, body_html=render_markdown(body)
    )
    db.session.add(announcement)
    db.session.flush()
    told = 0
    recipients = db.session.scalars(
        sa.select(GroupMembership).where(
            GroupMembership.group_id == group.id,
            GroupMembership.status == "active",
            GroupMembership.announcements_muted.is_(False),
        )
    )
    for membership in recipients:
        if notify(
            membership.user,
            "group_announcement",
            f"{group.name}: {title}",
            f"/groups/{group.slug}",
            actor=actor,
        ):
            told += 1
    return announcement, told


def recent(actor: Any, group: Group) -> list[GroupAnnouncement] | None:
    """The latest announcements for those who may see the group's members; ``None``
    for the others (the page then shows no section at all)."""
    if not services.may_see_members(actor, group):
        return None
    return list(
        db.session.scalars(
            sa.select(GroupAnnouncement)
            .where(GroupAnnouncement.group_id == group.id)
            .order_by(GroupAnnouncement.created_at.desc(), GroupAnnouncement.id.desc())
            .limit(RECENT)
        )
    )


def set_muted(actor: Any, group: Group, muted: bool) -> GroupMembership:
    """A member turns this group's announcements off (or on again)."""
    membership = services.membership_of(actor, group)
    if membership is None or membership.status != "active":
        raise NotFound() if not services.may_see(actor, group) else Invalid("Join the group first.")
    membership.announcements_muted = bool(muted)
    db.session.flush()
    return membership
