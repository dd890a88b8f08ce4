"""Fixtures shared by the core tests."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.factories import make_topic


@pytest.fixture
def topic(app):
    """One committed topic for the page-cache tests to render and invalidate."""
    topic = make_topic(title="Cached topic")
    db.session.commit()
    return topic
