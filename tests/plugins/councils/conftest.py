"""Council fixtures: a council with a chair, ready for seat and privacy tests."""

from __future__ import annotations

import pytest

from app.plugins.councils import services
from tests.factories import make_org, make_user


@pytest.fixture
def council(db, admin):
    council = services.create_council(
        admin,
        "EMEA Partner Council",
        "# Charter\n\nWhat is said here stays here.",
        scope="region",
        region="EMEA",
        seats=3,
        rules=[("tier", "silver", 1)],
    )
    db.session.commit()
    return council


@pytest.fixture
def chair(db, admin, council):
    user = make_user(username="chair", organization=make_org(name="Chair Org"))
    services.grant_seat(admin, council, user, "chair")
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user
