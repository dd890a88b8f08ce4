"""Council meetings: agenda, minutes, embargoed public summaries.

Who may read what is decided here (``reader_council``), on top of H8's
``services.council_for``: outsiders get the same ``NotFound`` as for a missing id,
and a member who has not accepted the current charter reads nothing yet.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.core.permissions import is_admin, is_partner_member
from app.core.sanitize import render_markdown, too_costly
from app.extensions import db
from app.notifications.services import notify
from app.plugins.councils import services
from app.plugins.councils.meeting_models import (
    AGENDA_KINDS,
    CONFIDENTIALITY,
    CouncilAgendaItem,
    CouncilMeeting,
    CouncilMinutes,
)
from app.plugins.councils.models import CHAIR_ROLES, Council

TITLE_MAX = 200
TEXT_MAX = 20_000
URL_RE = re.compile(r"^https://[^\s<>\"']{3,490}$")

NOTIFICATION_KINDS = {
    "council_meeting": "A new meeting of your council",
    "council_motion_opened": "A council motion opened for voting",
    "council_motion_closing": "A council motion closes soon and you have not voted",
    "council_motion_result": "The result of a council motion",
    "council_feedback": "A vendor response to your council's feedback",
    "council_action": "A council action item of yours is due",
}


# --- access ---------------------------------------------------------------------------------


def may_read(actor: Any, council: Council) -> bool:
    return is_admin(actor) or services.may_enter(actor, council)


def reader_council(actor: Any, council_id: int) -> Council:
    """The council for someone who may read its private space, else ``NotFound``."""
    council = services.council_for(actor, council_id)
    if not may_read(actor, council):
        raise NotFound()
    return council


def require_chair(actor: Any, council: Council) -> None:
    """Chairs, co-chairs and admins run meetings and motions; members get a plain refusal."""
    if not services.may_manage(actor, council):
        if may_read(actor, council):
            raise PermissionDenied("Only the council's chair or co-chair may do this.")
        raise NotFound()


def sees_chair_items(actor: Any, council: Council) -> bool:
    if is_admin(actor):
        return True
    membership = services.membership_of(actor, council)
    return services.is_current(membership) and membership.role in CHAIR_ROLES


def clean_text(value: Any, field: str, limit: int, required: bool = True) -> str:
    return services._clean_text(value, field, limit, required=required)


def clean_markdown(value: Any, field: str, limit: int = TEXT_MAX, required: bool = True) -> tuple[str, str]:
    """The text and its sanitized HTML, rendered once on write."""
    text = clean_text(value, field, limit, required=required)
    problem = too_costly(text) if text else None
    if problem:
        raise Invalid(problem, field=field)
    return text, (render_markdown(text) if text else "")


def notify_members(
    council: Council, kind: str, message: str, url: str, actor: Any, *, voters_only: bool = False
) -> int:
    """In-app notifications to current members who accepted the charter (never to
    outsiders, so a notification cannot leak the council)."""
    sent = 0
    for membership in services.current_members(council.id):
        if voters_only and not membership.votes:
            continue
        if not services.has_accepted_current_charter(membership.user, council):
            continue
        if notify(membership.user, kind, message, url, actor=actor) is not None:
            sent += 1
    return sent


# --- meetings --------------------------------------------------------------------------------


def parse_local_time(value: Any, tz_name: Any) -> tuple[datetime, str]:
    """A wall-clock time in an IANA zone -> (naive UTC, zone name)."""
    if not isinstance(tz_name, str) or tz_name.strip() not in available_timezones():
        raise Invalid("Choose a time zone such as Europe/Berlin or America/New_York.", field="timezone")
    tz_name = tz_name.strip()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("Give a date and time, e.g. 2027-03-04 15:00.", field="starts_at") from None
    if not isinstance(value, datetime):
        raise Invalid("Give a date and time, e.g. 2027-03-04 15:00.", field="starts_at")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("Unknown time zone.", field="timezone") from None
    local = value.replace(tzinfo=zone) if value.tzinfo is None else value
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None), tz_name


def local_time(meeting: CouncilMeeting) -> datetime:
    """The meeting's start in its own zone, for display."""
    return meeting.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(meeting.timezone))


def create_meeting(
    actor: Any,
    council: Council,
    title: str,
    starts_local: Any,
    timezone: str,
    *,
    location: str = "",
    link: str = "",
) -> CouncilMeeting:
    require_chair(actor, council)
    title = clean_text(title, "title", TITLE_MAX)
    starts_at, timezone = parse_local_time(starts_local, timezone)
    location = clean_text(location, "location", 300, required=False)
    link = clean_text(link, "link", 500, required=False)
    if link and not URL_RE.match(link):
        raise Invalid("A meeting link starts with https://", field="link")
    if not location and not link:
        raise Invalid("Give a location or a meeting link.", field="location")
    meeting = CouncilMeeting(
        council_id=council.id,
        title=title,
        starts_at=starts_at,
        timezone=timezone,
        location=location,
        link=link,
        created_by_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    when = local_time(meeting).strftime("%d %b %Y %H:%M")
    notify_members(
        council,
        "council_meeting",
        f"{council.name}: meeting “{title}” on {when} ({timezone}).",
        f"/councils/{council.id}/meetings/{meeting.id}",
        actor,
    )
    return meeting


def meetings(actor: Any, council: Council) -> list[CouncilMeeting]:
    if not may_read(actor, council):
        raise NotFound()
    return list(
        db.session.scalars(
            sa.select(CouncilMeeting)
            .where(CouncilMeeting.council_id == council.id)
            .order_by(CouncilMeeting.starts_at.desc())
        )
    )


def meeting_for(actor: Any, council: Council, meeting_id: int) -> CouncilMeeting:
    if not may_read(actor, council):
        raise NotFound()
    meeting = db.session.get(CouncilMeeting, meeting_id)
    if meeting is None or meeting.council_id != council.id:
        raise NotFound()
    return meeting


def visible_items(actor: Any, council: Council, meeting: CouncilMeeting) -> list[CouncilAgendaItem]:
    """Agenda items ``actor`` may see: "chairs" items only for chairs and admins."""
    chairs = sees_chair_items(actor, council)
    return [item for item in meeting.items if item.confidentiality == "council" or chairs]


def visible_minutes(actor: Any, council: Council, item: CouncilAgendaItem) -> CouncilMinutes | None:
    """Published minutes for members; drafts only for whoever may write them."""
    minutes = item.minutes
    if minutes is None:
        return None
    if minutes.published_at is not None or services.may_manage(actor, council):
        return minutes
    return None


def add_agenda_item(
    actor: Any,
    council: Council,
    meeting: CouncilMeeting,
    title: str,
    kind: str = "information",
    confidentiality: str = "council",
    *,
    summary: str = "",
    public_after: date | None = None,
) -> CouncilAgendaItem:
    require_chair(actor, council)
    if meeting.council_id != council.id:
        raise NotFound()
    title = clean_text(title, "title", TITLE_MAX)
    if kind not in AGENDA_KINDS:
        raise Invalid("Type: information, discussion or decision.", field="kind")
    if confidentiality not in CONFIDENTIALITY:
        raise Invalid("Confidentiality: council members or chairs only.", field="confidentiality")
    summary, summary_html = clean_markdown(summary, "summary", 4_000, required=False)
    if public_after is not None and not summary:
        raise Invalid("An item made public after a date needs a public summary.", field="summary")
    if public_after is not None and confidentiality == "chairs":
        raise Invalid("A chairs-only item cannot have a public summary.", field="public_after")
    position = 1 + max((item.position for item in meeting.items), default=0)
    item = CouncilAgendaItem(
        meeting_id=meeting.id,
        position=position,
        title=title,
        kind=kind,
        confidentiality=confidentiality,
        summary=summary,
        summary_html=summary_html,
        public_after=public_after,
    )
    db.session.add(item)
    db.session.flush()
    db.session.refresh(meeting)
    return item


def item_for(actor: Any, council: Council, item_id: int) -> CouncilAgendaItem:
    item = db.session.get(CouncilAgendaItem, item_id)
    if item is None or item.meeting.council_id != council.id or not may_read(actor, council):
        raise NotFound()
    if item.confidentiality == "chairs" and not sees_chair_items(actor, council):
        raise NotFound()
    return item


def write_minutes(
    actor: Any, council: Council, item: CouncilAgendaItem, body: str, *, publish: bool = False
) -> CouncilMinutes:
    """The chair writes (or rewrites) an item's minutes; ``publish`` shows them to members."""
    require_chair(actor, council)
    if item.meeting.council_id != council.id:
        raise NotFound()
    body, body_html = clean_markdown(body, "minutes")
    minutes = item.minutes or CouncilMinutes(item_id=item.id)
    minutes.body = body
    minutes.body_html = body_html
    minutes.written_by_id = actor.id
    minutes.updated_at = utcnow()
    if publish and minutes.published_at is None:
        minutes.published_at = utcnow()
    db.session.add(minutes)
    db.session.flush()
    db.session.refresh(item)
    return minutes


# --- the public page ---------------------------------------------------------------------------


def public_summaries(
    council_id: int, on: date | None = None
) -> list[tuple[CouncilMeeting, CouncilAgendaItem]]:
    """Items whose embargo has passed: only their summary, title and meeting date."""
    on = on or services.today()
    rows = db.session.execute(
        sa.select(CouncilMeeting, CouncilAgendaItem)
        .join(CouncilAgendaItem, CouncilAgendaItem.meeting_id == CouncilMeeting.id)
        .where(
            CouncilMeeting.council_id == council_id,
            CouncilAgendaItem.public_after.is_not(None),
            CouncilAgendaItem.public_after <= on,
            CouncilAgendaItem.confidentiality == "council",
            CouncilAgendaItem.summary != "",
        )
        .order_by(CouncilMeeting.starts_at.desc(), CouncilAgendaItem.position)
    )
    return [(meeting, item) for meeting, item in rows]


def public_page(actor: Any, council_id: int) -> tuple[Council, list]:
    """A council's public page for partner members: only released summaries. A
    council with nothing released answers 404, like one that does not exist, so the
    page never tells anyone a council exists before it chose to say something."""
    council = db.session.get(Council, council_id)
    if council is None or not (is_partner_member(actor) or may_read(actor, council)):
        raise NotFound()
    released = public_summaries(council.id)
    if not released:
        raise NotFound()
    return council, released


def public_councils(actor: Any, on: date | None = None) -> list[Council]:
    """Councils whose public page ``actor`` may open (the same rule as ``public_page``:
    a partner member, or a reader of the council, and something already released), so
    the councils index can link them; a council with nothing released stays unnamed."""
    on = on or services.today()
    released = (
        sa.select(Council)
        .join(CouncilMeeting, CouncilMeeting.council_id == Council.id)
        .join(CouncilAgendaItem, CouncilAgendaItem.meeting_id == CouncilMeeting.id)
        .where(
            CouncilAgendaItem.public_after.is_not(None),
            CouncilAgendaItem.public_after <= on,
            CouncilAgendaItem.confidentiality == "council",
            CouncilAgendaItem.summary != "",
        )
        .distinct()
        .order_by(Council.name)
    )
    partner = is_partner_member(actor)
    return [council for council in db.session.scalars(released) if partner or may_read(actor, council)]
