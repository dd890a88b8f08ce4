"""The council's feedback loop: items the council raises, vendor responses, history.

Vendor staff are admins and the council's vendor observers: they answer and move the
status; members read the whole history. An item nobody from the vendor has answered
after ``COUNCILS_FEEDBACK_RESPONSE_DAYS`` (default 14) is flagged to admins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.core.db import utcnow
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.core.permissions import is_admin
from app.extensions import db
from app.notifications.services import notify
from app.plugins.councils import services
from app.plugins.councils.meeting_models import (
    FEEDBACK_STATUS_LABELS,
    FEEDBACK_STATUSES,
    CouncilFeedback,
    CouncilFeedbackStatus,
    CouncilMotion,
)
from app.plugins.councils.meetings import TITLE_MAX, clean_markdown, clean_text, may_read
from app.plugins.councils.models import Council

DEFAULT_RESPONSE_DAYS = 14


def response_days() -> int:
    value = current_app.config.get("COUNCILS_FEEDBACK_RESPONSE_DAYS", DEFAULT_RESPONSE_DAYS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_RESPONSE_DAYS


def is_vendor_staff(actor: Any, council: Council) -> bool:
    """Admins, and the council's current vendor observers."""
    if is_admin(actor):
        return True
    membership = services.membership_of(actor, council)
    return services.is_current(membership) and membership.role == "observer" and may_read(actor, council)


def raise_feedback(
    actor: Any,
    council: Council,
    title: str,
    problem: str,
    impact: str = "",
    motion_id: Any = None,
) -> CouncilFeedback:
    """A council member raises an item (optionally from a motion of this council)."""
    if not may_read(actor, council):
        raise NotFound()
    membership = services.membership_of(actor, council)
    if not (membership is not None and membership.votes) and not is_admin(actor):
        raise PermissionDenied("Feedback items are raised by the council's members.")
    title = clean_text(title, "title", TITLE_MAX)
    problem, problem_html = clean_markdown(problem, "problem", 8_000)
    impact, impact_html = clean_markdown(impact, "impact", 8_000, required=False)
    motion = None
    if motion_id not in (None, "", 0):
        try:
            motion = db.session.get(CouncilMotion, int(motion_id))
        except (TypeError, ValueError):
            motion = None
        if motion is None or motion.council_id != council.id:
            raise Invalid("Choose a motion of this council.", field="motion_id")
    item = CouncilFeedback(
        council_id=council.id,
        motion_id=motion.id if motion else None,
        title=title,
        problem=problem,
        problem_html=problem_html,
        impact=impact,
        impact_html=impact_html,
        status="received",
        created_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(CouncilFeedbackStatus(feedback_id=item.id, status="received", actor_id=actor.id))
    db.session.flush()
    return item


def respond(actor: Any, item: CouncilFeedback, status: str, note: str = "") -> CouncilFeedbackStatus:
    """Vendor staff set a status with a note; declining needs a reason."""
    council = db.session.get(Council, item.council_id)
    if not may_read(actor, council):
        raise NotFound()
    if not is_vendor_staff(actor, council):
        raise PermissionDenied("Only vendor staff (admins and vendor observers) respond to feedback.")
    if status not in FEEDBACK_STATUSES:
        raise Invalid("Choose a status: " + ", ".join(FEEDBACK_STATUS_LABELS.values()) + ".", field="status")
    note, note_html = clean_markdown(note, "note", 8_000, required=status == "declined")
    if status == item.status and not note:
        raise Invalid("The item already has this status; add a note to respond.", field="note")
    entry = CouncilFeedbackStatus(
        feedback_id=item.id, status=status, note=note, note_html=note_html, actor_id=actor.id
    )
    db.session.add(entry)
    item.status = status
    if item.responded_at is None:
        item.responded_at = utcnow()
    db.session.flush()
    db.session.refresh(item)
    url = f"/councils/{council.id}/feedback/{item.id}"
    for membership in services.current_members(council.id):
        if membership.votes and services.has_accepted_current_charter(membership.user, council):
            notify(
                membership.user,
                "council_feedback",
                f"{council.name}: “{item.title}” is now {FEEDBACK_STATUS_LABELS[status].lower()}.",
                url,
                actor=actor,
            )
    return entry


def feedback_items(actor: Any, council: Council) -> list[CouncilFeedback]:
    if not may_read(actor, council):
        raise NotFound()
    return list(
        db.session.scalars(
            sa.select(CouncilFeedback)
            .where(CouncilFeedback.council_id == council.id)
            .order_by(CouncilFeedback.created_at.desc(), CouncilFeedback.id.desc())
        )
    )


def feedback_for(actor: Any, council: Council, feedback_id: int) -> CouncilFeedback:
    if not may_read(actor, council):
        raise NotFound()
    item = db.session.get(CouncilFeedback, feedback_id)
    if item is None or item.council_id != council.id:
        raise NotFound()
    return item


def overdue(actor: Any, council: Council | None = None, now: datetime | None = None) -> list[CouncilFeedback]:
    """Items with no vendor response after the configured days: admins only."""
    if not is_admin(actor):
        return []
    cutoff = (now or utcnow()) - timedelta(days=response_days())
    query = sa.select(CouncilFeedback).where(
        CouncilFeedback.responded_at.is_(None), CouncilFeedback.created_at <= cutoff
    )
    if council is not None:
        query = query.where(CouncilFeedback.council_id == council.id)
    return list(db.session.scalars(query.order_by(CouncilFeedback.created_at)))
