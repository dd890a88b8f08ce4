"""The reputation ledger: append, reverse, sum.

A user's reputation is ``SUM(points)`` over their ledger rows. Undoing a vote or an
acceptance, or deleting a post, appends reversal rows (``reversal_of`` is unique, so a
row is reversed at most once even under concurrency); restoring a post re-applies its
events from the current state (its votes and acceptance), so delete/restore cycles
never double-count. Every appended row fires ``reputation_changed`` for the
recognition plug-in.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.core.permissions import is_authenticated, is_staff
from app.extensions import db
from app.forums.models import Post
from app.plugins import fire
from app.qa.models import QAAcceptedAnswer, QAReputationEvent, QAVote
from app.qa.settings import setting

VOTE_KINDS = ("question_upvoted", "answer_upvoted", "downvoted", "downvoting")
ACCEPT_KINDS = ("answer_accepted", "accepting_answer")
KIND_LABELS = {
    "question_upvoted": "Question upvoted",
    "answer_upvoted": "Answer upvoted",
    "downvoted": "Post downvoted",
    "downvoting": "Downvoted a post",
    "answer_accepted": "Answer accepted",
    "accepting_answer": "Accepted an answer",
}


def reputation_of(user: Any) -> int:
    if not is_authenticated(user) or getattr(user, "id", None) is None:
        return 0
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(QAReputationEvent.points), 0)).where(
            QAReputationEvent.user_id == user.id
        )
    )
    return int(total or 0)


def reputations(user_ids: set[int] | list[int]) -> dict[int, int]:
    """Reputation of many users in one GROUP BY (authors on a question page)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(QAReputationEvent.user_id, sa.func.sum(QAReputationEvent.points))
        .where(QAReputationEvent.user_id.in_(list(user_ids)))
        .group_by(QAReputationEvent.user_id)
    )
    found = {user_id: int(total or 0) for user_id, total in rows}
    return {user_id: found.get(user_id, 0) for user_id in user_ids}


def has_privilege(actor: Any, threshold_key: str) -> bool:
    """Staff always; members once their reputation reaches the admin-set threshold."""
    if is_staff(actor):
        return True
    if not is_authenticated(actor) or getattr(actor, "is_suspended", False):
        return False
    return reputation_of(actor) >= setting(threshold_key)


def _append(
    user_id: int,
    kind: str,
    points: int,
    post_id: int | None,
    actor_id: int | None,
    reason: str = "",
    reversal_of: int | None = None,
) -> QAReputationEvent | None:
    if points == 0 and reversal_of is None:
        return None
    row = QAReputationEvent(
        user_id=user_id,
        kind=kind,
        points=points,
        post_id=post_id,
        actor_id=actor_id,
        reason=reason,
        reversal_of=reversal_of,
    )
    db.session.add(row)
    db.session.flush()
    user = db.session.get(User, user_id)
    fire("reputation_changed", user=user, entry=row, reputation=reputation_of(user))
    return row


def record(user_id: int, kind: str, post_id: int | None, actor_id: int | None) -> QAReputationEvent | None:
    """Append an event worth the current setting for ``kind``."""
    return _append(user_id, kind, setting(f"points_{kind}"), post_id, actor_id)


def _active_events(post_ids: list[int], kinds: tuple[str, ...] | None = None, actor_id: int | None = None):
    reversal = aliased(QAReputationEvent)
    query = sa.select(QAReputationEvent).where(
        QAReputationEvent.post_id.in_(post_ids),
        QAReputationEvent.reversal_of.is_(None),
        ~sa.exists().where(reversal.reversal_of == QAReputationEvent.id),
    )
    if kinds is not None:
        query = query.where(QAReputationEvent.kind.in_(kinds))
    if actor_id is not None:
        query = query.where(QAReputationEvent.actor_id == actor_id)
    return list(db.session.scalars(query.order_by(QAReputationEvent.id)))


def reverse(
    post_ids: list[int], reason: str, kinds: tuple[str, ...] | None = None, actor_id: int | None = None
) -> int:
    """Append a reversal for every still-active event on ``post_ids``; returns how many."""
    if not post_ids:
        return 0
    events = _active_events(post_ids, kinds, actor_id)
    for event in events:
        _append(event.user_id, event.kind, -event.points, event.post_id, event.actor_id, reason, event.id)
    return len(events)


# --- what a vote or an acceptance is worth ------------------------------------------


def apply_vote(post: Post, voter_id: int, value: int) -> None:
    """Ledger rows for a vote of ``value`` by ``voter_id`` on ``post``."""
    if value > 0:
        kind = "question_upvoted" if post.number == 1 else "answer_upvoted"
        record(post.author_id, kind, post.id, voter_id)
    elif value < 0:
        record(post.author_id, "downvoted", post.id, voter_id)
        record(voter_id, "downvoting", post.id, voter_id)


def apply_acceptance(answer: Post, accepted_by_id: int | None) -> None:
    """Ledger rows for accepting ``answer``: none for accepting your own answer."""
    asker_id = answer.topic.author_id
    if answer.author_id == asker_id:
        return
    record(answer.author_id, "answer_accepted", answer.id, accepted_by_id)
    record(asker_id, "accepting_answer", answer.id, accepted_by_id)


# --- post deleted / restored (listeners in hooks.py) -------------------------------


def _affected_posts(post: Post) -> list[Post]:
    """Deleting a question takes its answers' reputation with it."""
    if post.number != 1:
        return [post]
    return list(db.session.scalars(sa.select(Post).where(Post.topic_id == post.topic_id)))


def post_removed(post: Post) -> None:
    reverse([p.id for p in _affected_posts(post)], reason="post_deleted")


def post_restored(post: Post) -> None:
    """Re-apply, from current state, the events of posts that are visible again."""
    if post.topic.deleted_at is not None:
        return
    posts = [p for p in _affected_posts(post) if p.deleted_at is None]
    for item in posts:
        if _active_events([item.id]):
            continue  # never deleted (an answer under a restored question): still counted
        for voter_id, value in db.session.execute(
            sa.select(QAVote.user_id, QAVote.value).where(QAVote.post_id == item.id).order_by(QAVote.id)
        ):
            apply_vote(item, voter_id, value)
        accepted = db.session.get(QAAcceptedAnswer, item.id)
        if accepted is not None:
            apply_acceptance(item, accepted.accepted_by_id)


def ledger_for(user: Any, limit: int = 50) -> list[QAReputationEvent]:
    return list(
        db.session.scalars(
            sa.select(QAReputationEvent)
            .where(QAReputationEvent.user_id == user.id)
            .order_by(QAReputationEvent.id.desc())
            .limit(limit)
        )
    )
