"""After-commit indexing with a durable retry queue.

Domain-event listeners (``app.search.hooks``) call :func:`enqueue` inside the
service's transaction: it adds ``search_pending`` rows to the same session, so the
intent to re-index commits (or rolls back) with the change itself, and registers one
drain for after the commit. :func:`drain` then, in its own session, takes the backend's
write lock, loads each key's *current* state from the database, writes the index and
deletes the rows it handled. If the index write fails the rows stay, with a growing
back-off, and are retried by the next drain: after the next commit, by the background
worker's ``search.retry-index-writes`` job (:func:`retry_pending_index_writes`), or by
``flask search reindex`` / ``flask search drain``. The database write is never touched
by an index failure.

One pooled connection per thread at a time: the drain runs in the committing thread
only once the commit has handed its connection back to the pool
(:func:`app.core.db.after_commit_released`), and the PostgreSQL backend writes through
the drain's own session, not a connection of its own. A thread that held its
connection while asking for another made concurrent requests wait on each other until
the pool timed out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Organization, User
from app.core.db import after_commit_released, utcnow
from app.extensions import db
from app.forums.models import Post, Topic
from app.search import documents
from app.search.backend import IndexWriter, get_backend
from app.search.models import SearchPending

log = logging.getLogger("guildhall.search")
_SESSION_KEYS = "guildhall_search_keys"
DRAIN_BATCH = 200
MAX_BACKOFF = 3600


# --- enqueueing (inside the caller's transaction) ------------------------------------


def enqueue(*keys: str, payload: dict | None = None) -> None:
    """Record that ``keys`` must be re-indexed once this transaction commits.

    The row is added to the caller's session, so it commits or rolls back with the
    change it describes. A key queued earlier in the same transaction is not queued
    twice, unless that row is gone: a rolled-back SAVEPOINT discards the rows added in
    it, and the change retried after it must still leave its row.
    """
    session = db.session()
    transaction = session.get_transaction()
    marker = session.info.get(_SESSION_KEYS)
    if marker is None or marker[0] is not transaction:
        # First key of this transaction (a rolled-back one leaves a stale marker).
        marker = (transaction, {})
        session.info[_SESSION_KEYS] = marker
        after_commit_released(session, _drain_after_commit(current_app._get_current_object()))
    queued: dict[str, SearchPending] = marker[1]
    for key in keys:
        if not key:
            continue
        row = queued.get(key)
        if row is not None and payload is None and row in session:
            continue
        row = SearchPending(key=key[:200], payload=payload)
        queued[key] = row
        session.add(row)


def enqueue_document(doc: dict) -> None:
    """Index ``doc`` (the ``search_documents`` dict) after commit; features and plug-ins
    reach it through the ``search_document_changed`` hook."""
    kind, ident = str(doc.get("kind") or ""), str(doc.get("id") or "")
    enqueue(f"doc:{kind}:{ident}", payload=_jsonable(doc))


def enqueue_removal(kind: str, ident: Any) -> None:
    """Remove a document after commit (the ``search_document_removed`` hook)."""
    enqueue(f"doc:{kind}:{ident}", payload={"remove": True})


def _jsonable(doc: dict) -> dict:
    out = dict(doc)
    for name in ("created_at", "updated_at"):
        if hasattr(out.get(name), "isoformat"):
            out[name] = out[name].isoformat()
    return out


def _drain_after_commit(app: Flask):
    def run() -> None:
        session = db.session()
        session.info.pop(_SESSION_KEYS, None)
        if app.config.get("SEARCH_INDEX_AFTER_COMMIT", True):
            drain(app)

    return run


# --- draining ---------------------------------------------------------------------------


@dataclass
class DrainResult:
    indexed: int = 0
    removed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def drain(app: Flask | None = None, limit: int = DRAIN_BATCH, *, force: bool = False) -> DrainResult:
    """Apply due pending rows (all rows when ``force``). Never raises.

    Call it with no connection checked out by this thread's other sessions (after a
    commit, before a request's first query): it takes one of its own.
    """
    app = app or current_app._get_current_object()
    # A fresh app context gives a fresh ``db.session``, so the caller's objects and
    # transaction are left alone, and hook implementations (Q&A tags, plug-ins) that
    # read through ``db.session`` read in the drain's session.
    with app.app_context():
        session = db.session()
        try:
            return _drain(app, session, limit, force)
        except Exception as error:  # the queue itself unreadable (database down): keep it
            log.exception("search: could not read the queue of index changes")
            session.rollback()
            return DrainResult(errors=[f"{error.__class__.__name__}: {error}"])
        finally:
            session.close()


def _due_rows(session: Session, limit: int, force: bool) -> list[sa.Row]:
    query = sa.select(SearchPending.id, SearchPending.key, SearchPending.payload).order_by(SearchPending.id)
    if not force:
        query = query.where(SearchPending.next_attempt_at <= utcnow())
    return list(session.execute(query.limit(limit)).all())


def _drain(app: Flask, session: Session, limit: int, force: bool) -> DrainResult:
    result = DrainResult()
    rows = _due_rows(session, limit, force)
    # End the read transaction: documents are loaded fresh inside the write lock.
    session.rollback()
    if not rows:
        return result
    backend = get_backend(app)
    try:
        with backend.writer() as writer:
            if backend.transactional:
                # The lock is held now: rows another drain handled while this one
                # waited for it are gone, so they are not written twice.
                still = set(session.scalars(sa.select(SearchPending.id).where(_ids_in(rows))))
                rows = [row for row in rows if row[0] in still]
            for _row_id, key, payload in rows:
                indexed, removed = apply_key(session, writer, key, payload)
                result.indexed += indexed
                result.removed += removed
            if backend.transactional:
                # The index lives in this database: its rows and the queue's commit together.
                session.execute(sa.delete(SearchPending).where(_ids_in(rows)))
            else:
                session.rollback()  # end the read before the index commits
    except Exception as error:
        log.exception("search index write failed; %d change(s) kept for retry", len(rows))
        session.rollback()
        _postpone(session, [row[0] for row in rows], error)
        return DrainResult(failed=len(rows), errors=[f"{error.__class__.__name__}: {error}"])
    if not backend.transactional and rows:
        session.execute(sa.delete(SearchPending).where(_ids_in(rows)))
        session.commit()
    return result


def _ids_in(rows: list[sa.Row]) -> sa.ColumnElement[bool]:
    return SearchPending.id.in_([row[0] for row in rows])


def _postpone(session: Session, ids: list[int], error: Exception) -> None:
    try:
        for pending in session.scalars(sa.select(SearchPending).where(SearchPending.id.in_(ids))):
            pending.attempts += 1
            delay = min(2 ** min(pending.attempts, 12), MAX_BACKOFF)
            pending.next_attempt_at = utcnow() + timedelta(seconds=delay)
            pending.last_error = f"{error.__class__.__name__}: {error}"[:2000]
        session.commit()
    except Exception:
        session.rollback()
        log.exception("could not record the search retry")


def apply_key(session: Session, writer: IndexWriter, key: str, payload: dict | None) -> tuple[int, int]:
    """Write the current database state of ``key``; returns (indexed, removed)."""
    kind, _, ident = key.partition(":")
    if kind == "doc":
        doc_key = ident
        if payload is None or payload.get("remove"):
            writer.delete(doc_key)
            return 0, 1
        doc = documents.plugin_document(_parse_dates(payload))
        if doc is None:
            log.warning("dropped an invalid plug-in search document %s", doc_key)
            return 0, 0
        writer.upsert(doc)
        return 1, 0
    if not ident.isdigit():
        return 0, 0
    number = int(ident)
    if kind in ("topic", "tree"):
        return _apply_topic(session, writer, number, with_replies=kind == "tree")
    if kind == "post":
        post = session.get(Post, number)
        if post is None:
            writer.delete(key)
            return 0, 1
        if post.number == 1:
            return _apply_topic(session, writer, post.topic_id, with_replies=False)
        writer.upsert(documents.post_document(post, post.topic))
        return 1, 0
    if kind == "user":
        user = session.get(User, number)
        if user is None:
            writer.delete(key)
            return 0, 1
        writer.upsert(documents.member_document(user))
        return 1, 0
    if kind == "org":
        org = session.get(Organization, number)
        if org is None:
            writer.delete(key)
            return 0, 1
        writer.upsert(documents.organization_document(org))
        return 1, 0
    if kind == "category":
        total = 0
        topic_ids = session.scalars(sa.select(Topic.id).where(Topic.category_id == number)).all()
        for topic_id in topic_ids:
            total += _apply_topic(session, writer, topic_id, with_replies=True)[0]
        return total, 0
    log.warning("unknown search key %r", key)
    return 0, 0


def _apply_topic(session: Session, writer: IndexWriter, topic_id: int, with_replies: bool) -> tuple[int, int]:
    topic = session.get(Topic, topic_id)
    if topic is None:
        writer.delete(f"topic:{topic_id}")
        return 0, 1
    query = sa.select(Post).where(Post.topic_id == topic_id).options(selectinload(Post.author))
    if not with_replies:
        query = query.where(Post.number == 1)
    docs = documents.topic_documents(topic, list(session.scalars(query)))
    for doc in docs:
        writer.upsert(doc)
    return len(docs), 0


def _parse_dates(payload: dict) -> dict:
    out = dict(payload)
    for name in ("created_at", "updated_at"):
        if isinstance(out.get(name), str):
            try:
                out[name] = datetime.fromisoformat(out[name])
            except ValueError:
                out[name] = None
    return out


# --- retry by the background worker -------------------------------------------------------


class IndexRetryFailed(RuntimeError):
    """Queued index changes could not be written; the worker records the run as failed."""


def retry_pending_index_writes(app: Flask) -> None:
    """Drain rows left by a failed index write (or by a process killed between its
    commit and its drain). The ``search.retry-index-writes`` periodic job, run by the
    background worker (``app.jobs``) every ``SEARCH_RETRY_SECONDS``: no request waits
    for it. Raises when the index still refused the changes, so the run shows as failed
    in ``flask jobs list`` and the metrics; the rows keep their own back-off.
    """
    result = drain(app)
    if result.failed or result.errors:
        raise IndexRetryFailed(f"{result.failed} change(s) kept for retry: {'; '.join(result.errors)[:500]}")
