"""Network test helpers: a few members, the rows they leave behind, and time travel
for the decline cool-down."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.directory.models import DirectoryProfile
from app.extensions import db
from app.network.models import Connection
from app.notifications.models import Notification
from tests.factories import make_org, make_user


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def connection_rows() -> list[Connection]:
    return list(db.session.scalars(sa.select(Connection).order_by(Connection.id)))


def notifications_for(user, kind: str = "connection") -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def hide_member(user, fields: list[str] | None = None, hidden: bool = True) -> DirectoryProfile:
    """Directory settings as helper A's settings page would store them."""
    settings = db.session.get(DirectoryProfile, user.id) or DirectoryProfile(user_id=user.id)
    settings.hidden = hidden
    settings.hidden_fields = list(fields or [])
    db.session.add(settings)
    db.session.commit()
    return settings


def age_decline(row: Connection, days: int) -> None:
    """Pretend the decline (and the request before it) happened ``days`` ago."""
    row.responded_at = utcnow() - timedelta(days=days)
    row.created_at = row.responded_at - timedelta(minutes=5)
    db.session.commit()


def suspend(user) -> None:
    user.suspended_until = utcnow() + timedelta(days=3)
    db.session.commit()


@pytest.fixture
def org(db):
    organization = make_org(name="Acme Networks", slug="acme", partner_type="msp", tier="platinum")
    db.session.commit()
    return organization


@pytest.fixture
def alice(db, org):
    user = make_user(username="alice", display_name="Alice Archer", organization=org)
    db.session.commit()
    return user


@pytest.fixture
def bob(db):
    user = make_user(username="bob", display_name="Bob Baker")
    db.session.commit()
    return user


@pytest.fixture
def carol(db):
    user = make_user(username="carol", display_name="Carol Cole")
    db.session.commit()
    return user


@pytest.fixture
def moderator(db):
    user = make_user(role="moderator", username="mod", display_name="Mo Derator")
    db.session.commit()
    return user


@pytest.fixture
def unconfirmed(db):
    user = make_user(username="newbie", display_name="New Bie", confirmed_at=None)
    db.session.commit()
    return user


@pytest.fixture
def suspended(db):
    user = make_user(username="benched", display_name="Ben Ched")
    suspend(user)
    return user
