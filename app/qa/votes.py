"""Up and down votes on questions and answers: one per user per post, changeable and
retractable, never on your own post.

Every state change is a compare-and-set statement whose row count says whether this
request won: the insert is ``ON CONFLICT DO NOTHING`` on the unique (post, user) pair,
changes and retractions are ``WHERE value = <what we read>``. A request that loses a
race to an identical one is told it already voted, and writes nothing, so fifty
parallel votes from one user count once on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_active_member, require
from app.extensions import db
from app.forums.models import Post
from app.plugins import fire
from app.qa import reputation
from app.qa.categories import is_question
from app.qa.models import QAVote
from app.qa.settings import setting

VALUES = {"up": 1, "down": -1, "none": 0, "1": 1, "-1": -1, "0": 0}


def parse_value(raw: Any) -> int:
    value = VALUES.get(str(raw).strip().lower()) if raw is not None else None
    if value is None:
        raise Invalid("A vote is up, down or none.", field="value")
    return value


def _insert_vote(post_id: int, user_id: int, value: int) -> bool:
    """Insert the vote unless one exists; True when this statement created it."""
    now = utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(QAVote)
        .values(post_id=post_id, user_id=user_id, value=value, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["post_id", "user_id"])
        .returning(QAVote.id)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


def _check_votable(actor: Any, post: Post, value: int) -> None:
    if not is_active_member(actor):
        raise PermissionDenied("Sign in with an active account to vote.")
    require(actor, "post.view", post, hide=True)
    if not is_question(post.topic):
        raise NotFound("That post is not a question or an answer.")
    if post.deleted_at is not None or post.topic.deleted_at is not None:
        raise Conflict("You cannot vote on a deleted post.")
    if post.author_id == actor.id:
        raise PermissionDenied("You cannot vote on your own post.")
    if post.hidden and not can(actor, "post.hide", post):
        raise Conflict("You cannot vote on a hidden post.")
    if value < 0 and not reputation.has_privilege(actor, "threshold_downvote"):
        raise PermissionDenied(f"You need {setting('threshold_downvote')} reputation to downvote.")


def vote(actor: Any, post: Post, value: int) -> int:
    """Set the actor's vote on ``post`` to +1, -1 or 0 (retract); returns the new score.

    Voting the way you already voted is refused with a clear message and writes nothing.
    """
    if value not in (-1, 0, 1):
        raise Invalid("A vote is up, down or none.", field="value")
    _check_votable(actor, post, value)
    existing = db.session.scalar(
        sa.select(QAVote.value).where(QAVote.post_id == post.id, QAVote.user_id == actor.id)
    )
    previous = existing or 0
    if previous == value:
        raise Conflict(
            "You have not voted on this post."
            if value == 0
            else "You have already voted this way on this post."
        )
    if existing is None:
        if not _insert_vote(post.id, actor.id, value):
            raise Conflict("You have already voted on this post.")
    else:
        base = sa.and_(QAVote.post_id == post.id, QAVote.user_id == actor.id, QAVote.value == existing)
        if value == 0:
            result = db.session.execute(sa.delete(QAVote).where(base))
        else:
            result = db.session.execute(
                sa.update(QAVote).where(base).values(value=value, updated_at=utcnow())
            )
        if (result.rowcount or 0) != 1:
            raise Conflict("Your vote changed in another window; reload and try again.")
        reputation.reverse([post.id], reason="vote_changed", kinds=reputation.VOTE_KINDS, actor_id=actor.id)
    reputation.apply_vote(post, actor.id, value)
    db.session.flush()
    fire("post_voted", post=post, actor=actor, value=value, previous=previous)
    return score_of(post.id)


def score_of(post_id: int) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(QAVote.value), 0)).where(QAVote.post_id == post_id)
        )
        or 0
    )


def scores(post_ids: list[int] | set[int]) -> dict[int, int]:
    """Scores of many posts in one GROUP BY; posts without votes score 0."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        sa.select(QAVote.post_id, sa.func.sum(QAVote.value))
        .where(QAVote.post_id.in_(list(post_ids)))
        .group_by(QAVote.post_id)
    )
    found = {post_id: int(total or 0) for post_id, total in rows}
    return {post_id: found.get(post_id, 0) for post_id in post_ids}


def votes_by(actor: Any, post_ids: list[int] | set[int]) -> dict[int, int]:
    """The actor's own votes on these posts, to show pressed buttons."""
    if getattr(actor, "id", None) is None or not post_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(QAVote.post_id, QAVote.value).where(
                QAVote.user_id == actor.id, QAVote.post_id.in_(list(post_ids))
            )
        ).all()
    )
