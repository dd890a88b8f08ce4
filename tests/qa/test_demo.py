"""The Q&A part of ``flask seed-demo``: a Q&A category with questions, tags, votes and
an accepted answer, consistent with the ledger, and idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.forums.models import Category, Topic
from app.qa import acceptance, questions
from app.qa.models import QACategory, QAReputationEvent, QATopicTag, QAVote
from app.qa.reputation import reputation_of


def _counts(db) -> tuple[int, ...]:
    models = (QACategory, Topic, QAVote, QATopicTag, QAReputationEvent)
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models)


def test_seed_demo_adds_qa_once(runner, db):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = _counts(db)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(db) == first
    category = db.session.scalar(sa.select(Category).where(Category.slug == "questions"))
    assert db.session.get(QACategory, category.id) is not None
    alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
    listed = questions.list_questions(alice, "newest")
    assert 4 <= listed.total <= 5
    solved = questions.list_questions(alice, "solved").items
    assert solved and acceptance.accepted_answer_ids(solved[0].id)
    mentor = db.session.scalar(sa.select(User).where(User.username == "mentor"))
    assert reputation_of(mentor) > 0
