"""Helpers for the accounts tests: reading links back out of the development outbox."""

from __future__ import annotations

import re

import pytest

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
