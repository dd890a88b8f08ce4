"""Fixtures for moderation tests: a recorder of domain events and common people."""

from __future__ import annotations

import pytest

from app.plugins import hookimpl, plugin_manager
from tests.factories import make_user


class EventRecorder:
    """A plug-in that remembers the moderation events fired during a test."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    @hookimpl
    def post_flagged(self, flag, actor):
        self.events.append(("post_flagged", {"flag": flag, "actor": actor}))

    @hookimpl
    def post_hidden(self, post, actor, reason):
        self.events.append(("post_hidden", {"post": post, "actor": actor, "reason": reason}))

    @hookimpl
    def post_unhidden(self, post, actor):
        self.events.append(("post_unhidden", {"post": post, "actor": actor}))

    @hookimpl
    def topic_moderated(self, topic, actor, action, reason):
        self.events.append(
            ("topic_moderated", {"topic": topic, "actor": actor, "action": action, "reason": reason})
        )

    @hookimpl
    def user_suspended(self, user, actor, until, reason):
        self.events.append(
            ("user_suspended", {"user": user, "actor": actor, "until": until, "reason": reason})
        )


@pytest.fixture
def events(app) -> EventRecorder:
    recorder = EventRecorder()
    plugin_manager(app).register(recorder)
    return recorder


@pytest.fixture
def moderator(db):
    return make_user(role="moderator", display_name="Mo Derator")


@pytest.fixture
def admin(db):
    return make_user(role="admin", display_name="Ada Admin")


@pytest.fixture
def member(db):
    return make_user(display_name="Mem Ber")
