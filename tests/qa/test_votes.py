"""Votes: one per user per post, changeable, retractable, never on your own post."""

from __future__ import annotations

import pytest

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.forums import services as forums
from app.qa import votes
from app.qa.models import QAReputationEvent, QAVote
from app.qa.reputation import reputation_of
from tests.factories import make_category, make_topic
from tests.qa.conftest import answer, ask, count, first_post, grant_reputation


def test_upvote_counts_and_fires_post_voted(asker, helper, qa, events):
    question = first_post(ask(asker, qa))
    assert votes.vote(helper, question, 1) == 1
    db.session.commit()
    assert votes.scores([question.id]) == {question.id: 1}
    assert events.named("post_voted")[0]["value"] == 1


def test_voting_the_same_way_twice_is_refused_and_writes_nothing(asker, helper, qa):
    question = first_post(ask(asker, qa))
    votes.vote(helper, question, 1)
    db.session.commit()
    before = (count(QAVote), count(QAReputationEvent))
    with pytest.raises(Conflict, match="already voted"):
        votes.vote(helper, question, 1)
    db.session.rollback()
    assert (count(QAVote), count(QAReputationEvent)) == before
    assert votes.score_of(question.id) == 1


def test_votes_change_and_retract(asker, helper, qa):
    grant_reputation(asker, 100)
    post = answer(helper, ask(asker, qa))
    assert votes.vote(asker, post, 1) == 1
    assert votes.vote(asker, post, -1) == -1
    assert votes.vote(asker, post, 0) == 0
    db.session.commit()
    assert count(QAVote) == 0
    with pytest.raises(Conflict):
        votes.vote(asker, post, 0)


def test_never_on_your_own_post(asker, qa):
    question = first_post(ask(asker, qa))
    with pytest.raises(PermissionDenied, match="own post"):
        votes.vote(asker, question, 1)
    db.session.rollback()
    assert count(QAVote) == 0


def test_downvoting_needs_reputation(asker, helper, qa):
    question = first_post(ask(asker, qa))
    with pytest.raises(PermissionDenied, match="reputation to downvote"):
        votes.vote(helper, question, -1)
    db.session.rollback()
    grant_reputation(helper, 15)
    db.session.commit()
    assert votes.vote(helper, question, -1) == -1


def test_bad_values_are_refused(asker, helper, qa):
    question = first_post(ask(asker, qa))
    for raw in ("2", "", "upp", None):
        with pytest.raises(Invalid):
            votes.parse_value(raw)
    with pytest.raises(Invalid):
        votes.vote(helper, question, 5)
    assert votes.parse_value("UP") == 1 and votes.parse_value("none") == 0


def test_no_votes_on_plain_forum_topics(asker, helper, db):
    topic = make_topic(author=asker, category=make_category())
    db.session.commit()
    with pytest.raises(NotFound):
        votes.vote(helper, first_post(topic), 1)


def test_no_votes_on_deleted_posts(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    forums.delete_post(helper, post)
    db.session.commit()
    with pytest.raises((Conflict, NotFound)):
        votes.vote(asker, post, 1)


def test_outsiders_cannot_vote_on_restricted_questions(mentor, helper, private_qa):
    question = first_post(ask(mentor, private_qa))
    with pytest.raises(NotFound):
        votes.vote(helper, question, 1)
    db.session.rollback()
    assert count(QAVote) == 0


def test_vote_reputation_follows_the_vote(asker, helper, voter, qa):
    grant_reputation(voter, 15)
    post = answer(helper, ask(asker, qa))
    votes.vote(voter, post, 1)
    assert reputation_of(helper) == 10
    votes.vote(voter, post, -1)
    assert (reputation_of(helper), reputation_of(voter)) == (-2, 14)
    votes.vote(voter, post, 0)
    db.session.commit()
    assert (reputation_of(helper), reputation_of(voter)) == (0, 15)


def test_question_upvotes_are_worth_less_than_answer_upvotes(asker, helper, qa):
    question = first_post(ask(asker, qa))
    votes.vote(helper, question, 1)
    db.session.commit()
    assert reputation_of(asker) == 5


def test_my_votes_are_reported(asker, helper, qa):
    question = first_post(ask(asker, qa))
    votes.vote(helper, question, 1)
    assert votes.votes_by(helper, [question.id]) == {question.id: 1}
    assert votes.votes_by(asker, [question.id]) == {}
