"""Council meetings, motions, feedback and action items (blueprint ``council_work``).

Thin: parse the form, call a service, commit, redirect. A refused write (bad input,
closed vote) rolls back, flashes the service's message and redirects (303) to the
page it came from; outsiders get the site's plain 404 from ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.accounts.models import User
from app.core.errors import Conflict, Invalid, NotFound
from app.core.permissions import is_admin
from app.extensions import db
from app.plugins.councils import actions, feedback, meetings, motions, services
from app.plugins.councils.meeting_models import (
    ACTION_STATUSES,
    AGENDA_KIND_LABELS,
    CONFIDENTIALITY_LABELS,
    FEEDBACK_STATUS_LABELS,
)
from app.plugins.councils.view_access import current_actor, reader_council

bp = Blueprint(
    "council_work",
    __name__,
    url_prefix="/councils",
    template_folder=str(Path(__file__).resolve().parent / "templates"),
)


def _attempt(write: Callable[[], Any], success: str, back: str) -> Any:
    """Run a write; commit and flash ``success``, or roll back and flash the refusal."""
    try:
        write()
        db.session.commit()
        flash(success, "success")
    except (Invalid, Conflict) as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(back, code=303)


def _form(name: str) -> str:
    value = request.form.get(name, "")
    return value if isinstance(value, str) else ""


# --- meetings ------------------------------------------------------------------------------


@bp.get("/<int:council_id>/meetings", endpoint="meetings")
@login_required
def meeting_list(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    return render_template(
        "councils/meetings/list.html",
        council=council,
        meetings=meetings.meetings(actor, council),
        local_time=meetings.local_time,
        may_manage=services.may_manage(actor, council),
    )


@bp.post("/<int:council_id>/meetings", endpoint="create_meeting")
@login_required
def create_meeting(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meetings.require_chair(actor, council)
    return _attempt(
        lambda: meetings.create_meeting(
            actor,
            council,
            _form("title"),
            _form("starts_at"),
            _form("timezone"),
            location=_form("location"),
            link=_form("link"),
        ),
        "Meeting scheduled; members were notified.",
        url_for("council_work.meetings", council_id=council.id),
    )


@bp.get("/<int:council_id>/meetings/<int:meeting_id>", endpoint="meeting")
@login_required
def meeting_page(council_id: int, meeting_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meeting = meetings.meeting_for(actor, council, meeting_id)
    items = meetings.visible_items(actor, council, meeting)
    return render_template(
        "councils/meetings/show.html",
        council=council,
        meeting=meeting,
        starts=meetings.local_time(meeting),
        items=[(item, meetings.visible_minutes(actor, council, item)) for item in items],
        action_items=actions.actions_for_meeting(actor, council, meeting),
        members=services.current_members(council.id),
        may_manage=services.may_manage(actor, council),
        kinds=AGENDA_KIND_LABELS,
        levels=CONFIDENTIALITY_LABELS,
        action_statuses=ACTION_STATUSES,
        actor_id=actor.id,
    )


@bp.post("/<int:council_id>/meetings/<int:meeting_id>/items", endpoint="add_item")
@login_required
def add_item(council_id: int, meeting_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meeting = meetings.meeting_for(actor, council, meeting_id)
    meetings.require_chair(actor, council)

    def write() -> None:
        public_after = _form("public_after").strip()
        try:
            after = _parse_date(public_after) if public_after else None
        except ValueError:
            raise Invalid("Give the public-after date as YYYY-MM-DD.", field="public_after") from None
        meetings.add_agenda_item(
            actor,
            council,
            meeting,
            _form("title"),
            _form("kind"),
            _form("confidentiality") or "council",
            summary=_form("summary"),
            public_after=after,
        )

    return _attempt(
        write,
        "Agenda item added.",
        url_for("council_work.meeting", council_id=council.id, meeting_id=meeting.id),
    )


def _parse_date(value: str) -> date:
    return date.fromisoformat(value)


@bp.post("/<int:council_id>/items/<int:item_id>/minutes", endpoint="minutes")
@login_required
def write_minutes(council_id: int, item_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    item = meetings.item_for(actor, council, item_id)
    meetings.require_chair(actor, council)
    publish = request.form.get("publish") == "1"
    return _attempt(
        lambda: meetings.write_minutes(actor, council, item, _form("body"), publish=publish),
        "Minutes published to members." if publish else "Minutes saved as a draft.",
        url_for("council_work.meeting", council_id=council.id, meeting_id=item.meeting_id),
    )


@bp.post("/<int:council_id>/meetings/<int:meeting_id>/actions", endpoint="add_action")
@login_required
def add_action(council_id: int, meeting_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meeting = meetings.meeting_for(actor, council, meeting_id)
    meetings.require_chair(actor, council)
    owner_id = _form("owner_id")
    owner = db.session.get(User, int(owner_id)) if owner_id.isdigit() else None
    return _attempt(
        lambda: actions.add_action(actor, council, meeting, _form("title"), owner, _form("due_on")),
        "Action item added.",
        url_for("council_work.meeting", council_id=council.id, meeting_id=meeting.id),
    )


@bp.post("/<int:council_id>/actions/<int:action_id>/status", endpoint="action_status")
@login_required
def action_status(council_id: int, action_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    item = actions.action_for(actor, council, action_id)
    return _attempt(
        lambda: actions.set_status(actor, item, _form("status")),
        "Action item updated.",
        url_for("council_work.meeting", council_id=council.id, meeting_id=item.meeting_id),
    )


# --- motions -------------------------------------------------------------------------------


@bp.get("/<int:council_id>/motions", endpoint="motions")
@login_required
def motion_list(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    rows = motions.motions(actor, council)
    db.session.commit()  # a due motion closed on this read
    return render_template(
        "councils/meetings/motions.html",
        council=council,
        motions=rows,
        is_open=motions.is_open,
        may_manage=services.may_manage(actor, council),
    )


@bp.post("/<int:council_id>/motions", endpoint="create_motion")
@login_required
def create_motion(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    meetings.require_chair(actor, council)
    return _attempt(
        lambda: motions.create_motion(
            actor,
            council,
            _form("title"),
            _form("text"),
            opens_at=_form("opens_at") or None,
            closes_at=_form("closes_at"),
            quorum_kind=_form("quorum_kind"),
            quorum_value=_form("quorum_value"),
            anonymous=request.form.get("anonymous") == "1",
        ),
        "Motion opened; voting members were notified.",
        url_for("council_work.motions", council_id=council.id),
    )


@bp.get("/<int:council_id>/motions/<int:motion_id>", endpoint="motion")
@login_required
def motion_page(council_id: int, motion_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    motion = motions.motion_for(actor, council, motion_id)
    db.session.commit()
    voted, choice = motions.my_vote(actor, motion)
    return render_template(
        "councils/meetings/motion.html",
        council=council,
        motion=motion,
        open=motions.is_open(motion),
        may_vote=motions.may_vote(actor, council),
        voted=voted,
        choice=choice,
        turnout_so_far=motions.turnout_so_far(actor, motion),
        voters=motions.voters(actor, motion),
        may_manage=services.may_manage(actor, council),
    )


@bp.post("/<int:council_id>/motions/<int:motion_id>/vote", endpoint="vote")
@login_required
def vote(council_id: int, motion_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    motion = motions.motion_for(actor, council, motion_id)
    db.session.commit()
    return _attempt(
        lambda: motions.cast_vote(actor, motion, _form("choice")),
        "Your vote is recorded.",
        url_for("council_work.motion", council_id=council.id, motion_id=motion.id),
    )


@bp.post("/<int:council_id>/motions/<int:motion_id>/close", endpoint="close_motion")
@login_required
def close_motion(council_id: int, motion_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    motion = motions.motion_for(actor, council, motion_id)
    meetings.require_chair(actor, council)
    return _attempt(
        lambda: motions.close_now(actor, motion),
        "Voting closed; the result is published to the council.",
        url_for("council_work.motion", council_id=council.id, motion_id=motion.id),
    )


# --- feedback ------------------------------------------------------------------------------


@bp.get("/<int:council_id>/feedback", endpoint="feedback")
@login_required
def feedback_list(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    return render_template(
        "councils/meetings/feedback.html",
        council=council,
        items=feedback.feedback_items(actor, council),
        overdue=feedback.overdue(actor, council),
        response_days=feedback.response_days(),
        motions=motions.motions(actor, council),
        may_raise=is_admin(actor) or bool((m := services.membership_of(actor, council)) and m.votes),
    )


@bp.post("/<int:council_id>/feedback", endpoint="raise_feedback")
@login_required
def raise_feedback(council_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    return _attempt(
        lambda: feedback.raise_feedback(
            actor, council, _form("title"), _form("problem"), _form("impact"), _form("motion_id") or None
        ),
        "Feedback item raised; vendor staff will respond.",
        url_for("council_work.feedback", council_id=council.id),
    )


@bp.get("/<int:council_id>/feedback/<int:feedback_id>", endpoint="feedback_item")
@login_required
def feedback_item(council_id: int, feedback_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    item = feedback.feedback_for(actor, council, feedback_id)
    return render_template(
        "councils/meetings/feedback_item.html",
        council=council,
        item=item,
        statuses=FEEDBACK_STATUS_LABELS,
        may_respond=feedback.is_vendor_staff(actor, council),
    )


@bp.post("/<int:council_id>/feedback/<int:feedback_id>/respond", endpoint="respond")
@login_required
def respond(council_id: int, feedback_id: int):
    council = reader_council(council_id)
    actor = current_actor()
    item = feedback.feedback_for(actor, council, feedback_id)
    return _attempt(
        lambda: feedback.respond(actor, item, _form("status"), _form("note")),
        "Response recorded; the council was notified.",
        url_for("council_work.feedback_item", council_id=council.id, feedback_id=item.id),
    )


@bp.get("/feedback/overdue", endpoint="overdue_feedback")
@login_required
def overdue_feedback():
    """Admins: every council's feedback items still waiting for a vendor response."""
    actor = current_actor()
    if not is_admin(actor):
        raise NotFound()
    items = feedback.overdue(actor)
    names = {c.id: c.name for c in services.councils_for(actor)}
    return render_template(
        "councils/meetings/overdue.html", items=items, names=names, response_days=feedback.response_days()
    )


# --- the public page -----------------------------------------------------------------------


@bp.get("/<int:council_id>/public", endpoint="public")
@login_required
def public(council_id: int):
    council, released = meetings.public_page(current_actor(), council_id)
    return render_template("councils/meetings/public.html", council=council, released=released)
