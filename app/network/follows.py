"""Following a member's activity: one-way, no consent, like following on a network.

Following only changes what shows up in the follower's ``/following`` feed, which
holds nothing the follower could not read anyway, so the followed member is not
asked. It is not announced either (no notification): a follow is not a request.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.core.errors import Conflict
from app.extensions import db
from app.network.connections import require_network_actor, require_other_member
from app.network.models import Follow
from app.plugins import fire


def is_following(actor: Any, user: Any) -> bool:
    if getattr(actor, "id", None) is None:
        return False
    return db.session.get(Follow, (actor.id, user.id)) is not None


def follow(actor: Any, user: User) -> Follow:
    """Follow ``user``; following twice changes nothing."""
    require_network_actor(actor, "follow members")
    require_other_member(actor, user, "follow")
    existing = db.session.get(Follow, (actor.id, user.id))
    if existing is not None:
        return existing
    row = Follow(follower_id=actor.id, followed_id=user.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # a double click raced us; the caller rolls back
        raise Conflict(f"You already follow {user.display_name}.")
    fire("member_followed", user=user, actor=actor)
    return row


def unfollow(actor: Any, user: User) -> bool:
    """Stop following ``user``; returns whether anything changed (a second click does not)."""
    require_network_actor(actor, "follow members")
    existing = db.session.get(Follow, (actor.id, user.id))
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    return True


def follower_count(user: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Follow.followed_id == user.id)) or 0


def following_count(user: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Follow.follower_id == user.id)) or 0


def followed_ids(actor: Any) -> list[int]:
    if getattr(actor, "id", None) is None:
        return []
    return list(db.session.scalars(sa.select(Follow.followed_id).where(Follow.follower_id == actor.id)))


def followed_members(actor: Any) -> list[User]:
    """The members the actor follows, by name."""
    ids = followed_ids(actor)
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.display_name, User.id))
    )
