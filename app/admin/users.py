"""The admin's view of members: search and filters, one member's page (activity,
sessions, moderation history) and the actions on it. Actions call the owning feature's
service (accounts, moderation) and each lands in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts import sessions
from app.accounts.models import Organization, User, UserSession
from app.chat.models import ChatMessage
from app.core.db import utcnow
from app.core.errors import Invalid, NotFound
from app.core.pagination import PageLinks
from app.core.permissions import ROLES, can, require
from app.directory.models import ProfileFieldValue
from app.extensions import db
from app.forums.models import Post, Topic
from app.moderation import members as moderation_members
from app.moderation import services as moderation
from app.moderation.models import AuditEntry, Flag

STATUSES = (
    ("active", "Active"),
    ("unconfirmed", "Unconfirmed"),
    ("suspended", "Suspended"),
)
LAST_SEEN = (
    ("7", "Seen in the last 7 days"),
    ("30", "Seen in the last 30 days"),
    ("90", "Seen in the last 90 days"),
    ("never90", "Not seen for 90 days or never"),
)
PER_PAGE = 50
QUERY_MAX = 100


@dataclass
class UserFilters:
    """What the users list was asked for (all optional; unknown values are ignored)."""

    q: str = ""
    role: str = ""
    organization_id: int | None = None
    status: str = ""
    seen: str = ""

    @classmethod
    def from_args(cls, args: Any) -> UserFilters:
        """Read the query string leniently: a hand-edited URL narrows nothing rather
        than failing."""
        org = (args.get("organization") or "").strip()
        return cls(
            q=(args.get("q") or "").replace("\x00", "").strip()[:QUERY_MAX],
            role=args.get("role") if args.get("role") in ROLES else "",
            organization_id=int(org) if org.isascii() and org.isdigit() and len(org) < 10 else None,
            status=args.get("status") if args.get("status") in dict(STATUSES) else "",
            seen=args.get("seen") if args.get("seen") in dict(LAST_SEEN) else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.q or self.role or self.organization_id or self.status or self.seen)


@dataclass
class UserPage(PageLinks):
    users: list[User]
    page: int
    pages: int
    total: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_users(actor: Any, filters: UserFilters, page: int = 1) -> UserPage:
    """Members matching the filters, most recently seen first."""
    require(actor, "admin.users")
    query = sa.select(User)
    if filters.q:
        pattern = f"%{_escape_like(filters.q.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(User.username).like(pattern, escape="\\"),
                sa.func.lower(User.display_name).like(pattern, escape="\\"),
                sa.func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.organization_id:
        query = query.where(User.organization_id == filters.organization_id)
    now = utcnow()
    if filters.status == "suspended":
        query = query.where(User.suspended_until > now)
    elif filters.status == "unconfirmed":
        query = query.where(User.confirmed_at.is_(None))
    elif filters.status == "active":
        query = query.where(
            User.confirmed_at.is_not(None),
            sa.or_(User.suspended_until.is_(None), User.suspended_until <= now),
        )
    if filters.seen == "never90":
        query = query.where(sa.or_(User.last_seen_at.is_(None), User.last_seen_at < now - timedelta(days=90)))
    elif filters.seen:
        query = query.where(User.last_seen_at >= now - timedelta(days=int(filters.seen)))
    query = query.order_by(User.last_seen_at.desc().nulls_last(), User.id)
    result = db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False, count=True)
    return UserPage(
        users=list(result.items), page=result.page, pages=max(result.pages, 1), total=result.total or 0
    )


def organization_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(sa.select(Organization.id, Organization.name).order_by(Organization.name)))


def get_user(actor: Any, username: str) -> User:
    require(actor, "admin.users")
    user = db.session.scalar(sa.select(User).where(User.username == (username or "")[:40]))
    if user is None:
        raise NotFound("No member with that name.")
    return user


@dataclass
class UserOverview:
    """Everything the admin's page about one member shows."""

    user: User
    post_count: int
    topic_count: int
    recent_posts: list[Post]
    flags_received: int
    sessions: list[UserSession]
    history: list[AuditEntry]


def user_overview(actor: Any, user: User) -> UserOverview:
    """The member's activity, signed-in browsers and the audit entries about them."""
    require(actor, "admin.users")
    post_count = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(Post.author_id == user.id, Post.deleted_at.is_(None))
    )
    topic_count = db.session.scalar(
        sa.select(sa.func.count(Topic.id)).where(Topic.author_id == user.id, Topic.deleted_at.is_(None))
    )
    # Only posts the admin may read: a council's private forum binds admins outside it.
    recent = [
        post
        for post in db.session.scalars(
            sa.select(Post).where(Post.author_id == user.id).order_by(Post.created_at.desc()).limit(10)
        )
        if can(actor, "topic.view", post.topic)
    ]
    flags = db.session.scalar(
        sa.select(sa.func.count(Flag.id)).join(Post, Post.id == Flag.post_id).where(Post.author_id == user.id)
    )
    live = list(
        db.session.scalars(
            sa.select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.expires_at > utcnow())
            .order_by(UserSession.created_at.desc())
        )
    )
    history = list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(50)
        )
    )
    return UserOverview(
        user=user,
        post_count=post_count or 0,
        topic_count=topic_count or 0,
        recent_posts=recent,
        flags_received=flags or 0,
        sessions=live,
        history=history,
    )


# --- actions ------------------------------------------------------------------------------


def change_role(actor: Any, user: User, role: str, reason: str = "") -> User:
    """Through accounts' ``set_role``, which checks and records the change."""
    require(actor, "admin.users")
    return accounts.set_role(actor, user, role, reason)


def suspend(actor: Any, user: User, until: date | datetime | None, reason: str) -> User:
    """Through moderation's ``suspend_user`` (audited, ends every session)."""
    require(actor, "admin.users")
    return moderation.suspend_user(actor, user, until, reason)


def unsuspend(actor: Any, user: User, reason: str = "") -> User:
    require(actor, "admin.users")
    return moderation.unsuspend_user(actor, user, reason)


def silence(actor: Any, user: User, until: date | datetime | None, reason: str) -> User:
    """Through moderation's ``silence_user`` (audited; the member keeps reading)."""
    require(actor, "admin.users")
    return moderation_members.silence_user(actor, user, until, reason)


def unsilence(actor: Any, user: User, reason: str = "") -> User:
    require(actor, "admin.users")
    return moderation_members.unsilence_user(actor, user, reason)


def may_silence(actor: Any, user: User) -> bool:
    """Whether the user page offers a silence control (nobody silences an admin or themselves)."""
    return moderation_members.may_silence(actor, user)


def resend_confirmation(actor: Any, user: User) -> None:
    """Send a fresh confirmation link to a member who never confirmed."""
    require(actor, "admin.users")
    if user.is_confirmed:
        raise Invalid("That member has already confirmed their email address.")
    accounts.send_confirmation(user)
    moderation.record_audit(actor, "user.resend_confirmation", "user", user.id)


def sign_out_everywhere(actor: Any, user: User) -> int:
    """End every browser session of the member (a lost laptop, a leaving employee);
    returns how many were live."""
    require(actor, "admin.users")
    ended = sessions.end_all_sessions(user)
    db.session.flush()
    moderation.record_audit(actor, "user.sign_out_everywhere", "user", user.id, details={"sessions": ended})
    return ended


def export_user_data(actor: Any, user: User) -> dict:
    """The member's own data as one JSON document, for a data-subject access request:
    account and profile fields (custom directory fields too), their organization,
    topics, posts and chat messages (with bodies) and what the audit log holds about
    them. Secrets (password
    hash, session token) are never included. The export itself is audited."""
    require(actor, "admin.export_user")

    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() + "Z" if value else None

    posts = db.session.scalars(sa.select(Post).where(Post.author_id == user.id).order_by(Post.id))
    topics = db.session.scalars(sa.select(Topic).where(Topic.author_id == user.id).order_by(Topic.id))
    audit = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.target_type == "user", AuditEntry.target_id == user.id)
        .order_by(AuditEntry.id)
    )
    document = {
        "account": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role,
            "created_at": stamp(user.created_at),
            "confirmed_at": stamp(user.confirmed_at),
            "last_seen_at": stamp(user.last_seen_at),
            "suspended_until": stamp(user.suspended_until),
            "suspended_reason": user.suspended_reason,
        },
        "profile": {
            "job_title": user.job_title,
            "bio": user.bio,
            "region": user.region,
            "country": user.country,
            "languages": list(user.languages or []),
            "specialisms": list(user.specialisms or []),
        },
        "organization": (
            {"id": user.organization.id, "name": user.organization.name, "is_org_admin": user.is_org_admin}
            if user.organization
            else None
        ),
        "topics": [{"id": t.id, "title": t.title, "created_at": stamp(t.created_at)} for t in topics],
        "posts": [
            {"id": p.id, "topic_id": p.topic_id, "body": p.body, "created_at": stamp(p.created_at)}
            for p in posts
        ],
        "audit_entries": [
            {"action": e.action, "reason": e.reason, "created_at": stamp(e.created_at)} for e in audit
        ],
        "chat_messages": [
            {"id": m.id, "channel_id": m.channel_id, "body": m.body, "created_at": stamp(m.created_at)}
            for m in db.session.scalars(
                sa.select(ChatMessage)
                .where(ChatMessage.author_id == user.id, ChatMessage.deleted_at.is_(None))
                .order_by(ChatMessage.id)
            )
        ],
        "profile_fields": {
            value.field.key: value.value
            for value in db.session.scalars(
                sa.select(ProfileFieldValue).where(ProfileFieldValue.user_id == user.id)
            )
        },
        "sessions": sessions.count_sessions(user),
        "exported_at": stamp(utcnow()),
    }
    moderation.record_audit(actor, "user.export", "user", user.id)
    return document
