"""Fixtures for notification tests."""

from __future__ import annotations

import pytest

from app.forums.models import Post
from tests.factories import make_post, make_topic


def opening_post(topic) -> Post:
    from app.extensions import db

    return db.session.query(Post).filter_by(topic_id=topic.id, number=1).one()


@pytest.fixture
def reply_setup(db):
    """A topic by ``author`` and a reply to it by ``replier``."""
    from tests.factories import make_user

    author = make_user(display_name="Topic Author")
    replier = make_user(display_name="Rita Replier")
    topic = make_topic(author=author, title="Deal registration")
    reply = make_post(topic, author=replier, body="I have **thoughts** on this.")
    return author, replier, topic, reply
