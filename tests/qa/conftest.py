"""Q&A test helpers: people, a public and a restricted Q&A category, and shortcuts to
ask, answer and grant reputation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.forums.models import Post
from app.plugins import hookimpl, plugin_manager
from app.qa import questions
from app.qa.models import QACategory, QAReputationEvent
from tests.factories import make_category, make_user


def make_qa_category(multiple_accepted: bool = False, **fields):
    category = make_category(**fields)
    db.session.add(QACategory(category_id=category.id, multiple_accepted=multiple_accepted))
    db.session.flush()
    return category


def grant_reputation(user, points: int) -> None:
    """Seed the ledger directly (as if earned earlier)."""
    db.session.add(QAReputationEvent(user_id=user.id, kind="answer_upvoted", points=points))
    db.session.flush()


def ask(
    actor, category, title="How do I configure SAML single sign-on?", body="Details here.", tags="sso saml"
):
    topic = questions.ask_question(actor, category, title, body, tags)
    db.session.commit()
    return topic


def answer(actor, topic, body="Try this.") -> Post:
    post = questions.answer_question(actor, topic, body)
    db.session.commit()
    return post


def first_post(topic) -> Post:
    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


class QARecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def named(self, name: str) -> list[dict]:
        return [kwargs for event, kwargs in self.calls if event == name]

    @hookimpl
    def question_asked(self, topic, actor, tags):
        self.calls.append(("question_asked", {"topic": topic, "actor": actor, "tags": tags}))

    @hookimpl
    def answer_accepted(self, post, actor):
        self.calls.append(("answer_accepted", {"post": post, "actor": actor}))

    @hookimpl
    def post_voted(self, post, actor, value, previous):
        self.calls.append(
            ("post_voted", {"post": post, "actor": actor, "value": value, "previous": previous})
        )

    @hookimpl
    def reputation_changed(self, user, entry, reputation):
        self.calls.append(("reputation_changed", {"user": user, "entry": entry, "reputation": reputation}))


@pytest.fixture
def events(app) -> QARecorder:
    recorder = QARecorder()
    plugin_manager(app).register(recorder)
    return recorder


@pytest.fixture
def asker(db):
    user = make_user(username="alice", display_name="Alice")
    db.session.commit()
    return user


@pytest.fixture
def helper(db):
    user = make_user(username="bob", display_name="Bob")
    db.session.commit()
    return user


@pytest.fixture
def voter(db):
    user = make_user(username="carol", display_name="Carol")
    db.session.commit()
    return user


@pytest.fixture
def qa(db):
    category = make_qa_category(name="Q&A", slug="qa-cat")
    db.session.commit()
    return category


@pytest.fixture
def qa_multi(db):
    category = make_qa_category(multiple_accepted=True, name="Q&A many", slug="qa-many")
    db.session.commit()
    return category


@pytest.fixture
def private_qa(db):
    """A Q&A category only mentors (and staff) can see or post in."""
    category = make_qa_category(
        name="Mentor Q&A",
        slug="mentor-qa",
        view_policy="mentor",
        topic_policy="mentor",
        reply_policy="mentor",
    )
    db.session.commit()
    return category
