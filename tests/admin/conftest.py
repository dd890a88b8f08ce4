"""Fixtures for the admin area's tests."""

from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.fixture
def member(db):
    user = make_user(username="mia", display_name="Mia Member")
    db.session.commit()
    return user
