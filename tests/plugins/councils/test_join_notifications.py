"""Joining notifies through the core notification service: the invitee, the chairs of
an application, the member given a seat; nobody outside the council hears of it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.notifications.models import Notification
from app.plugins.councils import services
from tests.factories import make_org, make_user


def _kinds(user) -> list[str]:
    from app.extensions import db

    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == user.id)))


def test_invitation_application_and_seat_notify_the_right_people(db, council, chair):
    guest, partner, bystander = (make_user(organization=make_org()) for _ in range(3))
    invitation = services.invite(chair, council, guest)
    today = services.today()
    council.applications_open_from, council.applications_open_until = today, today + timedelta(days=3)
    services.apply(partner, council, "I would bring the reseller view.")
    services.answer_invitation(guest, invitation, accept=True)
    db.session.commit()
    assert _kinds(guest) == ["council_invitation", "council_seat"]
    assert _kinds(chair) == ["council_seat", "council_application"]  # its own seat, then the application
    assert _kinds(partner) == [] and _kinds(bystander) == []


def test_a_refused_grant_sends_nothing(db, council, chair):
    org = make_org()
    services.grant_seat(chair, council, make_user(organization=org))
    second = make_user(organization=org)
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    try:
        services.grant_seat(chair, council, second)
    except Exception:  # noqa: BLE001 - the refusal itself is tested in test_seats
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == before
    assert _kinds(second) == []
