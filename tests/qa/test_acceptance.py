"""Accepted answers: by the asker or a moderator; one or several per category."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, NotFound, PermissionDenied
from app.extensions import db
from app.notifications.models import Notification
from app.qa import acceptance
from app.qa.models import QAAcceptedAnswer, QAReputationEvent
from app.qa.reputation import reputation_of
from tests.qa.conftest import answer, ask, count, first_post


def test_the_asker_accepts_an_answer(asker, helper, qa, events):
    post = answer(helper, ask(asker, qa))
    acceptance.accept_answer(asker, post)
    db.session.commit()
    assert acceptance.accepted_answer_ids(post.topic_id) == [post.id]
    assert (reputation_of(helper), reputation_of(asker)) == (15, 2)
    assert events.named("answer_accepted")[0]["post"].id == post.id


def test_accepting_on_someone_elses_question_is_refused(asker, helper, voter, qa):
    post = answer(helper, ask(asker, qa))
    with pytest.raises(PermissionDenied):
        acceptance.accept_answer(voter, post)
    with pytest.raises(PermissionDenied):
        acceptance.accept_answer(helper, post)
    db.session.rollback()
    assert (count(QAAcceptedAnswer), count(QAReputationEvent)) == (0, 0)


def test_moderators_may_accept(asker, helper, moderator, qa):
    post = answer(helper, ask(asker, qa))
    acceptance.accept_answer(moderator, post)
    db.session.commit()
    assert acceptance.accepted_answer_ids(post.topic_id) == [post.id]


def test_the_question_itself_cannot_be_accepted(asker, qa):
    topic = ask(asker, qa)
    with pytest.raises(NotFound):
        acceptance.accept_answer(asker, first_post(topic))


def test_accepting_twice_is_a_conflict(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    acceptance.accept_answer(asker, post)
    db.session.commit()
    with pytest.raises(Conflict):
        acceptance.accept_answer(asker, post)
    db.session.rollback()
    assert count(QAAcceptedAnswer) == 1 and reputation_of(helper) == 15


def test_single_accept_categories_replace_the_accepted_answer(asker, helper, voter, qa):
    topic = ask(asker, qa)
    first, second = answer(helper, topic), answer(voter, topic)
    acceptance.accept_answer(asker, first)
    acceptance.accept_answer(asker, second)
    db.session.commit()
    assert acceptance.accepted_answer_ids(topic.id) == [second.id]
    assert (reputation_of(helper), reputation_of(voter), reputation_of(asker)) == (0, 15, 2)


def test_several_accepted_answers_where_the_category_allows(asker, helper, voter, qa_multi):
    topic = ask(asker, qa_multi)
    first, second = answer(helper, topic), answer(voter, topic)
    acceptance.accept_answer(asker, first)
    acceptance.accept_answer(asker, second)
    db.session.commit()
    assert acceptance.accepted_answer_ids(topic.id) == [first.id, second.id]


def test_unaccept_reverses_the_reputation(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    acceptance.accept_answer(asker, post)
    acceptance.unaccept_answer(asker, post)
    db.session.commit()
    assert acceptance.accepted_answer_ids(post.topic_id) == []
    assert (reputation_of(helper), reputation_of(asker)) == (0, 0)
    with pytest.raises(Conflict):
        acceptance.unaccept_answer(asker, post)


def test_accepting_your_own_answer_earns_nothing(asker, qa):
    post = answer(asker, ask(asker, qa))
    acceptance.accept_answer(asker, post)
    db.session.commit()
    assert reputation_of(asker) == 0


def test_the_answerer_is_notified(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    acceptance.accept_answer(asker, post)
    db.session.commit()
    messages = list(
        db.session.scalars(sa.select(Notification.message).where(Notification.user_id == helper.id))
    )
    assert any("was accepted" in m for m in messages)
