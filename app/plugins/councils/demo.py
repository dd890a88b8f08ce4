"""Demo councils for ``flask seed-demo`` (through the ``seed_demo_data`` hook): an EMEA
and a global council seated with people from the demo organizations, so a newcomer
signing in as alice or heidi finds a working council: a past meeting with minutes and a
released public summary, an upcoming meeting, a closed and an open motion, feedback in
several states with vendor responses, an action item, and a document list (links and
notes the chair shared).

Unlike the core demo this goes through the plug-in's services, so the councils get
their private forum category and chat room, seat rules and charter acceptance are
honoured, and members find the notifications a real council would have sent them.
Safe to run twice: a council that exists is left alone, and its meetings, motions and
feedback are added only while it has no meeting yet."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.core.db import utcnow
from app.extensions import db
from app.forums.models import Topic
from app.forums.services import create_reply, create_topic
from app.notifications.kinds import update_kind_preferences
from app.notifications.models import NotificationKindPreference
from app.plugins.councils import actions, documents, feedback, forum_space, meetings, motions, services
from app.plugins.councils.meeting_models import CouncilMeeting
from app.plugins.councils.models import Council, CouncilDocument

CHARTER = """The council gives the vendor representative, candid partner feedback on the product
and the partner programme, and hears back what became of it.

## Confidentiality

Roadmaps, pricing and anything marked confidential stay inside the council until the
vendor publishes them. Members speak for their organization, and may share a
meeting's public summary once its date has passed.
"""

COUNCILS = (
    {
        "name": "EMEA Partner Advisory Council",
        "scope": "region",
        "region": "EMEA",
        "seats": 8,
        "rules": [("tier", "registered", 1)],
        "seated": [("alice", "chair"), ("grace", "member"), ("ivan", "member"), ("moderator", "observer")],
        "applicants": [],
        "story": {
            "timezone": "Europe/Berlin",
            "past": "Autumn council meeting",
            "next": "Spring council meeting",
            "venue": "Partner Hub, Amsterdam (and online)",
            "items": [
                (
                    "Deal registration in the partner portal",
                    "discussion",
                    "Members described duplicate registrations between distributors and resellers. "
                    "The vendor will add a conflict check before approval.",
                    "Partners asked for a conflict check on deal registrations; the vendor agreed to "
                    "build one into the partner portal.",
                    -10,
                ),
                (
                    "2027 roadmap preview",
                    "information",
                    "The product team walked through the 2027 roadmap. **Confidential** until launch.",
                    "",
                    None,
                ),
                (
                    "Changes to the Registered tier",
                    "decision",
                    "The council backed simpler Registered-tier requirements; details follow in Q1.",
                    "The Registered tier's requirements will be simplified in the new programme year.",
                    60,
                ),
            ],
            "action": "Collect three examples of duplicate deal registrations",
            "closed_motion": (
                "Recommend a conflict check for deal registrations",
                "The council recommends that the partner portal warns before approving a deal "
                "registration that overlaps an existing one.",
            ),
            "open_motion": (
                "Move the spring meeting online",
                "Hold the spring meeting online instead of in Amsterdam, so every member can attend.",
            ),
            "feedback": [
                (
                    "Duplicate deal registrations",
                    "Two partners can register the same opportunity, and both learn of it only at approval.",
                    "Lost weeks of pre-sales work on about one deal in ten.",
                    [
                        ("under_review", "The portal team is sizing the conflict check."),
                        ("planned", "Planned for the Q2 portal release."),
                    ],
                ),
                (
                    "MDF claims take too long",
                    "Market development fund claims wait six to eight weeks for approval.",
                    "Smaller partners stop running campaigns.",
                    [("received", "Thanks, passed to the programme office.")],
                ),
                (
                    "Certification exams only in English",
                    "The technical certification exams are offered in English only.",
                    "",
                    [("declined", "Exams stay in English this year; translated study guides ship instead.")],
                ),
            ],
        },
    },
    {
        "name": "Global Partner Advisory Council",
        "scope": "global",
        "region": "",
        "seats": 12,
        "rules": [("tier", "gold", 3)],
        "seated": [("heidi", "chair"), ("carol", "co_chair"), ("erin", "member"), ("admin", "observer")],
        "applicants": [
            ("dave", "Northwind runs the largest EMEA retail roll-outs; I can bring their feedback.")
        ],
        "story": {
            "timezone": "America/New_York",
            "past": "Annual partner advisory summit",
            "next": "Mid-year review",
            "venue": "Online",
            "items": [
                (
                    "Partner programme renewal",
                    "discussion",
                    "Members reviewed the renewal terms and asked for a longer notice period.",
                    "The council asked for 90 days' notice of programme changes; the vendor agreed.",
                    -20,
                ),
                (
                    "Pricing changes for 2027",
                    "information",
                    "Pricing for the next year was presented. Confidential until published.",
                    "",
                    None,
                ),
            ],
            "action": "Draft the council's annual report to partners",
            "closed_motion": (
                "Ask for 90 days' notice of programme changes",
                "The council asks the vendor to announce partner programme changes 90 days ahead.",
            ),
            "open_motion": (
                "Add a services specialisation track",
                "Recommend a certification track for services-led partners.",
            ),
            "feedback": [
                (
                    "Notice of programme changes",
                    "Programme changes are announced 30 days ahead, too late to adjust sales plans.",
                    "Partners miss targets they had planned for.",
                    [("shipped", "From this year every programme change is announced 90 days ahead.")],
                ),
                (
                    "Partner locator ranking",
                    "The public partner locator does not explain how partners are ranked.",
                    "",
                    [],
                ),
            ],
        },
    },
)


# Each council's document list, shared by its chair: (title, link, note); one of the two.
DOCUMENTS = {
    "EMEA Partner Advisory Council": [
        ("Council handbook (shared drive)", "https://docs.guildhall.example/councils/emea/handbook", ""),
        (
            "Questions for the roadmap session",
            "",
            "Bring one question each to the next meeting:\n\n"
            "- Which **deal registration** changes would save you the most time?\n"
            "- What should the partner portal stop doing?\n\n"
            "_Please keep these confidential until the minutes are released._",
        ),
        ("Q3 partner programme slides", "https://docs.guildhall.example/councils/emea/q3-programme.pdf", ""),
    ],
    "Global Partner Advisory Council": [
        ("Partner locator ranking: background", "https://docs.guildhall.example/councils/global/locator", ""),
        (
            "How we raise feedback",
            "",
            "1. Describe the **problem** and who it hurts.\n"
            "2. Say what it costs partners (time, deals, money).\n"
            "3. The vendor answers within the response window; the chair follows up.",
        ),
    ],
}


# Each council's private forum: (author, title, opening post, [(replier, reply)]).
FORUM_TOPICS = {
    "EMEA Partner Advisory Council": [
        (
            "grace",
            "Renewal pricing in the Nordics: what are your customers saying?",
            "Three of our renewals this quarter asked for multi-year discounts we cannot "
            "match. Is anyone else seeing this before we raise it at the next meeting?",
            [("alice", "Yes, in Denmark too. Let's put it on the agenda with numbers from each of us.")],
        ),
        (
            "alice",
            "Draft agenda for the next meeting",
            "Proposed: the pricing question Grace raised, the certification backlog, and "
            "feedback on the partner portal beta. Add anything below by Friday.",
            [("ivan", "Please add the onboarding delays for new resellers.")],
        ),
    ],
    "Global Partner Advisory Council": [
        (
            "heidi",
            "Before we vote: questions on the marketing fund motion",
            "The motion splits the fund by tier. Post your questions here so the vendor "
            "can answer them before the vote opens.",
            [("erin", "Would unused funds roll over to the next quarter?")],
        ),
    ],
}


# A member's own choice on the notification preferences page: grace reads motion
# results in the app only, while every other council notice keeps its emailed default.
NOTIFICATION_CHOICES = {"grace": {"council_motion_result": "app"}}


def seed_council_demo() -> dict[str, int]:
    """Create the demo councils that are missing, and give each one without meetings
    its demo year; returns rows added by kind for the seed summary."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    admin = users.get("admin")
    added = {
        "councils": 0,
        "council meetings": 0,
        "council motions": 0,
        "council feedback items": 0,
        "council documents": 0,
        "council forum topics": 0,
    }
    if admin is None:
        return added
    for username, choices in NOTIFICATION_CHOICES.items():
        person = users.get(username)
        if person is not None and not any(
            db.session.get(NotificationKindPreference, (person.id, kind)) for kind in choices
        ):
            update_kind_preferences(person, choices)
    today = services.today()
    for spec in COUNCILS:
        council = db.session.scalar(sa.select(Council).where(Council.name == spec["name"]))
        if council is None:
            council = _create(admin, users, spec, today)
            added["councils"] += 1
        has_meeting = db.session.scalar(
            sa.select(CouncilMeeting.id).where(CouncilMeeting.council_id == council.id).limit(1)
        )
        chair = users.get(spec["seated"][0][0])
        if has_meeting is None and chair is not None and services.may_manage(chair, council):
            for kind, count in _seed_activity(council, spec, users).items():
                added[kind] += count
        has_document = db.session.scalar(
            sa.select(CouncilDocument.id).where(CouncilDocument.council_id == council.id).limit(1)
        )
        if has_document is None and chair is not None and services.may_manage(chair, council):
            for title, url, note in DOCUMENTS.get(spec["name"], []):
                documents.add_document(chair, council, title, url=url, body=note)
                added["council documents"] += 1
        added["council forum topics"] += _seed_forum(council, spec, users)
    db.session.flush()
    return added


def _seed_forum(council: Council, spec: dict, users: dict[str, User]) -> int:
    """A topic or two (with a reply) in the council's private forum, once: only its
    members see them, so alice finds them and bob, who is not seated, gets a 404."""
    forum = forum_space.ensure_forum(council)
    if db.session.scalar(sa.select(Topic.id).where(Topic.category_id == forum.id).limit(1)) is not None:
        return 0
    added = 0
    for author, title, body, replies in FORUM_TOPICS.get(spec["name"], []):
        if author not in users or not services.may_enter(users[author], council):
            continue
        topic = create_topic(users[author], forum, title, body)
        for replier, reply in replies:
            if replier in users and services.may_enter(users[replier], council):
                create_reply(users[replier], topic, reply)
        added += 1
    return added


def _create(admin: User, users: dict[str, User], spec: dict, today) -> Council:
    council = services.create_council(
        admin,
        spec["name"],
        CHARTER,
        scope=spec["scope"],
        region=spec["region"],
        seats=spec["seats"],
        rules=spec["rules"],
        applications_open_from=today - timedelta(days=3) if spec["applicants"] else None,
        applications_open_until=today + timedelta(days=30) if spec["applicants"] else None,
    )
    for username, role in spec["seated"]:
        person = users.get(username)
        if person is None:
            continue
        services.grant_seat(admin, council, person, role, term_start=today - timedelta(days=90))
        services.accept_charter(person, council, council.charter_version)
    for username, statement in spec["applicants"]:
        if username in users:
            services.apply(users[username], council, statement)
    return council


def _at(days: int, hour: int) -> datetime:
    """A wall-clock time ``days`` from today (negative: in the past), on the hour."""
    day = services.today() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour)


def _backdate(item: Any, raised_at: datetime) -> None:
    """Spread an item's history over the weeks since the meeting (the services stamp
    everything "now"); an item left unanswered is then old enough to be flagged."""
    item.created_at = raised_at
    for step, entry in enumerate(sorted(item.history, key=lambda entry: entry.id)):
        entry.created_at = raised_at + timedelta(days=5 * step, hours=step)
    if item.responded_at is not None:
        item.responded_at = raised_at + timedelta(days=5, hours=1)


def _seed_activity(council: Council, spec: dict, users: dict[str, User]) -> dict[str, int]:
    """A past meeting with minutes, an upcoming one, a closed and an open motion,
    feedback the vendor answered, and an action item, all written by the chair,
    members and vendor staff through the services."""
    story = spec["story"]
    chair = users[spec["seated"][0][0]]
    voters = [users[name] for name, role in spec["seated"] if role != "observer" and name in users]
    staff = next(users[name] for name, role in spec["seated"] if role == "observer" and name in users)
    now = utcnow()

    past = meetings.create_meeting(
        chair,
        council,
        story["past"],
        _at(-40, 14),
        story["timezone"],
        link="https://meet.guildhall.example/council",
    )
    for title, kind, minutes, summary, public_days in story["items"]:
        item = meetings.add_agenda_item(
            chair,
            council,
            past,
            title,
            kind,
            summary=summary,
            public_after=services.today() + timedelta(days=public_days) if public_days is not None else None,
        )
        meetings.write_minutes(chair, council, item, minutes, publish=True)
    owner = voters[-1]
    actions.add_action(chair, council, past, story["action"], owner, services.today() + timedelta(days=14))
    meetings.create_meeting(
        chair, council, story["next"], _at(45, 15), story["timezone"], location=story["venue"]
    )

    # A motion put at the past meeting, voted on and closed then.
    opened = now - timedelta(days=40)
    closed_motion = motions.create_motion(
        chair,
        council,
        story["closed_motion"][0],
        story["closed_motion"][1],
        closes_at=opened + timedelta(days=2),
        quorum_kind="share",
        quorum_value=50,
        meeting_id=past.id,
        now=opened,
    )
    for voter, choice in zip(voters, ("yes", "yes", "abstain", "no"), strict=False):
        motions.cast_vote(voter, closed_motion, choice, now=opened + timedelta(hours=2))
    motions.close_motion(closed_motion, now=opened + timedelta(days=2), actor=chair)

    open_motion = motions.create_motion(
        chair,
        council,
        story["open_motion"][0],
        story["open_motion"][1],
        closes_at=now + timedelta(days=7),
        quorum_kind="count",
        quorum_value=max(1, len(voters) - 1),
        now=now,
    )
    for voter, choice in zip(voters[:2], ("yes", "no"), strict=False):
        motions.cast_vote(voter, open_motion, choice, now=now)

    raised = 0
    for index, (title, problem, impact, responses) in enumerate(story["feedback"]):
        raiser = voters[index % len(voters)]
        item = feedback.raise_feedback(
            raiser, council, title, problem, impact, motion_id=closed_motion.id if index == 0 else None
        )
        for status, note in responses:
            feedback.respond(staff, item, status, note)
        _backdate(item, now - timedelta(days=38 - index))
        raised += 1
    return {"council meetings": 2, "council motions": 2, "council feedback items": raised}
