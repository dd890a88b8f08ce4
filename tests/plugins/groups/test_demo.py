"""The demo's groups: three, led by the demo mentor, seeded once; a request waits on
the mentor's leaders' page, and the hidden group stays unknown to outsiders."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.demo import seed_base
from app.plugins.groups import services
from app.plugins.groups.demo import seed_groups_demo
from app.plugins.groups.models import Group
from tests.plugins.groups.support import ENABLED

pytestmark = ENABLED


def _user(db, username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _group(db, name: str) -> Group:
    return db.session.scalar(sa.select(Group).where(Group.name == name))


def test_the_demo_seeds_three_groups_led_by_the_mentor_once(app, db):
    seed_base()
    db.session.flush()
    first = seed_groups_demo()
    db.session.commit()
    assert first == {"groups": 3, "group members": 8, "group announcements": 3, "group forum topics": 3}
    assert seed_groups_demo() == {
        "groups": 0,
        "group members": 0,
        "group announcements": 0,
        "group forum topics": 0,
    }
    mentor = _user(db, "mentor")
    assert mentor.email == "mentor@guildhall.example"
    groups = db.session.scalars(sa.select(Group).order_by(Group.name)).all()
    assert [g.name for g in groups] == ["EMEA MSPs", "North America Resellers", "Security Circle"]
    assert all(services.is_organizer(mentor, g) for g in groups)
    assert {(g.visibility, g.join_policy) for g in groups} == {
        ("public", "open"),
        ("members", "request"),
        ("hidden", "invitation"),
    }
    na = _group(db, "North America Resellers")
    assert [m.user.username for m in services.pending_requests(mentor, na)] == ["frank"]
    bob = _user(db, "bob")
    assert [i.group.name for i in services.my_invitations(bob)] == ["Security Circle"]
    assert "EMEA MSPs" in [g.name for g in services.groups_near(_user(db, "grace"))]


def test_the_mentor_finds_the_request_and_outsiders_no_hidden_group(app, db, client, login_as):
    seed_base()
    db.session.flush()
    seed_groups_demo()
    db.session.commit()
    login_as(_user(db, "mentor"))
    lead = client.get("/groups/north-america-resellers/lead").get_data(as_text=True)
    assert "Frank" in lead and "quote renewals" in lead
    login_as(_user(db, "grace"))
    assert client.get("/groups/security-circle").status_code == 404
    assert "Security Circle" not in client.get("/groups/").get_data(as_text=True)
    login_as(_user(db, "alice"))
    assert "Phishing simulation" in client.get("/").get_data(as_text=True)
    assert "Tabletop exercise" in client.get("/groups/security-circle").get_data(as_text=True)
