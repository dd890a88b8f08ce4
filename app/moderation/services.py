"""Moderation services: flags, the review queue, hiding, topic actions, suspensions
and the audit log.

Every moderator action writes an ``AuditEntry`` in the same transaction as the change
itself, so the log can never disagree with the data. Services never commit.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.pagination import PageLinks
from app.core.permissions import can, is_admin, require
from app.extensions import db
from app.forums import services as forums
from app.forums.models import Category, Post, Topic
from app.moderation.models import FLAG_REASONS, AuditEntry, Flag
from app.plugins import fire

FLAG_REASON_LABELS = dict(FLAG_REASONS)
NOTE_MAX = 1000
REASON_MAX = 1000
SUSPENSION_MAX = timedelta(days=3653)  # ten years, leap days included
RESOLUTIONS = ("agreed", "dismissed")
# The queue's "hide and suspend the author for N days" outcomes.
SUSPEND_DAY_CHOICES = (1, 3, 7, 30)
TOPIC_ACTIONS = {
    # action: (permission, attribute, new value)
    "lock": ("topic.lock", "locked", True),
    "unlock": ("topic.lock", "locked", False),
    "pin": ("topic.pin", "pinned", True),
    "unpin": ("topic.pin", "pinned", False),
}
_DONE = {"lock": "locked", "unlock": "unlocked", "pin": "pinned", "unpin": "unpinned"}


# --- audit -------------------------------------------------------------------------


def record_audit(
    actor: Any,
    action: str,
    target_type: str,
    target_id: int,
    reason: str = "",
    details: dict | None = None,
) -> AuditEntry:
    """Append one entry to the moderators' audit log (who, what, which target, why, when).

    Public so that other features (role changes in accounts) log through the same table.
    """
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason or "",
        details=details or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class AuditPage(PageLinks):
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    actions: list[str] = field(default_factory=list)


def audit_log(
    actor: Any,
    action: str | None = None,
    actor_username: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    """Audit entries newest first, optionally filtered by action and by acting user."""
    require(actor, "audit.view")
    query = sa.select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_username:
        query = query.join(User, User.id == AuditEntry.actor_id).where(User.username == actor_username)
    query = query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    result = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False, count=True)
    actions = list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return AuditPage(
        entries=list(result.items),
        page=result.page,
        pages=max(result.pages, 1),
        total=result.total or 0,
        actions=actions,
    )


# --- flags -------------------------------------------------------------------------


def _clean_reason(reason: str | None, *, required: bool, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise Invalid("Please give a reason.", field=field_name)
    if len(reason) > REASON_MAX:
        raise Invalid(f"Keep the reason under {REASON_MAX} characters.", field=field_name)
    return reason


def flag_post(actor: Any, post: Post, reason: str, note: str = "") -> Flag:
    """Report a post to the moderators; one open flag per member per post."""
    require(actor, "post.view", post, hide=True)
    if getattr(actor, "id", None) is not None and post.author_id == actor.id:
        raise Invalid("You cannot flag your own post.")
    require(actor, "post.flag", post)
    if reason not in FLAG_REASON_LABELS:
        raise Invalid("Choose a reason from the list.", field="reason")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"Keep the note under {NOTE_MAX} characters.", field="note")
    existing = db.session.scalar(
        sa.select(Flag.id).where(
            Flag.post_id == post.id, Flag.reporter_id == actor.id, Flag.resolved_at.is_(None)
        )
    )
    if existing is not None:
        raise Conflict("You have already flagged this post; a moderator will review it.")
    flag = Flag(post=post, reporter_id=actor.id, reason=reason, note=note)
    db.session.add(flag)
    db.session.flush()
    fire("post_flagged", flag=flag, actor=actor)
    return flag


def open_flag_count() -> int:
    """Open flags for the staff nav badge (served by the open-flags index)."""
    return db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.resolved_at.is_(None))) or 0


@dataclass
class QueueItem:
    """Open flags on one post, grouped for one decision."""

    post: Post
    flags: list[Flag]

    @property
    def count(self) -> int:
        return len(self.flags)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        counts = Counter(flag.reason for flag in self.flags)
        return [(FLAG_REASON_LABELS.get(reason, reason), n) for reason, n in counts.most_common()]

    @property
    def first_flag(self) -> Flag:
        return self.flags[0]


def review_queue(actor: Any, limit: int = 200) -> list[QueueItem]:
    """Open flags grouped by post, most-flagged first, then oldest first."""
    require(actor, "moderation.review")
    flags = db.session.scalars(
        sa.select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id).limit(limit * 5)
    ).all()
    grouped: dict[int, QueueItem] = {}
    for flag in flags:
        if not can(actor, "post.view", flag.post):
            continue  # a flag in a private space the moderator is not in (a council's forum)
        grouped.setdefault(flag.post_id, QueueItem(post=flag.post, flags=[])).flags.append(flag)
    items = sorted(grouped.values(), key=lambda item: (-item.count, item.flags[0].created_at))
    return items[:limit]


def resolve_flag(actor: Any, flag: Flag, resolution: str, suspend_days: int | None = None) -> list[Flag]:
    """Decide on a flagged post: every open flag on the same post gets the decision.

    ``agreed`` hides the post with the flag's reason; ``dismissed`` leaves it alone.
    ``suspend_days`` (with ``agreed`` only) also suspends the author, in the same
    transaction, so the queue's one click never leaves half a decision behind.
    """
    require(actor, "moderation.review")
    require(actor, "post.view", flag.post, hide=True)  # not in a space the moderator is not in
    if resolution not in RESOLUTIONS:
        raise Invalid("Choose agree or dismiss.", field="resolution")
    if suspend_days is not None:
        if resolution != "agreed":
            raise Invalid("Only an upheld flag can suspend the author.", field="resolution")
        if suspend_days not in SUSPEND_DAY_CHOICES:
            raise Invalid("Choose a number of days from the list.", field="days")
        _check_may_suspend(actor, flag.post.author)
    if flag.resolved_at is not None:
        raise Conflict("That flag has already been resolved.")
    flags = db.session.scalars(
        sa.select(Flag).where(Flag.post_id == flag.post_id, Flag.resolved_at.is_(None)).order_by(Flag.id)
    ).all()
    now = utcnow()
    for open_flag in flags:
        open_flag.resolved_at = now
        open_flag.resolved_by_id = actor.id
        open_flag.resolution = resolution
    db.session.flush()
    reason_label = FLAG_REASON_LABELS.get(flag.reason, flag.reason)
    record_audit(
        actor,
        f"flag.{resolution}",
        "post",
        flag.post_id,
        reason=reason_label,
        details={"flag_ids": [f.id for f in flags]},
    )
    if resolution == "agreed" and not flag.post.hidden:
        hide_post(actor, flag.post, reason_label)
    if suspend_days is not None:
        suspend_user(
            actor,
            flag.post.author,
            utcnow() + timedelta(days=suspend_days),
            f"{reason_label} (flagged post {flag.post_id})",
        )
    return list(flags)


# --- posts and topics --------------------------------------------------------------


def hide_post(actor: Any, post: Post, reason: str) -> Post:
    """Hide a post from members; hiding the opening post hides the whole topic."""
    require(actor, "post.hide", post)
    reason = _clean_reason(reason, required=True)
    if post.hidden:
        raise Conflict("That post is already hidden.")
    post.hidden = True
    post.hidden_reason = reason
    if post.number == 1:
        post.topic.hidden = True
    db.session.flush()
    record_audit(actor, "post.hide", "post", post.id, reason=reason, details={"topic_id": post.topic_id})
    fire("post_hidden", post=post, actor=actor, reason=reason)
    return post


def unhide_post(actor: Any, post: Post, reason: str = "") -> Post:
    """Show a hidden post again (and its topic, for an opening post)."""
    require(actor, "post.hide", post)
    reason = _clean_reason(reason, required=False)
    if not post.hidden:
        raise Conflict("That post is not hidden.")
    post.hidden = False
    post.hidden_reason = ""
    if post.number == 1:
        post.topic.hidden = False
    db.session.flush()
    record_audit(actor, "post.unhide", "post", post.id, reason=reason, details={"topic_id": post.topic_id})
    fire("post_unhidden", post=post, actor=actor)
    return post


def delete_post(actor: Any, post: Post, reason: str = "") -> Post:
    """A moderator deletes a post (the whole topic for an opening post).

    Deleted differs from hidden: a hidden post stays in place, marked, for staff and
    its author, and is shown again with one click; a deleted post leaves a "was
    deleted" placeholder and is restored through the forum. Both leave search through
    the forum's own ``post_deleted`` / ``post_hidden`` events.
    """
    require(actor, "post.hide", post)
    reason = _clean_reason(reason, required=False)
    if post.deleted_at is not None:
        raise Conflict("That post is already deleted.")
    forums.delete_post(actor, post)
    record_audit(actor, "post.delete", "post", post.id, reason=reason, details={"topic_id": post.topic_id})
    return post


def set_topic_state(actor: Any, topic: Topic, action: str, reason: str = "") -> Topic:
    """Lock, unlock, pin or unpin a topic."""
    if action not in TOPIC_ACTIONS:
        raise NotFound()
    permission, attribute, value = TOPIC_ACTIONS[action]
    require(actor, permission, topic)
    reason = _clean_reason(reason, required=False)
    if getattr(topic, attribute) == value:
        raise Conflict(f"That topic is already {_DONE[action]}.")
    setattr(topic, attribute, value)
    db.session.flush()
    record_audit(actor, f"topic.{action}", "topic", topic.id, reason=reason)
    fire("topic_moderated", topic=topic, actor=actor, action=action, reason=reason)
    return topic


def move_topic(actor: Any, topic: Topic, category: Category | None, reason: str = "") -> Topic:
    """Move a topic to another existing category."""
    require(actor, "topic.move", topic)
    reason = _clean_reason(reason, required=False)
    if category is None or db.session.get(Category, category.id) is None:
        raise Invalid("Choose a category that exists.", field="category_id")
    if category.id == topic.category_id:
        raise Invalid("The topic is already in that category.", field="category_id")
    if getattr(category, "space_type", None) or getattr(topic.category, "space_type", None):
        # Out of a council's forum its members' words would reach the whole site; into
        # it, a topic would vanish from its author's sight.
        raise Invalid(
            "Topics cannot be moved into or out of a private space (such as a council's forum).",
            field="category_id",
        )
    old_category_id = topic.category_id
    topic.category = category
    db.session.flush()
    record_audit(
        actor,
        "topic.move",
        "topic",
        topic.id,
        reason=reason,
        details={"from_category_id": old_category_id, "to_category_id": category.id},
    )
    fire("topic_moderated", topic=topic, actor=actor, action="move", reason=reason)
    return topic


# --- suspensions -------------------------------------------------------------------


def _as_datetime(until: date | datetime | None) -> datetime:
    if until is None:
        raise Invalid("Choose the date the suspension ends.", field="until")
    if isinstance(until, datetime):
        return (
            until.replace(tzinfo=None)
            if until.tzinfo is None
            else until.astimezone(None).replace(tzinfo=None)
        )
    return datetime.combine(until, time.min)


def check_staff_ladder(actor: Any, user: User, action: str, verb: str, done: str) -> None:
    """Who may restrict whom (suspend, silence): nobody acts on themselves or on an
    administrator, and only an administrator acts on a moderator. ``verb`` and ``done``
    word the refusal ("suspend", "suspended")."""
    require(actor, action, user)
    if user.id == actor.id:
        raise PermissionDenied(f"You cannot {verb} yourself.")
    if user.role == "admin":
        raise PermissionDenied(f"Administrators cannot be {done}.")
    if user.role == "moderator" and not is_admin(actor):
        raise PermissionDenied(f"Only an administrator can {verb} a moderator.")


def _check_may_suspend(actor: Any, user: User) -> None:
    check_staff_ladder(actor, user, "user.suspend", "suspend", "suspended")


def may_suspend(actor: Any, user: User) -> bool:
    """Whether to offer ``actor`` a suspend control for ``user`` (same ladder as the action)."""
    try:
        _check_may_suspend(actor, user)
    except PermissionDenied:
        return False
    return True


def suspend_user(actor: Any, user: User, until: date | datetime | None, reason: str) -> User:
    """Suspend ``user`` until a future time: they cannot sign in or post meanwhile.

    Rotating the session token ends every session they already have.
    """
    _check_may_suspend(actor, user)
    reason = _clean_reason(reason, required=True)
    until_dt = _as_datetime(until)
    now = utcnow()
    if until_dt <= now:
        raise Invalid("The suspension must end in the future.", field="until")
    if until_dt - now > SUSPENSION_MAX:
        raise Invalid("A suspension can last at most ten years.", field="until")
    user.suspended_until = until_dt
    user.suspended_reason = reason
    user.session_token = secrets.token_urlsafe(16)
    db.session.flush()
    record_audit(
        actor, "user.suspend", "user", user.id, reason=reason, details={"until": until_dt.isoformat()}
    )
    fire("user_suspended", user=user, actor=actor, until=until_dt, reason=reason)
    return user


def unsuspend_user(actor: Any, user: User, reason: str = "") -> User:
    """Lift a suspension early."""
    _check_may_suspend(actor, user)
    reason = _clean_reason(reason, required=False)
    if not user.is_suspended:
        raise Conflict("That member is not suspended.")
    user.suspended_until = None
    user.suspended_reason = ""
    db.session.flush()
    record_audit(actor, "user.unsuspend", "user", user.id, reason=reason)
    fire("user_unsuspended", user=user, actor=actor, reason=reason)
    return user


def may_moderate(actor: Any) -> bool:
    """Whether to show moderator controls (templates, nav)."""
    return can(actor, "moderation.review")
