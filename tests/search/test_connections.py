"""Indexing never makes a thread hold two pooled connections at once.

With ``SEARCH_BACKEND=postgres``, twenty members replying at the same moment locked
the pool: each request held its connection while its after-commit indexing asked for
another (the drain's session, and the PostgreSQL writer's ``engine.begin()``), so
every thread waited for a connection only another waiting thread could release. These
tests count, per thread, the connections checked out of the pool (SQLAlchemy's
``checkout``/``checkin`` pool events) on both backends; the 40-thread version on
PostgreSQL is ``tests/services/test_postgres_pool.py``.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.forums import services as forums
from app.search.models import SearchPending
from tests.pool import watching


def pending_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(SearchPending))


def test_a_reply_and_its_indexing_hold_one_pooled_connection_at_a_time(
    app, db, client, login_as, member, category, keys
):
    """Someone else's reply: the topic's author is notified too (and their live
    unread count is counted after the commit), as under real concurrent posting."""
    from tests.factories import make_user

    topic = forums.create_topic(member, category, "Pool topic", "Opening post")
    replier = make_user()
    db.session.commit()
    login_as(replier)
    db.session.commit()  # nothing checked out when the request starts, as in production
    with watching(db.engine) as watch:
        response = client.post(f"/t/{topic.id}/reply", data={"body": "A quokkaword reply"})
    assert response.status_code in (302, 303)
    assert watch.most == 1
    assert len(keys(member, "quokkaword")) == 1 and pending_count(db) == 0


def test_a_drain_reads_and_writes_the_index_through_one_connection(app, db, member, category, keys):
    from app.search.indexing import drain

    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False  # leave the row for the drain below
    topic = forums.create_topic(member, category, "Drained", "numbatword")
    db.session.commit()
    with watching(db.engine) as watch:
        result = drain(app)
    assert result.indexed == 1 and result.failed == 0
    assert watch.most == 1
    assert keys(member, "numbatword") == {f"topic:{topic.id}"}


def test_the_retry_job_ends_the_workers_read_before_draining(app, db, runner, member, category, keys):
    """The worker's session may hold a read (its claim, an earlier job); the retry job's
    drain must not run beside that open transaction."""
    app.config["SEARCH_INDEX_AFTER_COMMIT"] = False
    topic = forums.create_topic(member, category, "Retried", "wombatword")
    db.session.commit()
    db.session.scalar(sa.select(sa.func.count()).select_from(SearchPending))  # an earlier read
    with watching(db.engine) as watch:
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert watch.most == 1
    assert keys(member, "wombatword") == {f"topic:{topic.id}"} and pending_count(db) == 0


def test_a_rebuild_holds_one_connection_until_it_has_committed(app, db, member, category, reindex):
    forums.create_topic(member, category, "Rebuilt", "bilbyword")
    db.session.commit()
    with watching(db.engine) as watch:
        counts = reindex()
    assert counts["topic"] == 1
    assert watch.most == 1
