"""``core.db.after_commit``: side effects run once the outermost transaction commits."""

from __future__ import annotations

import sqlalchemy as sa

from app.core.db import after_commit


def test_after_commit_runs_on_commit_not_on_a_released_savepoint(db):
    ran: list[str] = []
    db.session.execute(sa.text("SELECT 1"))
    after_commit(db.session, lambda: ran.append("outer"))
    with db.session.begin_nested():
        after_commit(db.session, lambda: ran.append("inner"))
    assert ran == []  # the outer transaction could still roll back
    db.session.commit()
    assert ran == ["outer", "inner"]


def test_after_commit_callbacks_are_dropped_on_rollback(db):
    ran: list[str] = []
    db.session.execute(sa.text("SELECT 1"))
    with db.session.begin_nested():
        after_commit(db.session, lambda: ran.append("inner"))
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_after_commit_released_runs_once_the_connection_is_back_in_the_pool(db):
    """A callback that opens its own session (search indexing) must not run while the
    committed connection is still checked out: every thread would then hold two."""
    from app.core.db import after_commit_released

    pool = db.engine.pool
    seen: dict[str, int] = {}
    db.session.execute(sa.text("SELECT 1"))
    checked_out = pool.checkedout()
    after_commit(db.session, lambda: seen.setdefault("after_commit", pool.checkedout()))
    after_commit_released(db.session, lambda: seen.setdefault("released", pool.checkedout()))
    db.session.commit()
    assert seen == {"after_commit": checked_out, "released": checked_out - 1}


def test_after_commit_released_waits_for_the_outer_commit_and_is_dropped_on_rollback(db):
    from app.core.db import after_commit_released, has_after_commit

    ran: list[str] = []
    db.session.execute(sa.text("SELECT 1"))
    with db.session.begin_nested():
        after_commit_released(db.session, lambda: ran.append("kept"))
    assert ran == [] and has_after_commit(db.session)
    db.session.commit()
    assert ran == ["kept"]
    db.session.execute(sa.text("SELECT 1"))
    after_commit_released(db.session, lambda: ran.append("dropped"))
    db.session.rollback()
    db.session.commit()
    assert ran == ["kept"] and not has_after_commit(db.session)
