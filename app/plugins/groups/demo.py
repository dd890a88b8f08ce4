"""Demo user groups for ``flask seed-demo`` (through the ``seed_demo_data`` hook): three
groups led by the demo mentor (Priya, mentor@guildhall.example), one of each joining
policy and visibility, so a newcomer finds an open group near them, the mentor finds a
request waiting on the leaders' page, an invitation waits for bob, and each group's
members have an announcement.

Everything goes through the plug-in's services, so the groups get their forum category
and chat room and the people involved the notifications a real group would have sent.
Safe to run twice: a group that exists is left alone, and its discussions are added only
while its category has no topic.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.forums.models import Topic
from app.forums.services import create_reply, create_topic
from app.forums.spaces import ensure_forum_space
from app.plugins.groups import announcements, services
from app.plugins.groups.models import Group

LEADER = "mentor"
GROUPS: tuple[dict[str, Any], ...] = (
    {
        "name": "EMEA MSPs",
        "fields": {
            "kind": "regional",
            "region": "EMEA",
            "visibility": "public",
            "join_policy": "open",
            "description": "Managed service providers across Europe, the Middle East and Africa: "
            "monthly calls, migration stories and help with the partner programme.",
        },
        "members": ["alice", "dave", "ivan"],
        "announcement": (
            "Monthly call: patching and the new MDF rules",
            "Our next call is the first Thursday of the month, 16:00 CET. Bring your questions "
            "on the **new MDF rules**; the agenda is in the group's forum.",
        ),
        "requests": [],
        "invited": [],
        "topics": [
            (
                "dave",
                "Patching windows for clinics: how do you schedule them?",
                "Our clinics can't reboot in the day. What maintenance windows work for you?",
                [("mentor", "Sunday 02:00 local, staged in three rings. Happy to share the runbook.")],
            ),
        ],
    },
    {
        "name": "North America Resellers",
        "fields": {
            "kind": "regional",
            "region": "North America",
            "visibility": "members",
            "join_policy": "request",
            "description": "Resellers in the US and Canada: deal registration, renewals and quoting.",
        },
        "members": ["erin"],
        "announcement": (
            "Renewal season starts",
            "Q4 renewals open next week. Post tricky quotes in the group's forum and we will look at them together.",
        ),
        "requests": [("frank", "NOC engineer at Cloudbridge; I'd like to learn how you quote renewals.")],
        "invited": [],
        "topics": [
            (
                "erin",
                "Renewal quotes: one line or itemised?",
                "Customers keep asking why the renewal differs from last year. How do you present it?",
                [],
            ),
        ],
    },
    {
        "name": "Security Circle",
        "fields": {
            "kind": "topic",
            "topic_tags": ["security", "identity"],
            "visibility": "hidden",
            "join_policy": "invitation",
            "description": "A small circle of partners who run security practices. By invitation.",
        },
        "members": ["alice"],
        "announcement": (
            "Tabletop exercise in January",
            "We will run a ransomware tabletop exercise together in January. Details follow here.",
        ),
        "requests": [],
        "invited": ["bob"],
        "topics": [
            (
                "alice",
                "Phishing simulation vendors you trust",
                "We are choosing a phishing simulation tool for SMB customers. Experiences?",
                [("mentor", "Start with the built-in attack simulator before buying anything else.")],
            ),
        ],
    },
)


def seed_groups_demo() -> dict[str, int]:
    """Create the demo groups that are missing; returns rows added by kind."""
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    added = {"groups": 0, "group members": 0, "group announcements": 0, "group forum topics": 0}
    admin, leader = users.get("admin"), users.get(LEADER)
    if admin is None or leader is None:
        return added
    for spec in GROUPS:
        group = db.session.scalar(sa.select(Group).where(Group.name == spec["name"]))
        if group is None:
            group = services.create_group(admin, spec["name"], **spec["fields"])
            services.appoint_leader(admin, group, leader, "organizer")
            added["groups"] += 1
            added["group members"] += 1 + _populate(group, spec, users, leader)
            title, body = spec["announcement"]
            announcements.post_announcement(leader, group, title, body)
            added["group announcements"] += 1
        added["group forum topics"] += _seed_forum(group, spec, users)
    db.session.flush()
    return added


def _populate(group: Group, spec: dict, users: dict[str, User], leader: User) -> int:
    joined = 0
    for username in spec["members"]:
        person = users.get(username)
        if person is None:
            continue
        if group.join_policy == "open":
            services.join(person, group)
        else:  # as a leader would bring them in
            services.answer_invitation(person, services.invite(leader, group, person), True)
        joined += 1
    for username, note in spec["requests"]:
        if username in users:
            services.request_to_join(users[username], group, note)
    for username in spec["invited"]:
        if username in users:
            services.invite(leader, group, users[username])
    return joined


def _seed_forum(group: Group, spec: dict, users: dict[str, User]) -> int:
    """A discussion or two in the group's category, once."""
    forum = ensure_forum_space(services.SCOPE_TYPE, group.id, group.name, services.FORUM_DESCRIPTION)
    if db.session.scalar(sa.select(Topic.id).where(Topic.category_id == forum.id).limit(1)) is not None:
        return 0
    added = 0
    for author, title, body, replies in spec["topics"]:
        if author not in users or not services.may_enter_space(users[author], group):
            continue
        topic = create_topic(users[author], forum, title, body)
        for replier, reply in replies:
            if replier in users and services.may_enter_space(users[replier], group):
                create_reply(users[replier], topic, reply)
        added += 1
    return added
