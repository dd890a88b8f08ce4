"""Accepting answers: the asker (or a moderator) marks the answer that solved it.

A category may allow several accepted answers; otherwise accepting another answer
replaces the previous one. The unique (topic, slot) pair makes "one accepted answer"
hold in the database even when two requests race.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.core.errors import Conflict, NotFound, PermissionDenied
from app.core.permissions import is_active_member, is_staff, require
from app.extensions import db
from app.forums.models import Post, Topic
from app.plugins import fire
from app.qa import reputation
from app.qa.categories import qa_settings_for
from app.qa.models import QAAcceptedAnswer


def may_accept(actor: Any, topic: Topic) -> bool:
    """The asker or staff, while the question is live."""
    if not is_active_member(actor) or topic.deleted_at is not None:
        return False
    return is_staff(actor) or topic.author_id == actor.id


def _check(actor: Any, answer: Post) -> Any:
    require(actor, "post.view", answer, hide=True)
    settings = qa_settings_for(answer.topic.category_id)
    if settings is None or answer.number == 1:
        raise NotFound("That post is not an answer to a question.")
    if not may_accept(actor, answer.topic):
        raise PermissionDenied("Only the person who asked (or a moderator) can accept an answer.")
    if answer.deleted_at is not None or answer.hidden:
        raise Conflict("A deleted or hidden answer cannot be accepted.")
    return settings


def accepted_answer_ids(topic_id: int) -> list[int]:
    """Accepted answers of a question that are still live, oldest acceptance first."""
    return list(
        db.session.scalars(
            sa.select(QAAcceptedAnswer.post_id)
            .join(Post, Post.id == QAAcceptedAnswer.post_id)
            .where(QAAcceptedAnswer.topic_id == topic_id, Post.deleted_at.is_(None))
            .order_by(QAAcceptedAnswer.accepted_at, QAAcceptedAnswer.post_id)
        )
    )


def _remove(row: QAAcceptedAnswer) -> None:
    reputation.reverse([row.post_id], reason="unaccepted", kinds=reputation.ACCEPT_KINDS)
    db.session.delete(row)
    db.session.flush()


def accept_answer(actor: Any, answer: Post) -> QAAcceptedAnswer:
    """Accept ``answer``; in single-accept categories the previous one is replaced."""
    settings = _check(actor, answer)
    if db.session.get(QAAcceptedAnswer, answer.id) is not None:
        raise Conflict("That answer is already accepted.")
    if not settings.multiple_accepted:
        for row in db.session.scalars(
            sa.select(QAAcceptedAnswer).where(QAAcceptedAnswer.topic_id == answer.topic_id)
        ):
            _remove(row)
    row = QAAcceptedAnswer(
        post_id=answer.id,
        topic_id=answer.topic_id,
        slot=answer.id if settings.multiple_accepted else 0,
        accepted_by_id=actor.id,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("Someone else just accepted an answer here; reload and try again.")
    reputation.apply_acceptance(answer, actor.id)
    fire("answer_accepted", post=answer, actor=actor)
    return row


def unaccept_answer(actor: Any, answer: Post) -> None:
    _check(actor, answer)
    row = db.session.get(QAAcceptedAnswer, answer.id)
    if row is None:
        raise Conflict("That answer is not accepted.")
    _remove(row)
