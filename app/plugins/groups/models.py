"""User-group tables, all prefixed ``groups_`` (the plug-in's own Alembic branch).

One ``GroupMembership`` row per group and user, reused as the person joins, leaves,
asks again or is banned: the unique pair is what makes two concurrent joins, or two
leaders approving one request, end in one row; the status moves only through
conditional UPDATEs (``WHERE status = <what the caller saw>``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db

KINDS = ("regional", "topic")
KIND_LABELS = {"regional": "Regional group", "topic": "Topic group"}
VISIBILITIES = ("public", "members", "hidden")
VISIBILITY_LABELS = {
    "public": "Public",
    "members": "Members only",
    "hidden": "Hidden (only its members know it exists)",
}
JOIN_POLICIES = ("open", "request", "invitation")
JOIN_POLICY_LABELS = {"open": "Open to join", "request": "By request", "invitation": "By invitation"}
LEADER_ROLES = ("organizer", "co_organizer")
LEADER_ROLE_LABELS = {"organizer": "Organizer", "co_organizer": "Co-organizer"}
# pending: asked to join; declined: a leader said no (may ask again); left / removed:
# no longer in (may come back by the group's policy); banned: never again, unless a
# leader lifts the ban.
MEMBERSHIP_STATUSES = ("pending", "active", "declined", "left", "removed", "banned")
INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")
RULE_KINDS = ("region", "country", "organization")
RULE_KIND_LABELS = {"region": "Profile region", "country": "Profile country", "organization": "Organization"}


class Group(db.Model):
    __tablename__ = "groups_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="regional")
    region: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    country: Mapped[str] = mapped_column(sa.String(80), nullable=False, default="")
    topic_tags: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    visibility: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="public")
    join_policy: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="open")
    # The group's default notification level: whether joining starts watching its forum.
    watch_on_join: Mapped[bool] = mapped_column(nullable=False, default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def visibility_label(self) -> str:
        return VISIBILITY_LABELS.get(self.visibility, self.visibility)

    @property
    def join_policy_label(self) -> str:
        return JOIN_POLICY_LABELS.get(self.join_policy, self.join_policy)

    @property
    def where(self) -> str:
        """Region and country, or the topic tags: what the listing shows under the name."""
        if self.kind == "topic":
            return ", ".join(self.topic_tags or [])
        return " · ".join(part for part in (self.region, self.country) if part)


class GroupLeader(db.Model):
    """An organizer (appointed by an admin) or a co-organizer (by an admin or an organizer)."""

    __tablename__ = "groups_leader"
    __table_args__ = (sa.UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups_group.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="organizer")
    appointed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def role_label(self) -> str:
        return LEADER_ROLE_LABELS.get(self.role, self.role)


class GroupMembership(db.Model):
    """A member's place in a group, or their request to join (``pending``, with a note),
    or what is left of it (``left``, ``removed``, ``banned``)."""

    __tablename__ = "groups_membership"
    __table_args__ = (sa.UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups_group.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="active")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decision_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime | None] = mapped_column()
    # Added by an admin's automatic membership rule rather than by joining.
    automatic: Mapped[bool] = mapped_column(nullable=False, default=False)
    # The member turned this group's announcements off (the group page's toggle).
    announcements_muted: Mapped[bool] = mapped_column(nullable=False, default=False)
    joined_at: Mapped[datetime | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class GroupInvitation(db.Model):
    """A leader's invitation; accepting it makes the invitee a member whatever the
    group's joining policy (a banned invitee cannot accept)."""

    __tablename__ = "groups_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups_group.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column()

    group: Mapped[Group] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class GroupAutoRule(db.Model):
    """An admin's automatic membership rule: members whose profile region or country,
    or whose organization (by slug), matches ``value`` are added to the group when they
    register or change their profile (and, when the rule is made, those who match)."""

    __tablename__ = "groups_auto_rule"
    __table_args__ = (sa.UniqueConstraint("group_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups_group.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    value: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    group: Mapped[Group] = relationship()

    @property
    def kind_label(self) -> str:
        return RULE_KIND_LABELS.get(self.kind, self.kind)


class GroupAnnouncement(db.Model):
    """A leader's announcement to the group's members (Markdown, sanitized HTML beside)."""

    __tablename__ = "groups_announcement"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("groups_group.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    author: Mapped[User | None] = relationship()
