"""Helpers for the accounts tests: reading links back out of the development outbox."""

from __future__ import annotations

import re

import pytest
from flask import g, request_started

from app.notifications.mail import outbox_messages

_LINK = re.compile(r"https?://\S+")


def links_sent_to(app, email: str) -> list[str]:
    """Every link in the outbox messages addressed to ``email``, oldest first."""
    found: list[str] = []
    for message in outbox_messages(app):
        if message["To"] == email:
            found += _LINK.findall(message.get_content())
    return found


def token_from(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def last_token(app):
    """The token of the newest link of a kind (``/confirm/``, ``/password/reset/``, ``/invite/``)."""

    def _last(email: str, kind: str) -> str:
        links = [link for link in links_sent_to(app, email) if kind in link]
        assert links, f"no {kind} link was emailed to {email}"
        return token_from(links[-1])

    return _last


@pytest.fixture(autouse=True)
def fresh_login_per_request(app):
    """Load the signed-in user afresh on every request, as a real server does.

    The shared ``app`` fixture keeps one app context open for the whole test, so ``g``
    (where Flask-Login caches the user) would otherwise outlive a request and one test
    client would see another's user.
    """

    def _forget(sender, **extra):
        g.pop("_login_user", None)

    request_started.connect(_forget, app)
    yield
    request_started.disconnect(_forget, app)
