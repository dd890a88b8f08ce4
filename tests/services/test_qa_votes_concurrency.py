"""Fifty parallel votes: from one user they count once, from fifty users fifty.

Runs on whatever database the suite uses: SQLite by default, PostgreSQL under
``make test-services`` (``TEST_DATABASE_URL``). Each thread has its own app context,
session and connection, and all start together at a barrier.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core.errors import Conflict
from app.extensions import db
from app.forums.models import Post
from app.qa import votes
from app.qa.models import QACategory, QAReputationEvent, QAVote
from app.qa.reputation import reputation_of
from tests.factories import make_category, make_topic, make_user

THREADS = 50
# Enough connections for every thread to hold one, like fifty concurrent requests.
POOL = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": THREADS, "pool_timeout": 60}


def _question(db):
    category = make_category()
    db.session.add(QACategory(category_id=category.id))
    author = make_user()
    topic = make_topic(author=author, category=category)
    db.session.commit()
    post = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    return post.id, author.id


def _run_votes(app, post_id: int, voter_ids: list[int]) -> tuple[int, list[BaseException]]:
    barrier = threading.Barrier(len(voter_ids))
    lock = threading.Lock()
    outcome = {"ok": 0}
    errors: list[BaseException] = []

    def cast(user_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # before touching the pool: no thread holds a connection
                actor = db.session.get(User, user_id)
                post = db.session.get(Post, post_id)
                votes.vote(actor, post, 1)
                db.session.commit()
                with lock:
                    outcome["ok"] += 1
            except Conflict:
                db.session.rollback()
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                db.session.rollback()
                with lock:
                    errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast, args=(uid,)) for uid in voter_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcome["ok"], errors


def _counts(post_id: int, author_id: int) -> tuple[int, int, int, int]:
    db.session.expire_all()
    events = db.session.scalar(
        sa.select(sa.func.count()).select_from(QAReputationEvent).where(QAReputationEvent.post_id == post_id)
    )
    votes_ = db.session.scalar(
        sa.select(sa.func.count()).select_from(QAVote).where(QAVote.post_id == post_id)
    )
    return votes_, votes.score_of(post_id), events, reputation_of(db.session.get(User, author_id))


@pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS=POOL)
def test_fifty_parallel_votes_from_one_user_count_once(app, db):
    post_id, author_id = _question(db)
    voter = make_user()
    db.session.commit()
    ok, errors = _run_votes(app, post_id, [voter.id] * THREADS)
    assert errors == []
    assert ok == 1
    assert _counts(post_id, author_id) == (1, 1, 1, 5)


@pytest.mark.app_config(SQLALCHEMY_ENGINE_OPTIONS=POOL)
def test_fifty_parallel_votes_from_fifty_users_count_fifty(app, db):
    post_id, author_id = _question(db)
    voters = [make_user() for _ in range(THREADS)]
    db.session.commit()
    ok, errors = _run_votes(app, post_id, [v.id for v in voters])
    assert errors == []
    assert ok == THREADS
    assert _counts(post_id, author_id) == (THREADS, THREADS, THREADS, 5 * THREADS)
