"""The demo's councils: seeded through the seed_demo_data hook, safe to run twice; a
newcomer sees only a council's public page, its members see the rest."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.demo import seed_base
from app.plugins import plugin_manager
from app.plugins.councils import feedback, services
from app.plugins.councils.meeting_models import (
    CouncilActionItem,
    CouncilFeedback,
    CouncilMeeting,
    CouncilMotion,
)
from app.plugins.councils.models import Council

EMEA = "EMEA Partner Advisory Council"
GLOBAL = "Global Partner Advisory Council"


def _seed(app, db) -> dict[str, int]:
    """What the councils added (other plug-ins' demo rows are theirs to count)."""
    added: dict[str, int] = {}
    for contributed in plugin_manager(app).hook.seed_demo_data():
        added.update(contributed or {})
    db.session.commit()
    return {label: count for label, count in added.items() if label.startswith("council")}


def _user(db, username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _council(db, name: str) -> Council:
    return db.session.scalar(sa.select(Council).where(Council.name == name))


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_demo_seeds_two_councils_with_a_working_year_once(app, db):
    seed_base()
    db.session.flush()
    first = _seed(app, db)
    assert first["councils"] == 2 and first["council meetings"] == 4 and first["council motions"] == 4
    assert first["council documents"] == 5 and first["council forum topics"] == 3
    counts = [
        _count(db, m) for m in (Council, CouncilMeeting, CouncilMotion, CouncilFeedback, CouncilActionItem)
    ]
    assert _seed(app, db) == {
        "councils": 0,
        "council meetings": 0,
        "council motions": 0,
        "council feedback items": 0,
        "council documents": 0,
        "council forum topics": 0,
    }
    assert [
        _count(db, m) for m in (Council, CouncilMeeting, CouncilMotion, CouncilFeedback, CouncilActionItem)
    ] == counts
    assert {c.name for c in db.session.scalars(sa.select(Council))} == {EMEA, GLOBAL}
    emea = _council(db, EMEA)
    alice = _user(db, "alice")
    assert services.may_enter(alice, emea) and services.may_manage(alice, emea)
    assert services.councils_for(_user(db, "bob")) == []

    motions = db.session.scalars(sa.select(CouncilMotion).where(CouncilMotion.council_id == emea.id)).all()
    closed = [m for m in motions if m.closed_at is not None]
    still_open = [m for m in motions if m.closed_at is None]
    assert len(closed) == 1 and closed[0].quorum_met and closed[0].carried
    assert len(still_open) == 1
    statuses = {f.status for f in db.session.scalars(sa.select(CouncilFeedback))}
    assert {"planned", "received", "declined", "shipped"} <= statuses
    # The global council's unanswered item is old enough to be flagged to admins.
    assert [f.title for f in feedback.overdue(_user(db, "admin"))] == ["Partner locator ranking"]


def test_a_newcomer_sees_the_public_page_and_a_member_the_rest(app, db, client, login_as):
    seed_base()
    db.session.flush()
    _seed(app, db)
    emea = _council(db, EMEA)
    meeting = db.session.scalar(
        sa.select(CouncilMeeting)
        .where(CouncilMeeting.council_id == emea.id)
        .order_by(CouncilMeeting.starts_at)
    )
    motion = db.session.scalar(sa.select(CouncilMotion).where(CouncilMotion.council_id == emea.id))
    base = f"/councils/{emea.id}"

    login_as(_user(db, "bob"))
    assert f'href="{base}/public"' in client.get("/councils/").get_data(as_text=True)
    public = client.get(f"{base}/public")
    assert public.status_code == 200
    page = public.get_data(as_text=True)
    assert "conflict check on deal registrations" in page  # released summary
    assert "Registered tier" not in page  # still under embargo
    assert "roadmap" not in page.lower()  # no summary at all
    for path in (
        base,
        f"{base}/meetings",
        f"{base}/meetings/{meeting.id}",
        f"{base}/motions/{motion.id}",
        f"{base}/feedback",
    ):
        assert client.get(path).status_code == 404, path

    login_as(_user(db, "grace"))
    assert "Autumn council meeting" in client.get(f"{base}/meetings").get_data(as_text=True)
    minutes = client.get(f"{base}/meetings/{meeting.id}").get_data(as_text=True)
    assert "2027 roadmap preview" in minutes and "Confidential" in minutes
    assert client.get(f"{base}/motions/{motion.id}").status_code == 200
    listing = client.get(f"{base}/feedback").get_data(as_text=True)
    assert "Duplicate deal registrations" in listing and "MDF claims take too long" in listing
    shared = client.get(f"{base}/documents").get_data(as_text=True)
    assert 'href="https://docs.guildhall.example/councils/emea/handbook"' in shared
    assert "Questions for the roadmap session" in shared

    login_as(_user(db, "bob"))
    assert client.get(f"{base}/documents").status_code == 404
