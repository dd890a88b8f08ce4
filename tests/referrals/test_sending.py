"""Sending a referral: what is stored, who is told, and every refusal writes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.core.db import utcnow
from app.core.errors import Invalid, PermissionDenied
from app.extensions import db
from app.referrals import services as referrals
from app.referrals.models import ReferralEvent
from tests.referrals.conftest import VALID, counts, notifications_of, send


def test_a_member_sends_a_referral_to_another_organization(world):
    referral = send(world.andy, "south")
    assert referral.status == "sent"
    assert referral.sender_id == world.andy.id
    assert referral.sender_org_id == world.north.id
    assert referral.recipient_org_id == world.south.id
    assert referral.summary == VALID["summary"]
    assert referral.customer_name == "Acme Retail Ltd"
    assert referral.specialisms == ["networking", "security"]
    assert referral.estimated_value == Decimal("25000.50")
    assert referral.currency == "EUR"
    assert len(referral.batch) == 32


def test_details_are_rendered_from_markdown_once_on_write(world):
    referral = send(world.andy, "south", details="Contract ends in **March**.\n\n<script>alert(1)</script>")
    assert "<strong>March</strong>" in referral.details_html
    assert "<script" not in referral.details_html


def test_sending_starts_the_timeline(world):
    referral = send(world.andy, "south")
    assert [(e.kind, e.actor_id) for e in referral.events] == [("created", world.andy.id)]


def test_the_recipient_organization_admins_are_told_without_customer_details(world):
    referral = send(world.andy, "south")
    [notice] = notifications_of(world.bob)
    assert notice.kind == "referral"
    assert notice.message == f"North Networks sent your organization referral #{referral.id}"
    assert notice.url == f"/referrals/{referral.id}"
    assert notifications_of(world.bea) == []  # South has an org admin: only they are told


def test_an_organization_without_org_admins_is_told_through_every_member(world):
    send(world.alice, "third")
    assert len(notifications_of(world.carl)) == 1


def test_the_recipient_may_be_given_by_id_or_organization(world):
    by_id = referrals.send_referral(world.andy, [world.south.id], **VALID)[0]
    by_object = referrals.send_referral(world.andy, [world.third], **VALID)[0]
    assert (by_id.recipient_org_id, by_object.recipient_org_id) == (world.south.id, world.third.id)


def test_currency_codes_are_normalised_to_capitals(world):
    assert send(world.andy, "south", currency=" gbp ").currency == "GBP"


def test_the_estimated_value_is_optional(world):
    assert send(world.andy, "south", estimated_value="").estimated_value is None


def test_values_are_stored_with_two_decimals(world):
    assert send(world.andy, "south", estimated_value="999999999999.99").estimated_value == Decimal(
        "999999999999.99"
    )
    assert send(world.andy, "south", estimated_value=Decimal("10")).estimated_value == Decimal("10.00")


def test_expiry_defaults_to_thirty_days(world):
    referral = send(world.andy, "south")
    assert referral.expires_at.date() == (utcnow() + timedelta(days=30)).date()


def test_the_chosen_expiry_day_lasts_until_its_end(world):
    day = date.today() + timedelta(days=10)
    referral = send(world.andy, "south", expires_on=day.isoformat())
    assert referral.expires_at == datetime(day.year, day.month, day.day, 23, 59, 59)


def test_an_expiry_exactly_one_year_ahead_is_accepted(world):
    day = utcnow().date() + timedelta(days=365)
    assert send(world.andy, "south", expires_on=day).expires_at.date() == day


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"summary": "   \n\t "}, "summary"),
        ({"summary": "ab"}, "summary"),
        ({"summary": "x" * 201}, "summary"),
        ({"details": "x" * 10_001}, "details"),
        ({"customer_name": "x" * 121}, "customer_name"),
        ({"customer_region": "x" * 81}, "customer_region"),
        ({"customer_industry": "x" * 81}, "customer_industry"),
        ({"specialisms": "x" * 61}, "specialisms"),
        ({"specialisms": ", ".join(f"s{n}" for n in range(21))}, "specialisms"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"currency": "XTS"}, "currency"),
        ({"currency": "usd\x00"}, "currency"),
        ({"confidentiality": "secret"}, "confidentiality"),
        ({"estimated_value": "0"}, "estimated_value"),
        ({"estimated_value": "-5"}, "estimated_value"),
        ({"estimated_value": "1000000000000"}, "estimated_value"),
        ({"estimated_value": "10.005"}, "estimated_value"),
        ({"estimated_value": "25,000"}, "estimated_value"),
        ({"estimated_value": "NaN"}, "estimated_value"),
        ({"estimated_value": "Infinity"}, "estimated_value"),
        ({"estimated_value": "1e999999"}, "estimated_value"),
        ({"estimated_value": "ten thousand"}, "estimated_value"),
        ({"estimated_value": 12.5}, "estimated_value"),
        ({"estimated_value": "9" * 50}, "estimated_value"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
        ({"expires_on": "not a date"}, "expires_on"),
        ({"expires_on": "2031-02-30"}, "expires_on"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(world, overrides, field):
    before = counts()
    with pytest.raises(Invalid) as refused:
        referrals.send_referral(world.andy, ["south"], **{**VALID, **overrides})
    db.session.rollback()
    assert refused.value.field == field
    assert refused.value.message
    assert counts() == before


def test_today_as_expiry_is_refused(world):
    with pytest.raises(Invalid, match="future"):
        referrals.send_referral(world.andy, ["south"], **{**VALID, "expires_on": utcnow().date()})


def test_more_than_a_year_ahead_is_refused(world):
    later = utcnow().date() + timedelta(days=366)
    with pytest.raises(Invalid, match="one year"):
        referrals.send_referral(world.andy, ["south"], **{**VALID, "expires_on": later})


def test_sending_to_your_own_organization_is_refused(world):
    before = counts()
    with pytest.raises(Invalid, match="your own organization") as refused:
        referrals.send_referral(world.andy, ["north"], **VALID)
    db.session.rollback()
    assert refused.value.field == "recipient"
    assert counts() == before


def test_a_shortlist_that_includes_your_own_organization_writes_nothing(world):
    before = counts()
    with pytest.raises(Invalid, match="your own organization") as refused:
        referrals.send_referral(world.andy, ["south", "north"], shortlist=True, **VALID)
    db.session.rollback()
    assert refused.value.field == "shortlist"
    assert counts() == before


@pytest.mark.parametrize("recipient", ["nowhere", "", "south\x00", 0, -1, 2**40, None, True])
def test_sending_to_an_unknown_organization_is_refused(world, recipient):
    before = counts()
    with pytest.raises(Invalid):
        referrals.send_referral(world.andy, [recipient], **VALID)
    db.session.rollback()
    assert counts() == before


def test_sending_to_nobody_is_refused(world):
    with pytest.raises(Invalid, match="Choose an organization"):
        referrals.send_referral(world.andy, [], **VALID)


@pytest.mark.parametrize("who", ["loner", "moderator", "admin"])
def test_people_without_an_organization_cannot_send(world, who):
    before = counts()
    with pytest.raises(PermissionDenied, match="organization"):
        referrals.send_referral(getattr(world, who), ["south"], **VALID)
    db.session.rollback()
    assert counts() == before


def test_visitors_cannot_send(world):
    from app.accounts.models import Anonymous

    with pytest.raises(PermissionDenied):
        referrals.send_referral(Anonymous(), ["south"], **VALID)


def test_suspended_members_cannot_send(world):
    world.andy.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        referrals.send_referral(world.andy, ["south"], **VALID)


def test_a_failed_send_adds_no_timeline_event(world):
    send(world.andy, "south")
    before = db.session.query(ReferralEvent).count()
    with pytest.raises(Invalid):
        referrals.send_referral(world.andy, ["south"], **{**VALID, "currency": "ABC"})
    db.session.rollback()
    assert db.session.query(ReferralEvent).count() == before
