"""Motions: who votes, when, how often; anonymous ballots; quorum and the close."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.notifications.models import Notification
from app.plugins.councils import meeting_hooks, motions, services
from app.plugins.councils.meeting_models import CouncilBallot, CouncilMotion, CouncilTally
from tests.factories import make_org, make_user


def seated(db, council, chair, role="member"):
    """A member with a seat who accepted the charter."""
    user = make_user(organization=make_org(), role="moderator" if role == "observer" else "member")
    services.grant_seat(chair if role != "observer" else services_admin(db), council, user, role)
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user


def services_admin(db):
    return make_user(role="admin")


@pytest.fixture
def voters(db, council, chair):
    return seated(db, council, chair), seated(db, council, chair)


@pytest.fixture
def observer(db, council, chair):
    return seated(db, council, chair, role="observer")


def open_motion(db, council, chair, **fields):
    values = {"closes_at": utcnow() + timedelta(days=2), "quorum_kind": "count", "quorum_value": 2}
    values.update(fields)
    motion = motions.create_motion(chair, council, "Adopt the roadmap", "We **support** it.", **values)
    db.session.commit()
    return motion


def make_due(motion) -> None:
    """As if the closing time passed (the clock moved on)."""
    motion.opens_at = utcnow() - timedelta(hours=2)
    motion.closes_at = utcnow() - timedelta(seconds=1)


def ballots(motion) -> int:
    from app.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).where(CouncilBallot.motion_id == motion.id))


def test_members_vote_and_the_result_shows_turnout_and_quorum(db, council, chair, voters):
    motion = open_motion(db, council, chair)
    for user, choice in zip(voters, ("yes", "no"), strict=True):
        motions.cast_vote(user, motion, choice)
    motions.cast_vote(chair, motion, "yes")
    db.session.commit()
    assert motion.closed_at is None and motion.yes is None  # hidden until the close
    motions.close_due(now=motion.closes_at)
    db.session.commit()
    assert (motion.yes, motion.no, motion.abstain, motion.eligible) == (2, 1, 0, 3)
    assert motion.turnout == 3 and motion.quorum_met and motion.carried


def test_a_share_quorum_not_reached_is_reported(db, council, chair, voters):
    motion = open_motion(db, council, chair, quorum_kind="share", quorum_value=67)
    motions.cast_vote(voters[0], motion, "yes")
    motions.close_motion(motion, now=motion.closes_at)
    db.session.commit()
    assert motion.turnout == 1 and motion.eligible == 3 and motion.quorum_met is False and not motion.carried


def test_a_named_vote_changes_the_same_ballot(db, council, chair, voters):
    motion = open_motion(db, council, chair)
    motions.cast_vote(voters[0], motion, "yes")
    motions.cast_vote(voters[0], motion, "no")
    db.session.commit()
    assert ballots(motion) == 1 and motions.my_vote(voters[0], motion) == (True, "no")


def test_a_second_ballot_row_is_refused_by_the_database(db, council, chair, voters):
    motion = open_motion(db, council, chair)
    motions.cast_vote(voters[0], motion, "yes")
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(CouncilBallot(motion_id=motion.id, user_id=voters[0].id, choice="no"))
    db.session.rollback()
    assert ballots(motion) == 1


@pytest.mark.parametrize("when", ["before", "after"])
def test_voting_outside_the_window_is_refused_and_writes_nothing(db, council, chair, voters, when):
    now = utcnow()
    motion = open_motion(
        db, council, chair, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2)
    )
    at = now if when == "before" else now + timedelta(hours=3)
    with pytest.raises(Invalid, match="opens" if when == "before" else "closed"):
        motions.cast_vote(voters[0], motion, "yes", now=at)
    db.session.rollback()
    assert ballots(motion) == 0


def test_an_observer_cannot_vote(db, council, chair, observer):
    motion = open_motion(db, council, chair)
    with pytest.raises(Invalid, match="observers"):
        motions.cast_vote(observer, motion, "yes")
    db.session.rollback()
    assert ballots(motion) == 0


def test_outsiders_and_bad_choices(db, council, chair, voters):
    motion = open_motion(db, council, chair)
    with pytest.raises(NotFound):
        motions.cast_vote(make_user(organization=make_org()), motion, "yes")
    with pytest.raises(Invalid):
        motions.cast_vote(voters[0], motion, "maybe")
    db.session.rollback()
    assert ballots(motion) == 0


def test_an_anonymous_ballot_keeps_no_voter_choice_link(db, council, chair, voters, admin):
    motion = open_motion(db, council, chair, anonymous=True)
    motions.cast_vote(voters[0], motion, "yes")
    motions.cast_vote(voters[1], motion, "no")
    db.session.commit()
    choices = db.session.scalars(sa.select(CouncilBallot.choice).where(CouncilBallot.motion_id == motion.id))
    assert set(choices) == {None}
    tally = {t.choice: t.votes for t in db.session.scalars(sa.select(CouncilTally))}
    assert tally == {"yes": 1, "no": 1}
    assert motions.my_vote(voters[0], motion) == (True, None)
    with pytest.raises(Conflict, match="cannot be changed"):
        motions.cast_vote(voters[0], motion, "no")
    db.session.rollback()
    motions.close_now(chair, motion)
    db.session.commit()
    assert (motion.yes, motion.no) == (1, 1) and motions.voters(admin, motion) == []


def test_named_voters_are_shown_only_after_the_close(db, council, chair, voters):
    motion = open_motion(db, council, chair)
    motions.cast_vote(voters[0], motion, "yes")
    assert motions.voters(chair, motion) == []
    motions.close_now(chair, motion)
    assert motions.voters(chair, motion) == [(voters[0].display_name, "yes")]


def test_only_a_chair_opens_or_closes_a_motion(db, council, chair, voters):
    with pytest.raises(PermissionDenied):
        motions.create_motion(voters[0], council, "T", "x", closes_at=utcnow() + timedelta(days=1))
    motion = open_motion(db, council, chair)
    with pytest.raises(PermissionDenied):
        motions.close_now(voters[0], motion)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"closes_at": "yesterday"}, "date and time"),
        ({"closes_at": utcnow() - timedelta(days=1)}, "close after it opens"),
        ({"quorum_kind": "share", "quorum_value": 101}, "1 to 100"),
        ({"quorum_kind": "most", "quorum_value": 1}, "Quorum"),
        ({"quorum_value": "many"}, "whole number"),
    ],
)
def test_bad_motions_are_refused(db, council, chair, fields, message):
    values = {"closes_at": utcnow() + timedelta(days=1), "quorum_kind": "count", "quorum_value": 1}
    values.update(fields)
    with pytest.raises(Invalid, match=message):
        motions.create_motion(chair, council, "Title", "Text", **values)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(CouncilMotion.id))) == 0


def test_the_periodic_job_closes_due_motions_and_reading_closes_them_too(db, council, chair, voters):
    first = open_motion(db, council, chair)
    second = open_motion(db, council, chair)
    for motion in (first, second):
        make_due(motion)
    db.session.commit()
    meeting_hooks.motions_job()
    db.session.commit()
    assert first.closed_at is not None
    third = open_motion(db, council, chair)
    make_due(third)
    db.session.commit()
    assert motions.motion_for(voters[0], council, third.id).closed_at is not None


def test_notifications_for_opened_closing_soon_and_result(db, council, chair, voters, observer):
    motion = open_motion(db, council, chair, closes_at=utcnow() + timedelta(hours=3))
    motions.cast_vote(voters[0], motion, "yes")
    motions.announce_due()
    motions.close_now(chair, motion)
    db.session.commit()
    kinds = {
        (n.user_id, n.kind)
        for n in db.session.scalars(sa.select(Notification).where(Notification.kind.like("council_%")))
    }
    assert (voters[0].id, "council_motion_opened") in kinds
    assert (observer.id, "council_motion_opened") not in kinds  # observers do not vote
    assert (voters[1].id, "council_motion_closing") in kinds
    assert (voters[0].id, "council_motion_closing") not in kinds  # already voted
    assert (observer.id, "council_motion_result") in kinds


def test_vote_over_http(db, client, login_as, council, chair, voters):
    motion = open_motion(db, council, chair)
    login_as(voters[0])
    page = client.get(f"/councils/{council.id}/motions/{motion.id}")
    assert page.status_code == 200 and "Results are hidden" in page.get_data(as_text=True)
    response = client.post(f"/councils/{council.id}/motions/{motion.id}/vote", data={"choice": "yes"})
    assert response.status_code == 303
    assert motions.my_vote(voters[0], motion) == (True, "yes")
    login_as(chair)
    client.post(f"/councils/{council.id}/motions/{motion.id}/close")
    text = client.get(f"/councils/{council.id}/motions/{motion.id}").get_data(as_text=True)
    assert "Turnout: 1 of 3" in text and "not met" in text


def test_outsiders_get_404_on_every_motion_route(db, client, login_as, council, chair):
    motion = open_motion(db, council, chair)
    login_as(make_user(organization=make_org()))
    for method, path in [
        ("get", f"/councils/{council.id}/motions"),
        ("get", f"/councils/{council.id}/motions/{motion.id}"),
        ("post", f"/councils/{council.id}/motions/{motion.id}/vote"),
        ("post", f"/councils/{council.id}/motions/{motion.id}/close"),
        ("get", f"/councils/{council.id + 99}/motions"),
    ]:
        assert getattr(client, method)(path, data={"choice": "yes"}).status_code == 404, path


def test_the_same_member_voting_twice_at_once_leaves_one_ballot(app, db, council, chair, voters):
    from app.extensions import db as _db
    from app.plugins.councils.meeting_models import CouncilMotion as Motion
    from tests.threads import race

    motion = open_motion(db, council, chair, anonymous=True)
    motion_id, voter_id, user_type = motion.id, voters[0].id, type(voters[0])
    outcomes: list[str] = []

    def vote(n: int) -> None:
        with app.app_context():
            session = _db.session
            try:
                motions.cast_vote(session.get(user_type, voter_id), session.get(Motion, motion_id), "yes")
                session.commit()
                outcomes.append("counted")
            except Conflict:
                session.rollback()
                outcomes.append("refused")
            finally:
                session.remove()

    assert race(vote, 2) == []
    assert sorted(outcomes) == ["counted", "refused"]
    db.session.expire_all()
    assert ballots(motion) == 1
    assert db.session.scalar(sa.select(CouncilTally.votes).where(CouncilTally.motion_id == motion_id)) == 1


def test_a_bad_motion_form_shows_the_error_and_writes_nothing(db, client, login_as, council, chair, observer):
    login_as(chair)
    response = client.post(
        f"/councils/{council.id}/motions",
        data={
            "title": "T",
            "text": "x",
            "closes_at": "not a date",
            "quorum_kind": "share",
            "quorum_value": "50",
        },
        follow_redirects=True,
    )
    assert "Give a date and time" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CouncilMotion.id))) == 0
    motion = open_motion(db, council, chair)
    login_as(observer)
    response = client.post(
        f"/councils/{council.id}/motions/{motion.id}/vote", data={"choice": "yes"}, follow_redirects=True
    )
    assert "vendor observers do not" in response.get_data(as_text=True) and ballots(motion) == 0
    assert client.post(f"/councils/{council.id}/motions/{motion.id}/close").status_code == 403


def test_a_motion_opening_later_is_announced_by_the_job_once(db, app, council, chair, voters):
    from app.plugins import plugin_manager

    now = utcnow()
    motion = open_motion(
        db, council, chair, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=3)
    )

    def opened() -> int:
        return db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.kind == "council_motion_opened")
        )

    assert opened() == 0 and not motion.opened_notified
    motions.announce_due(now=now + timedelta(hours=2))
    motions.announce_due(now=now + timedelta(hours=3))
    db.session.commit()
    assert opened() == 3  # every voting member (chair included: the job has no actor), once
    jobs = [job for answer in plugin_manager(app).hook.periodic_jobs(app=app) for job in (answer or [])]
    assert {"councils.motions", "councils.action-reminders"} <= {job["name"] for job in jobs}
