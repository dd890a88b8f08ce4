"""Action items from council meetings: owner, due date, status, reminders.

The owner is a current member (or observer) of the council, so a reminder never
reaches anyone outside it; the periodic job reminds owners of open items due within
``REMIND_DAYS``, once a day at most.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.notifications.services import notify
from app.plugins.councils import services
from app.plugins.councils.meeting_models import ACTION_STATUSES, CouncilActionItem, CouncilMeeting
from app.plugins.councils.meetings import TITLE_MAX, clean_text, may_read, require_chair
from app.plugins.councils.models import Council

REMIND_DAYS = 3


def _as_date(value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("Give a due date, e.g. 2027-03-31.", field="due_on") from None
    if isinstance(value, date):
        return value
    raise Invalid("Give a due date, e.g. 2027-03-31.", field="due_on")


def add_action(
    actor: Any, council: Council, meeting: CouncilMeeting, title: str, owner: Any, due_on: Any
) -> CouncilActionItem:
    require_chair(actor, council)
    if meeting.council_id != council.id:
        raise NotFound()
    title = clean_text(title, "title", TITLE_MAX)
    if not isinstance(owner, User) or not services.is_current(services.membership_of(owner, council)):
        raise Invalid("The owner must have a place on this council.", field="owner")
    item = CouncilActionItem(
        council_id=council.id,
        meeting_id=meeting.id,
        title=title,
        owner_id=owner.id,
        due_on=_as_date(due_on),
        created_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def set_status(actor: Any, item: CouncilActionItem, status: str) -> CouncilActionItem:
    """The owner or a chair marks an item done, dropped or open again."""
    council = db.session.get(Council, item.council_id)
    if not may_read(actor, council):
        raise NotFound()
    if item.owner_id != actor.id and not services.may_manage(actor, council):
        raise PermissionDenied("Only the owner or a chair changes this action item.")
    if status not in ACTION_STATUSES:
        raise Invalid("Status: open, done or dropped.", field="status")
    item.status = status
    db.session.flush()
    return item


def actions_for_meeting(actor: Any, council: Council, meeting: CouncilMeeting) -> list[CouncilActionItem]:
    if not may_read(actor, council) or meeting.council_id != council.id:
        raise NotFound()
    return list(
        db.session.scalars(
            sa.select(CouncilActionItem)
            .where(CouncilActionItem.meeting_id == meeting.id)
            .order_by(CouncilActionItem.due_on, CouncilActionItem.id)
        )
    )


def action_for(actor: Any, council: Council, action_id: int) -> CouncilActionItem:
    item = db.session.get(CouncilActionItem, action_id)
    if item is None or item.council_id != council.id or not may_read(actor, council):
        raise NotFound()
    return item


def send_reminders(on: date | None = None) -> int:
    """Remind owners of open items due within ``REMIND_DAYS`` (or overdue), once a day."""
    on = on or services.today()
    rows = db.session.scalars(
        sa.select(CouncilActionItem).where(
            CouncilActionItem.status == "open",
            CouncilActionItem.due_on <= on + timedelta(days=REMIND_DAYS),
            sa.or_(CouncilActionItem.reminded_on.is_(None), CouncilActionItem.reminded_on < on),
        )
    ).all()
    sent = 0
    for item in rows:
        item.reminded_on = on
        council = db.session.get(Council, item.council_id)
        owner = item.owner
        if owner is None or not services.is_current(services.membership_of(owner, council)):
            continue
        when = "is overdue" if item.due_on < on else f"is due {item.due_on:%d %b %Y}"
        if notify(
            owner,
            "council_action",
            f"{council.name}: your action “{item.title}” {when}.",
            f"/councils/{council.id}/meetings/{item.meeting_id}",
        ):
            sent += 1
    db.session.flush()
    return sent
