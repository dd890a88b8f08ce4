"""Referral notifications name the referral's summary, for readers who may still see it."""

from __future__ import annotations

from app.accounts import organizations
from app.extensions import db
from tests.referrals.conftest import VALID, send


def test_the_notification_list_names_the_referrals_summary(world, client, login_as):
    referral = send(world.alice, "south")
    login_as(world.bob)
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"North Networks sent your organization referral #{referral.id}: “{VALID['summary']}”" in page


def test_a_member_who_left_no_longer_reads_the_summary(world, client, login_as):
    referral = send(world.alice, "south")
    organizations.add_member(world.admin, world.third, world.bob)
    db.session.commit()
    login_as(world.bob)
    page = client.get("/notifications/").get_data(as_text=True)
    assert f"referral #{referral.id}" in page
    assert VALID["summary"] not in page
