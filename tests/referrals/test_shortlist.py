"""Shortlists: proposals from specialisms and region, one referral per ticked
organization, and the first acceptance closing the others without naming who."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, Invalid, PermissionDenied
from app.extensions import db
from app.referrals import services as referrals
from app.referrals.shortlist import propose_shortlist
from tests.factories import make_org
from tests.referrals.conftest import VALID, counts, notifications_of, send


def names(proposals) -> list[str]:
    return [p.organization.name for p in proposals]


def test_organizations_are_ranked_by_specialism_overlap_then_region(world):
    make_org(name="Aardvark Apac", slug="aardvark", regions=["APAC"], specialisms=["Security"])
    proposals = propose_shortlist(world.alice, ["security", "cloud"], "EMEA")
    # South: both specialisms; then one specialism each, EMEA coverage first, then by name.
    assert names(proposals) == ["South Security", "Aardvark Apac", "Third Cloud"]
    assert proposals[0].matched_specialisms == ["security", "cloud"]
    assert proposals[0].region_match is True
    assert proposals[1].region_match is False


def test_the_senders_own_organization_is_never_proposed(world):
    assert "North Networks" not in names(propose_shortlist(world.alice, ["networking", "security"], "EMEA"))


def test_matching_ignores_case_and_spacing(world):
    assert names(propose_shortlist(world.alice, ["  CLOUD "], "")) == ["South Security", "Third Cloud"]


def test_region_alone_proposes_organizations_covering_it(world):
    assert names(propose_shortlist(world.alice, [], "apac")) == ["South Security", "Third Cloud"]


def test_nothing_needed_proposes_nothing(world):
    assert propose_shortlist(world.alice, [], "") == []


def test_organizations_matching_only_the_region_are_not_proposed_for_specialisms(world):
    assert names(propose_shortlist(world.alice, ["cloud"], "EMEA")) == ["South Security", "Third Cloud"]
    assert names(propose_shortlist(world.alice, ["quantum"], "EMEA")) == []


def test_people_without_an_organization_get_no_proposals(world):
    with pytest.raises(PermissionDenied):
        propose_shortlist(world.loner, ["cloud"], "")


def test_a_shortlist_creates_one_referral_each_sharing_a_batch(world):
    created = send(world.alice, ["south", "third"])
    assert [r.recipient_org_id for r in created] == [world.south.id, world.third.id]
    assert created[0].batch == created[1].batch
    assert len(notifications_of(world.bob)) == 1
    assert len(notifications_of(world.carl)) == 1


def test_separate_sends_get_separate_batches(world):
    assert send(world.alice, "south").batch != send(world.alice, "third").batch


def test_a_shortlist_holds_at_most_five(world):
    for n in range(5):
        make_org(name=f"Extra {n}", slug=f"extra-{n}")
    db.session.commit()
    before = counts()
    with pytest.raises(Invalid, match="at most 5") as refused:
        referrals.send_referral(
            world.alice, ["south", "third", *(f"extra-{n}" for n in range(4))], shortlist=True, **VALID
        )
    db.session.rollback()
    assert refused.value.field == "shortlist"
    assert counts() == before
    assert len(send(world.alice, ["south", "third", "extra-0", "extra-1", "extra-2"])) == 5


def test_an_empty_shortlist_is_refused(world):
    with pytest.raises(Invalid, match="Tick at least one"):
        referrals.send_referral(world.alice, [], shortlist=True, **VALID)


def test_a_repeated_organization_is_sent_one_referral(world):
    assert len(send(world.alice, ["south", "south"])) == 1


def test_when_one_accepts_the_others_still_waiting_are_withdrawn(world):
    to_south, to_third = send(world.alice, ["south", "third"])
    referrals.accept(world.bob, to_south)
    db.session.commit()
    assert to_third.status == "withdrawn"
    last = to_third.events[-1]
    assert (last.kind, last.note, last.actor_id) == ("withdrawn", "Accepted by another partner.", None)


def test_the_withdrawn_recipients_are_told_without_naming_who_accepted(world):
    to_south, to_third = send(world.alice, ["south", "third"])
    referrals.accept(world.bob, to_south)
    db.session.commit()
    message = notifications_of(world.carl)[-1].message
    assert (
        message == f"Referral #{to_third.id} from North Networks was withdrawn: accepted by another partner"
    )
    assert "South" not in message
    assert notifications_of(world.carl)[-1].actor_id is None


def test_siblings_already_declined_stay_declined(world):
    to_south, to_third = send(world.alice, ["south", "third"])
    referrals.decline(world.carl, to_third, "Too small")
    referrals.accept(world.bob, to_south)
    db.session.commit()
    assert to_third.status == "declined"


def test_a_closed_sibling_can_no_longer_be_accepted(world):
    to_south, to_third = send(world.alice, ["south", "third"])
    referrals.accept(world.bob, to_south)
    db.session.commit()
    with pytest.raises(Conflict):
        referrals.accept(world.carl, to_third)


def test_declining_does_not_close_the_siblings(world):
    to_south, to_third = send(world.alice, ["south", "third"])
    referrals.decline(world.bob, to_south, "Busy")
    db.session.commit()
    assert to_third.status == "sent"
