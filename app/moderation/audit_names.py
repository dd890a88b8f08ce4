"""Names and links for the moderators' audit log (/mod/audit): "Mem Ber (@mem)" and
"post 3 in “Topic”" instead of "user #13" and "post #61".

Links point at pages a moderator can open (profiles, posts, topics); the admin area's
log (app/admin/audit.py) uses the same names with its own link builder, so the two
logs never name a target differently. One query per kind of target per page, never
one per row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.extensions import db
from app.forums.models import Category, Post, Topic
from app.moderation.models import AuditEntry
from app.notifications.links import post_url, profile_url, topic_url
from app.plugins import plugin_manager


@dataclass(frozen=True)
class Named:
    label: str
    url: str | None = None


def person(user: User | None) -> Named:
    if user is None:
        return Named("system")
    return Named(f"{user.display_name} (@{user.username})", profile_url(user))


LinkBuilder = Callable[[str, Any], str | None]
"""``link(target_type, obj)``: where a named target links to, or None for no link."""


def public_link(target_type: str, obj: Any) -> str | None:
    """Pages a moderator can open: profiles, posts and topics; nothing else links."""
    if target_type == "user":
        return profile_url(obj)
    if target_type == "post":
        return post_url(obj)
    if target_type == "topic":
        return topic_url(obj)
    return None


def name_targets(entries: list[AuditEntry], link: LinkBuilder = public_link) -> dict[tuple[str, int], Named]:
    """Every target of ``entries`` by ``(target_type, target_id)``, linked by ``link``;
    a target that no longer exists reads "post #61 (deleted)" without a link."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, int], Named] = {}
    if ids := wanted.get("user"):
        for user in db.session.scalars(sa.select(User).where(User.id.in_(ids))):
            found["user", user.id] = Named(person(user).label, link("user", user))
    if ids := wanted.get("post"):
        for post in db.session.scalars(sa.select(Post).where(Post.id.in_(ids))):
            found["post", post.id] = Named(
                f"Post {post.number} by {post.author.display_name} in “{post.topic.title}”",
                link("post", post),
            )
    if ids := wanted.get("topic"):
        for topic in db.session.scalars(sa.select(Topic).where(Topic.id.in_(ids))):
            found["topic", topic.id] = Named(f"Topic “{topic.title}”", link("topic", topic))
    if ids := wanted.get("category"):
        for category in db.session.scalars(sa.select(Category).where(Category.id.in_(ids))):
            found["category", category.id] = Named(f"Category “{category.name}”", link("category", category))
    if ids := wanted.get("organization"):
        for org in db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids))):
            found["organization", org.id] = Named(org.name, link("organization", org))
    known = {"user", "post", "topic", "category", "organization"}
    for target_type in sorted(set(wanted) - known - {"site"}):
        # Targets of features above moderation (the directory's profile fields) are
        # named by their owner through the ``audit_targets`` hook.
        for answer in plugin_manager().hook.audit_targets(
            target_type=target_type, ids=sorted(wanted[target_type])
        ):
            if answer is None:
                continue
            known.add(target_type)
            for target_id, (label, obj) in answer.items():
                found[target_type, target_id] = Named(label, link(target_type, obj))
    for entry in entries:
        key = (entry.target_type, entry.target_id)
        if key in found:
            continue
        if entry.target_type == "site":
            found[key] = Named("site")  # site settings: one target, nothing to delete
        else:
            gone = " (deleted)" if entry.target_type in known else ""
            found[key] = Named(f"{entry.target_type} #{entry.target_id}{gone}")
    return found
