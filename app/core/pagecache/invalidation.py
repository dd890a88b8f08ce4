"""Which commits bump which generation: SQLAlchemy session events sort every
written row into "only its owner sees it" or "anyone may see it"."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.core.pagecache.generations import ALL_VIEWERS
from app.core.pagecache.store import EXTENSION_KEY

# Tables whose rows only some members' pages show (their read markers, notifications,
# header counts), and the column naming the member; ``None``: a writer names the
# members with the ``pagecache_users`` execution option, or every viewer is bumped.
# Writing them bumps those members' viewer generations, never the shared one. Features
# add their own tables with :func:`register_viewer_table`.
USER_OWNED_TABLES: dict[str, str | None] = {
    "forum_topic_read": "user_id",
    "notification": "user_id",
    "notification_preference": "user_id",
    "notification_kind_preference": "user_id",
    "auth_token": "user_id",
}


def register_viewer_table(table: str, owner_column: str | None) -> None:
    """Declare that rows of ``table`` show only on the pages of the member in
    ``owner_column`` (or of members each write names), so writing one must not
    invalidate anyone else's cached pages."""
    USER_OWNED_TABLES[table] = owner_column


# Tables no cached page shows (queues the site keeps for itself, read only by uncached
# admin pages and workers): writing them bumps no generation at all. Features add
# their own with :func:`register_bookkeeping_table`.
BOOKKEEPING_TABLES: set[str] = set()


def register_bookkeeping_table(table: str) -> None:
    """Declare that no cached page shows rows of ``table``, so a commit that writes
    only such rows (a queued email being sent) invalidates nothing."""
    BOOKKEEPING_TABLES.add(table)


# Columns updated on reads (counters, presence): an update touching only these does not
# bump; cached pages may show them up to PAGE_CACHE_SECONDS old.
IGNORED_COLUMNS = frozenset({("user_account", "last_seen_at"), ("forum_topic", "view_count")})

_DIRTY_KEY = "guildhall_pagecache_dirty"
_VIEWERS_KEY = "guildhall_pagecache_viewers"


def has_pending_writes(session: Session) -> bool:
    """True when this session has written something anyone's page could show."""
    return bool(session.info.get(_DIRTY_KEY))


def _table_of(instance: object) -> str | None:
    return getattr(getattr(instance, "__table__", None), "name", None)


def _note_owner(session: Session, table: str, instance: object) -> None:
    column = USER_OWNED_TABLES[table]
    # The loaded state only: a deleted or expired row must not trigger a load here.
    owner = inspect(instance).dict.get(column) if column else None
    session.info.setdefault(_VIEWERS_KEY, set()).add(ALL_VIEWERS if owner is None else owner)


def _is_relevant(instance: object, dirty: bool) -> bool:
    table = _table_of(instance)
    if table is None or table in USER_OWNED_TABLES or table in BOOKKEEPING_TABLES:
        return False
    if not dirty:
        return True
    state = inspect(instance)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    if not changed:
        return False
    return any((table, name) not in IGNORED_COLUMNS for name in changed)


def _note_rows(session: Session, rows: Any, dirty: bool) -> None:
    """Sort written rows: a viewer table's row names its owner, any other row makes
    the commit bump the shared generation."""
    for obj in rows:
        table = _table_of(obj)
        if table in USER_OWNED_TABLES:
            _note_owner(session, table, obj)
        elif not session.info.get(_DIRTY_KEY) and _is_relevant(obj, dirty=dirty):
            session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "before_flush")
def _note_dirty_before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    # Attribute histories are reset by the flush, so dirty rows are judged here;
    # new and deleted rows are judged again after the flush (autoflush adds some late).
    _note_rows(session, session.dirty, dirty=True)


@event.listens_for(Session, "after_flush")
def _note_written_rows(session: Session, flush_context: Any) -> None:
    _note_rows(session, (*session.new, *session.deleted), dirty=False)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_statements(state: Any) -> None:
    """``session.execute(update(...))`` bypasses the unit of work; catch it here.

    On a user-owned table the statement names its members with the
    ``pagecache_users`` execution option; without it, every viewer is bumped. A
    text statement that writes names its table with ``pagecache_table`` (its SQL is
    not inspected).
    """
    named = state.execution_options.get("pagecache_table")
    if not (named or state.is_update or state.is_delete or state.is_insert):
        return
    table = named or getattr(getattr(state.statement, "table", None), "name", None)
    if table in BOOKKEEPING_TABLES:
        return
    if table in USER_OWNED_TABLES:
        users = state.execution_options.get("pagecache_users")
        state.session.info.setdefault(_VIEWERS_KEY, set()).update(
            users if users is not None else [ALL_VIEWERS]
        )
        return
    state.session.info[_DIRTY_KEY] = True


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    # SQLAlchemy fires after_commit for a released SAVEPOINT too; bumping then would
    # let another request cache the old data under the new generation before the
    # outer transaction lands, so wait for the real commit.
    if session.get_nested_transaction() is not None:
        return
    dirty = session.info.pop(_DIRTY_KEY, False)
    viewers = session.info.pop(_VIEWERS_KEY, None)
    if not (dirty or viewers) or not has_app_context():
        return
    cache = current_app.extensions.get(EXTENSION_KEY)
    if cache is None or not cache.enabled:
        return
    if dirty:
        cache.bump()  # every entry, signed-in ones included
    elif viewers:
        cache.bump_viewers(viewers)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_DIRTY_KEY, None)
        session.info.pop(_VIEWERS_KEY, None)
