"""Directory test helpers: a small partner community with every kind of member the
listing must include or leave out, and shortcuts to rebuild facets and read JSON.

Factories write rows directly (no domain events), so tests that build data with them
call :func:`refresh` to derive the facet rows; tests about the events themselves go
through the services instead.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.directory import facets, fields, profiles
from app.directory.models import DirectoryProfile
from app.extensions import db
from tests.factories import make_org, make_user


def refresh() -> None:
    """Derive facet rows from the tables and commit (factories fire no events)."""
    facets.rebuild_all()
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def get_json(client, url: str):
    response = client.get(url)
    return response.status_code, response.get_json()


def names(page) -> list[str]:
    """Display names (people) or organization names on a listing page, in order."""
    return [
        getattr(card, "user", None).display_name if hasattr(card, "user") else card.org.name
        for card in page.items
    ]


def hide(user, *, member: bool = False, fields_hidden: tuple[str, ...] = (), **lists) -> DirectoryProfile:
    """Set a member's directory settings directly (no events)."""
    profile = profiles.profile_for_update(user)
    profile.hidden = member
    profile.hidden_fields = list(fields_hidden)
    for name, value in lists.items():
        setattr(profile, name, value)
    db.session.flush()
    return profile


def add_field(key: str, kind: str = "choice", choices=("AWS", "Azure", "GCP"), **values):
    """A custom field written through the service as an admin (fires the field event)."""
    from app.accounts.services import CommandLineActor

    field = fields.create_field(
        CommandLineActor(), key=key, label=values.pop("label", key.title()), kind=kind,
        choices=list(choices) if kind in ("choice", "multi") else None, **values,
    )  # fmt: skip
    db.session.commit()
    return field


def set_value(user, field, value, hidden: bool = False):
    from app.directory.models import ProfileFieldValue

    row = ProfileFieldValue(user_id=user.id, field_id=field.id, value=value, hidden=hidden)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def acme(db):
    org = make_org(
        name="Acme Networks", slug="acme", partner_type="reseller", tier="gold",
        regions=["EMEA"], specialisms=["networking"], industries=["retail"],
    )  # fmt: skip
    db.session.commit()
    return org


@pytest.fixture
def beta(db):
    org = make_org(
        name="Beta Distribution", slug="beta", partner_type="distributor", tier="silver",
        regions=["APAC", "EMEA"], specialisms=["cloud"], industries=["finance"],
    )  # fmt: skip
    db.session.commit()
    return org


@pytest.fixture
def alice(db, acme):
    user = make_user(
        username="alice", display_name="Alice Archer", organization=acme, job_title="Partner Manager",
        region="EMEA", country="France", languages=["English", "French"], specialisms=["networking", "security"],
    )  # fmt: skip
    db.session.commit()
    return user


@pytest.fixture
def bob(db, beta):
    user = make_user(
        username="bob", display_name="Bob Baker", organization=beta, job_title="Engineer",
        region="APAC", country="Singapore", languages=["English", "Mandarin"], specialisms=["cloud"],
    )  # fmt: skip
    db.session.commit()
    return user


@pytest.fixture
def carol(db):
    """A mentor without an organization."""
    user = make_user(
        username="carol", display_name="Carol Cho", role="mentor", region="EMEA", country="Germany",
        languages=["German"], specialisms=["security"],
    )  # fmt: skip
    db.session.commit()
    return user


@pytest.fixture
def ghosts(db, acme):
    """Members the directory never lists: unconfirmed, suspended, hidden by choice."""
    unconfirmed = make_user(username="unconfirmed", display_name="Una Confirmed", confirmed_at=None,
                            organization=acme, region="EMEA", specialisms=["networking"])  # fmt: skip
    suspended = make_user(username="suspended", display_name="Sue Spended", organization=acme, region="EMEA",
                          suspended_until=utcnow() + timedelta(days=3), specialisms=["networking"])  # fmt: skip
    hidden = make_user(username="hidden", display_name="Hidden Harriet", organization=acme, region="EMEA",
                       specialisms=["networking"], country="Atlantis")  # fmt: skip
    hide(hidden, member=True)
    db.session.commit()
    return {"unconfirmed": unconfirmed, "suspended": suspended, "hidden": hidden}


@pytest.fixture
def world(db, alice, bob, carol, ghosts):
    refresh()
    return {"alice": alice, "bob": bob, "carol": carol, **ghosts}


@pytest.fixture
def member(db):
    user = make_user(username="reader", display_name="Rita Reader")
    db.session.commit()
    return user


@pytest.fixture
def moderator(db):
    user = make_user(role="moderator", username="mod", display_name="Mo Derator")
    db.session.commit()
    return user


@pytest.fixture
def admin(db):
    user = make_user(role="admin", username="root", display_name="Ada Admin")
    db.session.commit()
    return user
