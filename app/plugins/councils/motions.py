"""Council motions and ballots.

A motion closes at ``closes_at``: the periodic job closes what is due, and every read
closes a due motion first (``close_due``), so a result never waits for the worker.
Closing writes the counts once; results are hidden from everyone until then.
Named ballots may be changed until the close; an anonymous ballot is final, because
changing it would need the voter -> choice link that anonymous motions never store.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.notifications.services import notify
from app.plugins.councils import services
from app.plugins.councils.meeting_models import (
    CHOICES,
    QUORUM_KINDS,
    CouncilBallot,
    CouncilMotion,
    CouncilTally,
)
from app.plugins.councils.meetings import (
    TITLE_MAX,
    clean_markdown,
    clean_text,
    may_read,
    notify_members,
    require_chair,
)
from app.plugins.councils.models import Council, CouncilMembership

CLOSING_SOON = timedelta(hours=24)


def _url(motion: CouncilMotion) -> str:
    return f"/councils/{motion.council_id}/motions/{motion.id}"


def _as_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid("Give a date and time (UTC), e.g. 2027-03-04 15:00.", field=field) from None
    if not isinstance(value, datetime):
        raise Invalid("Give a date and time (UTC), e.g. 2027-03-04 15:00.", field=field)
    if value.tzinfo is not None:
        value = value.astimezone(tz=None).replace(tzinfo=None)
    return value


def create_motion(
    actor: Any,
    council: Council,
    title: str,
    text: str,
    *,
    closes_at: Any,
    opens_at: Any = None,
    quorum_kind: str = "share",
    quorum_value: Any = 50,
    anonymous: bool = False,
    meeting_id: int | None = None,
    now: datetime | None = None,
) -> CouncilMotion:
    """The chair puts a motion to the voting members (open now unless ``opens_at``)."""
    require_chair(actor, council)
    now = now or utcnow()
    title = clean_text(title, "title", TITLE_MAX)
    text, text_html = clean_markdown(text, "text")
    opens = _as_datetime(opens_at, "opens_at") if opens_at not in (None, "") else now
    closes = _as_datetime(closes_at, "closes_at")
    if closes <= opens:
        raise Invalid("The vote must close after it opens.", field="closes_at")
    if closes <= now:
        raise Invalid("The closing time is in the past.", field="closes_at")
    if quorum_kind not in QUORUM_KINDS:
        raise Invalid("Quorum: a number of voters or a share of voting members.", field="quorum_kind")
    try:
        quorum_value = int(quorum_value)
    except (TypeError, ValueError):
        raise Invalid("Quorum: a whole number.", field="quorum_value") from None
    if quorum_kind == "share" and not 1 <= quorum_value <= 100:
        raise Invalid("A quorum share is 1 to 100 percent.", field="quorum_value")
    if quorum_kind == "count" and not 1 <= quorum_value <= 1000:
        raise Invalid("A quorum count is at least one voter.", field="quorum_value")
    motion = CouncilMotion(
        council_id=council.id,
        meeting_id=meeting_id,
        title=title,
        text=text,
        text_html=text_html,
        quorum_kind=quorum_kind,
        quorum_value=quorum_value,
        anonymous=bool(anonymous),
        opens_at=opens,
        closes_at=closes,
        created_by_id=actor.id,
    )
    db.session.add(motion)
    db.session.flush()
    if opens <= now:
        _announce_open(motion, council, actor)
    return motion


def _announce_open(motion: CouncilMotion, council: Council, actor: Any) -> None:
    motion.opened_notified = True
    notify_members(
        council,
        "council_motion_opened",
        f"{council.name}: vote on “{motion.title}” until {motion.closes_at:%d %b %Y %H:%M} UTC.",
        _url(motion),
        actor,
        voters_only=True,
    )


def is_open(motion: CouncilMotion, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return motion.closed_at is None and motion.opens_at <= now < motion.closes_at


def eligible_voters(council: Council) -> list[CouncilMembership]:
    """Current voting members (chair, co-chair, member) who accepted the charter;
    vendor observers never vote."""
    return [
        m
        for m in services.current_members(council.id)
        if m.votes and services.has_accepted_current_charter(m.user, council)
    ]


def may_vote(actor: Any, council: Council) -> bool:
    return any(m.user_id == getattr(actor, "id", None) for m in eligible_voters(council))


def cast_vote(actor: Any, motion: CouncilMotion, choice: str, now: datetime | None = None) -> CouncilBallot:
    """Record ``actor``'s vote; a named vote may be changed until the close."""
    council = db.session.get(Council, motion.council_id)
    if council is None or not may_read(actor, council):
        raise NotFound()
    now = now or utcnow()
    close_due(council, now)
    if choice not in CHOICES:
        raise Invalid("Vote yes, no or abstain.", field="choice")
    if not may_vote(actor, council):
        raise Invalid("Only the council's voting members vote; vendor observers do not.")
    if motion.closed_at is not None or now >= motion.closes_at:
        raise Invalid("Voting on this motion has closed.")
    if now < motion.opens_at:
        raise Invalid(f"Voting opens at {motion.opens_at:%d %b %Y %H:%M} UTC.")
    ballot = db.session.scalar(
        sa.select(CouncilBallot).where(
            CouncilBallot.motion_id == motion.id, CouncilBallot.user_id == actor.id
        )
    )
    if ballot is not None:
        if motion.anonymous:
            raise Conflict("You have voted. An anonymous vote cannot be changed.")
        ballot.choice = choice
        db.session.flush()
        return ballot
    ballot = CouncilBallot(motion_id=motion.id, user_id=actor.id, choice=None if motion.anonymous else choice)
    try:
        # The unique constraint refuses a second ballot from a parallel request.
        with db.session.begin_nested():
            db.session.add(ballot)
    except IntegrityError:
        raise Conflict("You have already voted on this motion.") from None
    if motion.anonymous:
        _count_anonymous(motion.id, choice)
    return ballot


def _count_anonymous(motion_id: int, choice: str) -> None:
    bumped = db.session.execute(
        sa.update(CouncilTally)
        .where(CouncilTally.motion_id == motion_id, CouncilTally.choice == choice)
        .values(votes=CouncilTally.votes + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        db.session.add(CouncilTally(motion_id=motion_id, choice=choice, votes=1))
        db.session.flush()


def my_vote(actor: Any, motion: CouncilMotion) -> tuple[bool, str | None]:
    """(voted, choice): the choice is ``None`` on anonymous motions, even for the voter."""
    ballot = db.session.scalar(
        sa.select(CouncilBallot).where(
            CouncilBallot.motion_id == motion.id, CouncilBallot.user_id == getattr(actor, "id", None)
        )
    )
    return (ballot is not None, ballot.choice if ballot else None)


def _counts(motion: CouncilMotion) -> dict[str, int]:
    counts = dict.fromkeys(CHOICES, 0)
    if motion.anonymous:
        rows = db.session.execute(
            sa.select(CouncilTally.choice, CouncilTally.votes).where(CouncilTally.motion_id == motion.id)
        )
    else:
        rows = db.session.execute(
            sa.select(CouncilBallot.choice, sa.func.count())
            .where(CouncilBallot.motion_id == motion.id)
            .group_by(CouncilBallot.choice)
        )
    for choice, votes in rows:
        counts[choice] = int(votes)
    return counts


def close_motion(motion: CouncilMotion, now: datetime | None = None, actor: Any = None) -> CouncilMotion:
    """Write the result once and tell the voters; a closed motion stays as it is."""
    if motion.closed_at is not None:
        return motion
    now = now or utcnow()
    council = db.session.get(Council, motion.council_id)
    # Claim the close with a conditional UPDATE so a job and a page closing together
    # write the result once.
    claimed = db.session.execute(
        sa.update(CouncilMotion)
        .where(CouncilMotion.id == motion.id, CouncilMotion.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        db.session.refresh(motion)
        return motion
    counts = _counts(motion)
    eligible = len(eligible_voters(council))
    turnout = sum(counts.values())
    if motion.quorum_kind == "count":
        met = turnout >= motion.quorum_value
    else:
        met = eligible > 0 and turnout * 100 >= motion.quorum_value * eligible
    motion.closed_at = now
    motion.eligible = eligible
    motion.yes, motion.no, motion.abstain = counts["yes"], counts["no"], counts["abstain"]
    motion.quorum_met = met
    db.session.flush()
    outcome = "carried" if motion.carried else ("not carried" if met else "no quorum")
    notify_members(
        council,
        "council_motion_result",
        f"{council.name}: “{motion.title}” closed — {outcome}.",
        _url(motion),
        actor,
    )
    return motion


def close_now(actor: Any, motion: CouncilMotion, now: datetime | None = None) -> CouncilMotion:
    """The chair ends the vote early (e.g. everyone has voted in the meeting)."""
    council = db.session.get(Council, motion.council_id)
    require_chair(actor, council)
    if motion.closed_at is not None:
        raise Conflict("This motion is already closed.")
    now = now or utcnow()
    if now < motion.opens_at:
        raise Invalid("Voting has not opened yet.")
    motion.closes_at = max(now, motion.opens_at + timedelta(seconds=1))
    db.session.flush()
    return close_motion(motion, now, actor)


def close_due(council: Council | None = None, now: datetime | None = None) -> list[CouncilMotion]:
    """Close every motion whose time is up (in one council, or all for the job)."""
    now = now or utcnow()
    query = sa.select(CouncilMotion).where(CouncilMotion.closed_at.is_(None), CouncilMotion.closes_at <= now)
    if council is not None:
        query = query.where(CouncilMotion.council_id == council.id)
    return [close_motion(motion, now) for motion in db.session.scalars(query).all()]


def announce_due(now: datetime | None = None) -> None:
    """The job's other half: announce motions that opened, warn voters who have not
    voted when a motion closes within a day."""
    now = now or utcnow()
    opened = db.session.scalars(
        sa.select(CouncilMotion).where(
            CouncilMotion.closed_at.is_(None),
            CouncilMotion.opened_notified.is_(False),
            CouncilMotion.opens_at <= now,
        )
    ).all()
    for motion in opened:
        _announce_open(motion, db.session.get(Council, motion.council_id), None)
    closing = db.session.scalars(
        sa.select(CouncilMotion).where(
            CouncilMotion.closed_at.is_(None),
            CouncilMotion.closing_notified.is_(False),
            CouncilMotion.opens_at <= now,
            CouncilMotion.closes_at > now,
            CouncilMotion.closes_at <= now + CLOSING_SOON,
        )
    ).all()
    for motion in closing:
        motion.closing_notified = True
        council = db.session.get(Council, motion.council_id)
        voted = set(
            db.session.scalars(sa.select(CouncilBallot.user_id).where(CouncilBallot.motion_id == motion.id))
        )
        for membership in eligible_voters(council):
            if membership.user_id not in voted:
                notify(
                    membership.user,
                    "council_motion_closing",
                    f"{council.name}: “{motion.title}” closes {motion.closes_at:%d %b %H:%M} UTC; "
                    "you have not voted.",
                    _url(motion),
                )
    db.session.flush()


def motions(actor: Any, council: Council, now: datetime | None = None) -> list[CouncilMotion]:
    if not may_read(actor, council):
        raise NotFound()
    close_due(council, now)
    return list(
        db.session.scalars(
            sa.select(CouncilMotion)
            .where(CouncilMotion.council_id == council.id)
            .order_by(CouncilMotion.closes_at.desc())
        )
    )


def motion_for(actor: Any, council: Council, motion_id: int, now: datetime | None = None) -> CouncilMotion:
    if not may_read(actor, council):
        raise NotFound()
    motion = db.session.get(CouncilMotion, motion_id)
    if motion is None or motion.council_id != council.id:
        raise NotFound()
    close_due(council, now)
    db.session.refresh(motion)
    return motion


def turnout_so_far(actor: Any, motion: CouncilMotion) -> int:
    """How many have voted (not how): members see participation while the vote runs."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(CouncilBallot.id)).where(CouncilBallot.motion_id == motion.id)
        )
        or 0
    )


def voters(actor: Any, motion: CouncilMotion) -> list[tuple[str, str]]:
    """Who voted what, after the close and only for named motions; empty otherwise."""
    if motion.anonymous or motion.closed_at is None:
        return []
    rows = db.session.scalars(
        sa.select(CouncilBallot).where(CouncilBallot.motion_id == motion.id).order_by(CouncilBallot.id)
    )
    return [(ballot.user.display_name, ballot.choice or "") for ballot in rows]
