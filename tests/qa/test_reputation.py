"""The reputation ledger: append-only, reversed on retraction and deletion,
re-applied on restore, fires reputation_changed, and points come from settings."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.forums import services as forums
from app.qa import acceptance, votes
from app.qa.models import QAReputationEvent
from app.qa.reputation import has_privilege, reputation_of
from app.qa.settings import update_settings
from tests.qa.conftest import answer, ask, first_post, grant_reputation


def ledger() -> list[QAReputationEvent]:
    return list(db.session.scalars(sa.select(QAReputationEvent).order_by(QAReputationEvent.id)))


def test_retracting_a_vote_appends_a_reversal(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    votes.vote(asker, post, 1)
    votes.vote(asker, post, 0)
    db.session.commit()
    rows = ledger()
    assert [(r.kind, r.points) for r in rows] == [("answer_upvoted", 10), ("answer_upvoted", -10)]
    assert rows[1].reversal_of == rows[0].id and rows[1].reason == "vote_changed"


def test_deleting_an_answer_reverses_its_events_and_restoring_reapplies(asker, helper, voter, qa):
    post = answer(helper, ask(asker, qa))
    votes.vote(asker, post, 1)
    votes.vote(voter, post, 1)
    acceptance.accept_answer(asker, post)
    db.session.commit()
    assert reputation_of(helper) == 35
    forums.delete_post(helper, post)
    db.session.commit()
    assert (reputation_of(helper), reputation_of(asker)) == (0, 0)
    forums.restore_post(helper, post)
    db.session.commit()
    assert (reputation_of(helper), reputation_of(asker)) == (35, 2)
    forums.delete_post(helper, post)
    forums.restore_post(helper, post)
    db.session.commit()
    assert reputation_of(helper) == 35


def test_deleting_the_question_takes_its_answers_reputation(asker, helper, voter, qa):
    topic = ask(asker, qa)
    post = answer(helper, topic)
    votes.vote(voter, post, 1)
    votes.vote(voter, first_post(topic), 1)
    db.session.commit()
    forums.delete_post(asker, first_post(topic))
    db.session.commit()
    assert (reputation_of(helper), reputation_of(asker)) == (0, 0)
    forums.restore_post(asker, first_post(topic))
    db.session.commit()
    assert (reputation_of(helper), reputation_of(asker)) == (10, 5)


def test_retracting_after_a_deletion_does_not_reverse_twice(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    votes.vote(asker, post, 1)
    forums.delete_post(helper, post)
    forums.restore_post(helper, post)
    votes.vote(asker, post, 0)
    db.session.commit()
    assert reputation_of(helper) == 0


def test_every_ledger_row_fires_reputation_changed(asker, helper, qa, events):
    post = answer(helper, ask(asker, qa))
    votes.vote(asker, post, 1)
    db.session.commit()
    fired = events.named("reputation_changed")
    assert [(e["user"].id, e["entry"].points, e["reputation"]) for e in fired] == [(helper.id, 10, 10)]


def test_points_come_from_admin_settings(asker, helper, admin, qa):
    update_settings(admin, {"points_answer_upvoted": 7})
    post = answer(helper, ask(asker, qa))
    votes.vote(asker, post, 1)
    db.session.commit()
    assert reputation_of(helper) == 7


def test_privileges_follow_thresholds(helper, moderator, admin):
    assert not has_privilege(helper, "threshold_close")
    grant_reputation(helper, 250)
    assert has_privilege(helper, "threshold_close")
    update_settings(admin, {"threshold_close": 500})
    assert not has_privilege(helper, "threshold_close")
    assert has_privilege(moderator, "threshold_edit_others")
