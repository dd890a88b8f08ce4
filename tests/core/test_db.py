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
