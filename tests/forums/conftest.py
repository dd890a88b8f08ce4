"""Forum test helpers: people with each role, a category, and an event recorder."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.plugins import hookimpl, plugin_manager
from tests.factories import make_category, make_user


class EventRecorder:
    """A plug-in that remembers every forum domain event it hears."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def named(self, name: str) -> list[dict]:
        return [kwargs for event, kwargs in self.calls if event == name]

    @hookimpl
    def topic_created(self, topic, actor):
        self.calls.append(("topic_created", {"topic": topic, "actor": actor}))

    @hookimpl
    def post_created(self, post, actor):
        self.calls.append(("post_created", {"post": post, "actor": actor}))

    @hookimpl
    def post_edited(self, post, actor, revision):
        self.calls.append(("post_edited", {"post": post, "actor": actor, "revision": revision}))

    @hookimpl
    def post_deleted(self, post, actor):
        self.calls.append(("post_deleted", {"post": post, "actor": actor}))

    @hookimpl
    def post_restored(self, post, actor):
        self.calls.append(("post_restored", {"post": post, "actor": actor}))

    @hookimpl
    def post_liked(self, post, actor):
        self.calls.append(("post_liked", {"post": post, "actor": actor}))

    @hookimpl
    def user_mentioned(self, post, user, actor):
        self.calls.append(("user_mentioned", {"post": post, "user": user, "actor": actor}))


@pytest.fixture
def events(app) -> EventRecorder:
    recorder = EventRecorder()
    plugin_manager(app).register(recorder)
    return recorder


@pytest.fixture
def member(db):
    user = make_user(username="alice", display_name="Alice")
    db.session.commit()
    return user


@pytest.fixture
def other(db):
    user = make_user(username="bob", display_name="Bob")
    db.session.commit()
    return user


@pytest.fixture
def category(db):
    cat = make_category(name="General", slug="general")
    db.session.commit()
    return cat


@pytest.fixture
def mentors_only(db):
    """A category only mentors (and staff) can see or post in."""
    cat = make_category(
        name="Mentor lounge",
        slug="mentor-lounge",
        view_policy="mentor",
        topic_policy="mentor",
        reply_policy="mentor",
    )
    db.session.commit()
    return cat


def commit() -> None:
    db.session.commit()
