"""Fixtures for notification tests."""

from __future__ import annotations

import pytest
from flask import g

from app.forums.models import Post
from tests.factories import make_post, make_topic


@pytest.fixture(autouse=True)
def fresh_login_per_request(app):
    """The shared ``app`` fixture keeps one app context (so one ``g``) for the whole
    test, and Flask reuses it for every request: Flask-Login would then keep the
    first request's user. Production has one context per request; mimic that."""

    def _forget_cached_user() -> None:
        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, _forget_cached_user)


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
