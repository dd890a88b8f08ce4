"""Answering and following up a referral: every allowed step, every refused one, the
timeline, and who is told."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.plugins import hookimpl, plugin_manager
from app.referrals import services as referrals
from app.referrals.models import Referral
from tests.referrals.conftest import counts, notifications_of, send


def step(name, actor, referral, *args):
    result = referrals.STEPS[name](actor, referral, *args)
    db.session.commit()
    return result


def refused(error, name, actor, referral, *args):
    """Try a step that must fail; check that nothing was written."""
    before = counts()
    status = db.session.get(Referral, referral.id).status
    with pytest.raises(error) as info:
        referrals.STEPS[name](actor, referral, *args)
    db.session.rollback()
    assert counts() == before
    assert db.session.get(Referral, referral.id).status == status
    return info.value


@pytest.fixture
def referral(world):
    return send(world.andy, "south")


def test_any_member_of_the_receiving_organization_accepts(world, referral):
    step("accepted", world.bea, referral, "Glad to help")
    assert referral.status == "accepted"
    assert referral.events[-1].kind == "accepted"
    assert referral.events[-1].actor_id == world.bea.id
    assert referral.events[-1].note == "Glad to help"


def test_accepting_tells_the_sender_side_and_the_sender(world, referral):
    step("accepted", world.bea, referral)
    expected = f"South Security accepted referral #{referral.id}"
    assert [n.message for n in notifications_of(world.alice)] == [expected]  # North's org admin
    assert [n.message for n in notifications_of(world.andy)] == [expected]  # who sent it
    assert all("Acme" not in n.message for n in notifications_of(world.alice))


def test_declining_needs_a_reason(world, referral):
    error = refused(Invalid, "declined", world.bob, referral, "   ")
    assert error.field == "reason"


def test_declining_stores_the_reason_on_the_referral_and_the_timeline(world, referral):
    step("declined", world.bob, referral, "Not our region")
    assert referral.status == "declined"
    assert referral.decline_reason == "Not our region"
    assert referral.events[-1].note == "Not our region"
    assert notifications_of(world.andy)[-1].message == f"South Security declined referral #{referral.id}"


def test_a_decline_reason_is_limited(world, referral):
    assert refused(Invalid, "declined", world.bob, referral, "x" * 501).field == "reason"


def test_accepted_referrals_move_to_in_progress_then_won_with_a_value(world, referral):
    step("accepted", world.bob, referral)
    step("in_progress", world.bea, referral, "Kick-off on Monday")
    step("won", world.bea, referral, "30000", "Three-year deal")
    assert referral.status == "won"
    assert referral.outcome_value == Decimal("30000.00")
    assert referral.outcome_note == "Three-year deal"
    assert [e.kind for e in referral.events] == ["created", "accepted", "in_progress", "won"]
    assert referral.events[-1].value == Decimal("30000.00")


def test_winning_needs_a_value(world, referral):
    step("accepted", world.bob, referral)
    step("in_progress", world.bob, referral)
    assert refused(Invalid, "won", world.bob, referral, "", "no value").field == "value"
    assert refused(Invalid, "won", world.bob, referral, "-1", "").field == "value"
    assert refused(Invalid, "won", world.bob, referral, "1e15", "").field == "value"


def test_losing_takes_an_optional_value_and_a_note(world, referral):
    step("accepted", world.bob, referral)
    step("in_progress", world.bob, referral)
    step("lost", world.bob, referral, None, "Went with the incumbent")
    assert referral.status == "lost"
    assert referral.outcome_value is None
    assert referral.outcome_note == "Went with the incumbent"


def test_a_note_is_limited(world, referral):
    assert refused(Invalid, "accepted", world.bob, referral, "x" * 1001).field == "note"


def test_every_step_tells_the_other_side(world, referral):
    step("accepted", world.bob, referral)
    step("in_progress", world.bob, referral)
    step("won", world.bob, referral, "10")
    messages = [n.message for n in notifications_of(world.alice)]
    assert messages == [
        f"South Security accepted referral #{referral.id}",
        f"South Security started work on referral #{referral.id}",
        f"South Security won referral #{referral.id}",
    ]


def test_the_sender_side_may_withdraw_while_waiting(world, referral):
    step("withdrawn", world.alice, referral, "Customer paused the project")
    assert referral.status == "withdrawn"
    assert notifications_of(world.bob)[-1].message == f"North Networks withdrew referral #{referral.id}"


def test_the_sender_side_may_withdraw_after_acceptance(world, referral):
    step("accepted", world.bob, referral)
    step("withdrawn", world.andy, referral)
    assert referral.status == "withdrawn"


@pytest.mark.parametrize(
    ("path", "attempt"),
    [
        ([], ("in_progress",)),
        ([], ("won", "10")),
        ([], ("lost",)),
        ([("accepted",)], ("accepted",)),
        ([("accepted",)], ("declined", "too late")),
        ([("accepted",)], ("won", "10")),
        ([("declined", "no")], ("accepted",)),
        ([("accepted",), ("in_progress",)], ("accepted",)),
        ([("accepted",), ("in_progress",), ("won", "5")], ("lost",)),
    ],
)
def test_invalid_transitions_are_refused(world, referral, path, attempt):
    for name, *args in path:
        step(name, world.bob, referral, *args)
    error = refused(Conflict, attempt[0], world.bob, referral, *attempt[1:])
    assert "cannot be" in error.message


@pytest.mark.parametrize("path", [[("accepted",), ("in_progress",)], [("declined", "no")]])
def test_the_sender_cannot_withdraw_after_work_started_or_an_answer(world, referral, path):
    for name, *args in path:
        step(name, world.bob, referral, *args)
    refused(Conflict, "withdrawn", world.alice, referral)


def test_the_sender_side_cannot_answer_its_own_referral(world, referral):
    refused(PermissionDenied, "accepted", world.andy, referral)


def test_the_recipient_side_cannot_withdraw(world, referral):
    refused(PermissionDenied, "withdrawn", world.bob, referral)


def test_admins_see_but_do_not_act(world, referral):
    refused(PermissionDenied, "accepted", world.admin, referral)
    refused(PermissionDenied, "withdrawn", world.admin, referral)


@pytest.mark.parametrize("who", ["carl", "loner", "moderator"])
def test_outsiders_cannot_act_and_are_told_it_does_not_exist(world, referral, who):
    refused(NotFound, "accepted", getattr(world, who), referral)
    refused(NotFound, "withdrawn", getattr(world, who), referral)


def test_a_member_who_left_the_receiving_organization_can_no_longer_answer(world, referral):
    world.bea.organization = world.third
    db.session.commit()
    refused(NotFound, "accepted", world.bea, referral)


def test_each_step_fires_referral_changed(world, app):
    seen = []

    class Listener:
        @hookimpl
        def referral_changed(self, referral, actor, kind):
            seen.append((referral.id, getattr(actor, "username", None), kind))

    plugin_manager(app).register(Listener())
    referral = send(world.andy, "south")
    step("accepted", world.bob, referral)
    assert seen == [(referral.id, "andy", "created"), (referral.id, "bob", "accepted")]


def test_unknown_ids_are_not_found(world):
    for bad in (0, -1, 2**31, 2**63, 999, "1", None, True):
        with pytest.raises(NotFound):
            referrals.get_referral(world.admin, bad)
