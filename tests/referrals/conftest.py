"""Referral test world: three partner organizations with members, people without an
organization, a moderator and an admin; and a shortcut to send a referral."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.notifications.models import Notification
from app.referrals import services as referrals
from app.referrals.models import Referral, ReferralEvent
from tests.factories import make_org, make_user

VALID = {
    "summary": "Firewall refresh for 40 branches",
    "details": "Contract ends in **March**.",
    "customer_name": "Acme Retail Ltd",
    "customer_region": "EMEA",
    "customer_industry": "retail",
    "specialisms": "networking, security",
    "estimated_value": "25000.50",
    "currency": "EUR",
    "confidentiality": "standard",
}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def counts() -> tuple[int, int, int]:
    """Referrals, timeline events and notifications: what a refused write must not touch."""
    return count(Referral), count(ReferralEvent), count(Notification)


def notifications_of(user) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)))


def send(actor, to, **overrides):
    """Send one referral (or a shortlist, when ``to`` is a list) and commit."""
    values = {**VALID, **overrides}
    created = referrals.send_referral(actor, to if isinstance(to, list) else [to], **values)
    db.session.commit()
    return created if isinstance(to, list) else created[0]


def make_overdue(referral) -> None:
    referral.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()


@pytest.fixture
def world(db):
    north = make_org(
        name="North Networks", slug="north", regions=["EMEA"], specialisms=["networking", "security"]
    )
    south = make_org(
        name="South Security", slug="south", regions=["EMEA", "APAC"], specialisms=["security", "cloud"]
    )
    third = make_org(name="Third Cloud", slug="third", regions=["APAC"], specialisms=["cloud"])
    people = SimpleNamespace(
        north=north,
        south=south,
        third=third,
        alice=make_user(username="alice", display_name="Alice North", organization=north, is_org_admin=True),
        andy=make_user(username="andy", display_name="Andy North", organization=north),
        bob=make_user(username="bob", display_name="Bob South", organization=south, is_org_admin=True),
        bea=make_user(username="bea", display_name="Bea South", organization=south),
        carl=make_user(username="carl", display_name="Carl Third", organization=third),
        loner=make_user(username="loner", display_name="Lone Member"),
        moderator=make_user(role="moderator", username="mod", display_name="Mod Erator"),
        admin=make_user(role="admin", username="root", display_name="Ada Admin"),
    )
    db.session.commit()
    return people
