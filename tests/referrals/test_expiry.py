"""Referrals nobody answered expire: lazily when read, and with ``flask referrals expire``."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict
from app.extensions import db
from app.referrals import lists as referral_lists
from app.referrals import services as referrals
from app.referrals.history import referral_history
from app.referrals.models import Referral
from tests.referrals.conftest import make_overdue, notifications_of, send


def test_an_overdue_referral_expires_when_it_is_opened(world):
    referral = send(world.andy, "south")
    make_overdue(referral)
    assert referrals.get_referral(world.bob, referral.id).status == "expired"
    assert referral.events[-1].kind == "expired"
    assert referral.events[-1].actor_id is None


def test_expiry_tells_the_sender_side(world):
    referral = send(world.andy, "south")
    make_overdue(referral)
    referrals.get_referral(world.bob, referral.id)
    db.session.commit()
    expected = f"Referral #{referral.id} to South Security expired without an answer"
    assert notifications_of(world.andy)[-1].message == expected
    assert notifications_of(world.alice)[-1].message == expected


def test_an_overdue_referral_expires_when_a_list_is_read(world):
    referral = send(world.andy, "south")
    make_overdue(referral)
    page = referral_lists.list_referrals(world.bob, "received")
    assert [r.status for r in page.items] == ["expired"]
    assert db.session.get(Referral, referral.id).status == "expired"


def test_an_overdue_referral_expires_when_the_history_is_read(world):
    referral = send(world.andy, "south")
    make_overdue(referral)
    assert referral_history(world.bob, world.south).received.expired == 1


def test_an_overdue_referral_cannot_be_accepted(world):
    referral = send(world.andy, "south")
    make_overdue(referral)
    with pytest.raises(Conflict, match="expired"):
        referrals.accept(world.bob, referral)


def test_only_referrals_waiting_for_an_answer_expire(world):
    referral = send(world.andy, "south")
    referrals.accept(world.bob, referral)
    db.session.commit()
    make_overdue(referral)
    assert referrals.expire_overdue() == 0
    assert referral.status == "accepted"


def test_referrals_before_their_expiry_stay_open(world):
    referral = send(world.andy, "south")
    assert referrals.expire_overdue() == 0
    assert referral.status == "sent"


def test_the_cli_expires_every_overdue_referral(world, runner):
    first, second = send(world.andy, "south"), send(world.bob, "third")
    waiting = send(world.carl, "north")
    make_overdue(first)
    make_overdue(second)
    result = runner.invoke(args=["referrals", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired 2 referrals." in result.output
    db.session.expire_all()
    statuses = {r.id: r.status for r in db.session.query(Referral)}
    assert statuses == {first.id: "expired", second.id: "expired", waiting.id: "sent"}


def test_the_cli_is_quiet_about_nothing_to_do(world, runner):
    result = runner.invoke(args=["referrals", "expire"])
    assert result.exit_code == 0
    assert "Expired 0 referrals." in result.output


def test_the_worker_job_expires_overdue_referrals_without_anyone_reading(app, world, runner):
    """Issue 21: the ``referrals.expire-overdue`` periodic job, not cron or a read."""
    referral = send(world.andy, "south")
    waiting = send(world.andy, "south")
    make_overdue(referral)
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "referrals.expire-overdue" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status == "expired"
    assert db.session.get(Referral, waiting.id).status == "sent"
    expected = f"Referral #{referral.id} to South Security expired without an answer"
    assert notifications_of(world.andy)[-1].message == expected
