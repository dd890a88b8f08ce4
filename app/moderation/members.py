"""Moderating members: silencing (may read, may not post) and a member's moderation
history for the staff box on their profile and the review queue.

Silence is the lighter sanction beside suspension: the member keeps their sessions and
can read everything, while ``core.permissions`` refuses every rule that writes content
(topics, replies, answers, comments, chat) with a message that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, PermissionDenied
from app.core.permissions import require
from app.extensions import db
from app.forums.models import Post
from app.moderation.models import AuditEntry, Flag
from app.moderation.services import (
    FLAG_REASON_LABELS,
    SUSPENSION_MAX,
    _as_datetime,
    _clean_reason,
    check_staff_ladder,
    record_audit,
)

HISTORY_LIMIT = 20
# Audit actions that are about a member (their account) rather than one of their posts.
USER_ACTIONS = ("user.suspend", "user.unsuspend", "user.silence", "user.unsilence", "user.role")


def _check_may_silence(actor: Any, user: User) -> None:
    """The same ladder as suspension: nobody silences themselves or an administrator,
    and only an administrator silences a moderator."""
    check_staff_ladder(actor, user, "user.silence", "silence", "silenced")


def may_silence(actor: Any, user: User) -> bool:
    """Whether to offer ``actor`` a silence control for ``user``."""
    try:
        _check_may_silence(actor, user)
    except PermissionDenied:
        return False
    return True


def silence_user(actor: Any, user: User, until: date | datetime | None, reason: str) -> User:
    """Silence ``user`` until a future time: they may read but not post.

    Sessions are kept on purpose: a silenced member may go on reading.
    """
    _check_may_silence(actor, user)
    reason = _clean_reason(reason, required=True)
    until_dt = _as_datetime(until)
    now = utcnow()
    if until_dt <= now:
        raise Invalid("The silence must end in the future.", field="until")
    if until_dt - now > SUSPENSION_MAX:
        raise Invalid("A silence can last at most ten years.", field="until")
    user.silenced_until = until_dt
    user.silenced_reason = reason
    db.session.flush()
    record_audit(
        actor, "user.silence", "user", user.id, reason=reason, details={"until": until_dt.isoformat()}
    )
    return user


def unsilence_user(actor: Any, user: User, reason: str = "") -> User:
    """Let a silenced member post again before the silence runs out."""
    _check_may_silence(actor, user)
    reason = _clean_reason(reason, required=False)
    if not user.is_silenced:
        raise Conflict("That member is not silenced.")
    user.silenced_until = None
    user.silenced_reason = ""
    db.session.flush()
    record_audit(actor, "user.unsilence", "user", user.id, reason=reason)
    return user


@dataclass
class AuthorRecord:
    """What a moderator weighs before acting on a member: how often flags against
    them were upheld, and how often they were suspended."""

    upheld_flags: int = 0
    suspensions: int = 0
    silences: int = 0


def author_records(user_ids: set[int]) -> dict[int, AuthorRecord]:
    """Records for many authors at once (one query per kind, not one per author)."""
    records = {user_id: AuthorRecord() for user_id in user_ids}
    if not user_ids:
        return records
    upheld = db.session.execute(
        sa.select(Post.author_id, sa.func.count(sa.distinct(Flag.post_id)))
        .join(Post, Post.id == Flag.post_id)
        .where(Post.author_id.in_(user_ids), Flag.resolution == "agreed")
        .group_by(Post.author_id)
    )
    for user_id, n in upheld:
        records[user_id].upheld_flags = n
    actions = db.session.execute(
        sa.select(AuditEntry.target_id, AuditEntry.action, sa.func.count(AuditEntry.id))
        .where(
            AuditEntry.target_type == "user",
            AuditEntry.target_id.in_(user_ids),
            AuditEntry.action.in_(("user.suspend", "user.silence")),
        )
        .group_by(AuditEntry.target_id, AuditEntry.action)
    )
    for user_id, action, n in actions:
        if action == "user.suspend":
            records[user_id].suspensions = n
        else:
            records[user_id].silences = n
    return records


@dataclass
class FlagAgainst:
    flag: Flag
    reason_label: str


@dataclass
class MemberHistory:
    """The staff box of a profile: flags against the member's posts and every
    moderator action on them or their posts, newest first."""

    user: User
    record: AuthorRecord
    flags: list[FlagAgainst] = field(default_factory=list)
    actions: list[AuditEntry] = field(default_factory=list)


def member_history(actor: Any, user: User, limit: int = HISTORY_LIMIT) -> MemberHistory:
    require(actor, "moderation.review")
    flags = db.session.scalars(
        sa.select(Flag)
        .join(Post, Post.id == Flag.post_id)
        .where(Post.author_id == user.id)
        .order_by(Flag.created_at.desc(), Flag.id.desc())
        .limit(limit)
    ).all()
    post_ids = sa.select(Post.id).where(Post.author_id == user.id).scalar_subquery()
    actions = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            sa.or_(
                sa.and_(AuditEntry.target_type == "user", AuditEntry.target_id == user.id),
                sa.and_(AuditEntry.target_type == "post", AuditEntry.target_id.in_(post_ids)),
            )
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(limit)
    ).all()
    return MemberHistory(
        user=user,
        record=author_records({user.id})[user.id],
        flags=[FlagAgainst(flag, FLAG_REASON_LABELS.get(flag.reason, flag.reason)) for flag in flags],
        actions=list(actions),
    )
