"""Group fixtures: an admin-made group of each joining policy, led by the mentor."""

from __future__ import annotations

import pytest

from tests.plugins.groups.support import make_group, partner


@pytest.fixture
def open_group(db, admin, mentor):
    group = make_group(admin, "EMEA MSPs", mentor, description="Managed service providers in **EMEA**.")
    db.session.commit()
    return group


@pytest.fixture
def request_group(db, admin, mentor):
    group = make_group(
        admin, "North America Resellers", mentor, region="North America", join_policy="request"
    )
    db.session.commit()
    return group


@pytest.fixture
def hidden_group(db, admin, mentor):
    group = make_group(
        admin,
        "Security Circle",
        mentor,
        kind="topic",
        region="",
        topic_tags="security, identity",
        visibility="hidden",
        join_policy="invitation",
    )
    db.session.commit()
    return group


@pytest.fixture
def someone(db):
    user = partner(username="sam", display_name="Sam Partner", region="EMEA", specialisms=["security"])
    db.session.commit()
    return user
