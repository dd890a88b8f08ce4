"""Model base class, naming convention and transaction helpers.

The naming convention gives every constraint a stable name so Alembic can alter
them on SQLite (batch mode) and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC timestamp: SQLite keeps no zone, so we store UTC everywhere."""
    return datetime.now(UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


def in_id_batches(session: Session, model: Any, batch: int = 500, *options: Any) -> Iterator[list]:
    """Every row of ``model`` in id order, ``batch`` rows per query (keyset paging).

    Whole-table passes (search reindex, facet rebuild) use it so memory stays flat
    and each query stays an index range scan however large the table grows.
    """
    last_id = 0
    while True:
        rows = list(
            session.scalars(
                sa.select(model).where(model.id > last_id).order_by(model.id).limit(batch).options(*options)
            )
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


_AFTER_COMMIT_KEY = "guildhall_after_commit"
_AFTER_RELEASE_KEY = "guildhall_after_release"
# Callbacks of a committed transaction waiting for its connection to be returned.
_RELEASE_READY_KEY = "guildhall_after_release_ready"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction commits; drop it on rollback.

    Side effects that must not happen for a write that never lands (email, search
    indexing, socket broadcasts) go through here rather than running inline.
    """
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def after_commit_released(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction commits *and* its connection has
    gone back to the pool; drop it on rollback.

    For side effects that use the database themselves (search indexing). SQLAlchemy
    fires ``after_commit`` while the committed connection is still checked out, so a
    callback opening its own session there holds a second pooled connection: under
    load every thread then waits for a connection only another waiting thread can
    release, and the whole pool locks up. Run from here, a thread holds one at a time.
    """
    session.info.setdefault(_AFTER_RELEASE_KEY, []).append(callback)


def has_after_commit(session: Session) -> bool:
    """True when the current transaction has side effects waiting for its commit."""
    return bool(session.info.get(_AFTER_COMMIT_KEY) or session.info.get(_AFTER_RELEASE_KEY))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    # SQLAlchemy fires after_commit for a released SAVEPOINT too (begin_nested); the
    # outer transaction can still roll back, so wait for the real commit.
    if session.get_nested_transaction() is not None:
        return
    released = session.info.pop(_AFTER_RELEASE_KEY, None)
    if released:
        session.info[_RELEASE_READY_KEY] = released
    _run_callbacks(session.info.pop(_AFTER_COMMIT_KEY, []))


@event.listens_for(Session, "after_transaction_end")
def _run_after_release(session: Session, transaction) -> None:
    # Fired once the outermost transaction has closed and returned its connections;
    # only a committed one has left callbacks here (see _run_after_commit).
    if transaction.parent is None:
        _run_callbacks(session.info.pop(_RELEASE_READY_KEY, []))


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            logging.getLogger("guildhall").exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # only the outermost transaction
        session.info.pop(_AFTER_COMMIT_KEY, None)
        session.info.pop(_AFTER_RELEASE_KEY, None)


@event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: WAL so readers never wait for the writer, enforced foreign keys, and a
    busy timeout so concurrent writers queue instead of failing at once."""
    # Only on SQLite connections.
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def applies_to_dialect(schema_object: object, dialect_name: str) -> bool:
    """False for a schema object declared with ``ddl_if(dialect=...)`` for another
    database (e.g. PostgreSQL-only GIN indexes), so Alembic comparisons on SQLite do
    not ask for objects that are never created there."""
    condition = getattr(schema_object, "_ddl_if", None)
    wanted = getattr(condition, "dialect", None)
    if not wanted:
        return True
    return dialect_name in ((wanted,) if isinstance(wanted, str) else tuple(wanted))
