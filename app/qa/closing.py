"""Closing questions as duplicates or off-topic, and reopening them.

A closed question takes no new answers: ``hooks.permission_rule`` denies
``topic.reply`` to non-staff, so the forum's own reply form obeys too.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_active_member
from app.extensions import db
from app.forums.models import Topic
from app.qa import reputation
from app.qa.categories import is_question
from app.qa.models import QAQuestionState
from app.qa.settings import setting
from app.qa.tags import visible_questions_filter

REASONS = {"duplicate": "a duplicate", "off-topic": "off-topic"}


def may_close(actor: Any, topic: Topic) -> bool:
    return (
        is_active_member(actor)
        and can(actor, "topic.view", topic)
        and topic.deleted_at is None
        and reputation.has_privilege(actor, "threshold_close")
    )


def _require_close(actor: Any, topic: Topic) -> None:
    if not can(actor, "topic.view", topic) or not is_question(topic):
        raise NotFound("No such question.")
    if not may_close(actor, topic):
        raise PermissionDenied(
            f"Closing and reopening needs {setting('threshold_close')} reputation (or a moderator)."
        )


def state_of(topic_id: int) -> QAQuestionState | None:
    return db.session.get(QAQuestionState, topic_id)


def close_question(
    actor: Any, topic: Topic, reason: str, duplicate_of_id: int | None = None
) -> QAQuestionState:
    _require_close(actor, topic)
    if reason not in REASONS:
        raise Invalid("Close as a duplicate or as off-topic.", field="reason")
    if state_of(topic.id) is not None:
        raise Conflict("This question is already closed.")
    target = None
    if reason == "duplicate":
        if not duplicate_of_id:
            raise Invalid("Say which question this one duplicates.", field="duplicate_of")
        if duplicate_of_id == topic.id:
            raise Invalid("A question cannot duplicate itself.", field="duplicate_of")
        target = db.session.scalar(
            sa.select(Topic).where(Topic.id == duplicate_of_id, visible_questions_filter(actor))
        )
        if target is None:
            raise Invalid("There is no question with that number you can see.", field="duplicate_of")
    state = QAQuestionState(
        topic_id=topic.id,
        closed_reason=reason,
        duplicate_of_id=target.id if target is not None else None,
        closed_by_id=actor.id,
    )
    db.session.add(state)
    db.session.flush()
    return state


def reopen_question(actor: Any, topic: Topic) -> None:
    _require_close(actor, topic)
    state = state_of(topic.id)
    if state is None:
        raise Conflict("This question is not closed.")
    db.session.delete(state)
    db.session.flush()


def duplicates_of(actor: Any, topic: Topic) -> list[Topic]:
    """Visible questions closed as duplicates of ``topic``: the link back."""
    return list(
        db.session.scalars(
            sa.select(Topic)
            .join(QAQuestionState, QAQuestionState.topic_id == Topic.id)
            .where(QAQuestionState.duplicate_of_id == topic.id, visible_questions_filter(actor))
            .order_by(Topic.created_at)
        )
    )


def duplicate_target(actor: Any, state: QAQuestionState | None) -> Topic | None:
    if state is None or state.duplicate_of_id is None:
        return None
    return db.session.scalar(
        sa.select(Topic).where(Topic.id == state.duplicate_of_id, visible_questions_filter(actor))
    )


def closed_topic_ids(topic_ids: list[int]) -> set[int]:
    if not topic_ids:
        return set()
    return set(
        db.session.scalars(sa.select(QAQuestionState.topic_id).where(QAQuestionState.topic_id.in_(topic_ids)))
    )
