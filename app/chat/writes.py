"""Group commit for one process's chat sends.

Every Socket.IO event runs in its own thread. In a busy room each send's write (a
few statements and a COMMIT) ran one at a time under the namespace's write lock, and
at every statement the writing thread waited for the GIL behind the room's delivery
threads: at 200 members a process stored at most 25–40 messages a second, whatever
the CPU had left. Here sends that arrive while a write is in progress queue up, and
the next writer stores the whole queue in one transaction (``messages.store_batch``:
a handful of statements whatever the batch's size, one COMMIT), so under load the
batches grow instead of the queue.

The writer is one of the waiting senders ("leader"), in its own app context, session
and database connection (already checked out for its reads: a send never takes a
second one, and nobody waits for the pool while the write lock is held). The other
senders of the batch ("followers") sleep until their outcome is set; each gets its
own answer. A follower first in line (the one woken to write next) keeps its
connection; the others give theirs back while they wait (their sessions only read),
so a queue of sends does not drain the pool that new sends need for their reads. Once a batch is committed, the first
sender that queued meanwhile is woken to write the next one, while this writer
broadcasts: the next batch's statements overlap this one's fan-out. Broadcasts still
leave in id order: a writer takes the broadcast turn (``emit_turn``) before it lets go
of the write lock, and drafts stored alone broadcast holding it too. Only plain values
cross threads: drafts in, ``Stored`` payloads or exceptions out, never another
session's objects.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from app.chat import messages
from app.chat.messages import Draft, Stored
from app.extensions import db

log = logging.getLogger("guildhall.chat")

Outcome = Stored | BaseException


class WriteFailed(RuntimeError):
    """A batch's writer stopped before settling this draft (never expected)."""


class _Waiter:
    """One queued draft and the sender thread waiting for its outcome."""

    __slots__ = ("draft", "outcome", "turn")

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.outcome: Outcome | None = None
        # Set when the outcome is known, or (outcome still None) when this sender is
        # to write the next batch.
        self.turn = threading.Event()

    def settle(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.turn.set()

    def result(self) -> Stored:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        assert self.outcome is not None
        return self.outcome


class WriteQueue:
    """Stores batchable drafts (``messages.batchable``) by group commit.

    ``lock`` is the namespace's write lock: a batch is written under it, as is every
    draft stored alone. ``emit_turn`` orders the broadcasts: taken under ``lock``
    right after a commit and held until that commit's messages are broadcast, so
    they leave in the order they were stored.
    """

    MAX_BATCH = 100  # drafts per transaction; also bounds the INSERT's size

    def __init__(self, lock: threading.Lock) -> None:
        self.lock = lock
        self.emit_turn = threading.Lock()
        self._mutex = threading.Lock()  # guards the two fields below, never held long
        self._pending: list[_Waiter] = []
        self._writing = False  # a leader is writing or about to

    def store(self, actor: Any, draft: Draft) -> Stored:
        """Store a prepared send and commit it: batched with other senders' drafts when
        it can be (``messages.batchable``), otherwise alone, in turn."""
        if messages.batchable(draft):
            return self.submit(draft)
        return self._store_alone(actor, draft)

    def _store_alone(self, actor: Any, draft: Draft) -> Stored:
        """A draft that joins a room or mentions people: its own transaction, in turn.

        Its broadcast runs in the commit, so the commit waits for the broadcast turn:
        a batch committed before it may still be broadcasting.
        """
        with self.lock:
            message, created = messages.store_message(actor, draft)
            stored = Stored(messages.serialize(message), created)
            with self.emit_turn:
                db.session.commit()  # inside the lock: the write ends here
        return stored

    def submit(self, draft: Draft) -> Stored:
        """Store ``draft`` (alone or in a batch with other senders') and commit it.

        Raises what storing it raised (``NotFound``, ``Conflict``, a database error),
        for this draft only.
        """
        waiter = _Waiter(draft)
        with self._mutex:
            self._pending.append(waiter)
            leads = not self._writing
            self._writing = True
            first_in_line = len(self._pending) == 1
        if not leads:
            if not first_in_line:
                db.session.rollback()  # reads only (messages.batchable): give the connection back
            waiter.turn.wait()
        if waiter.outcome is None:
            self._lead()
        return waiter.result()

    def pending(self) -> int:
        """Drafts queued and not yet taken by a writer (for tests and diagnostics)."""
        with self._mutex:
            return len(self._pending)

    def _lead(self) -> None:
        """Write everything queued (this sender's draft first) as one batch, wake the
        next writer if more queued meanwhile, broadcast, and settle each outcome."""
        batch: list[_Waiter] = []
        outcomes: list[Outcome] = []
        stored: list[dict] = []  # committed messages, collected after the commit
        turn = handed_over = False
        try:
            with self.lock:
                with self._mutex:
                    batch = self._pending[: self.MAX_BATCH]
                    del self._pending[: self.MAX_BATCH]
                outcomes = write_batch([waiter.draft for waiter in batch], stored.extend)
                self.emit_turn.acquire()
                turn = True
            self._hand_over()
            handed_over = True
            _broadcast(stored)
        finally:
            if turn:
                self.emit_turn.release()
            # Whatever happened, no sender may be left waiting.
            for index, waiter in enumerate(batch):
                waiter.settle(outcomes[index] if index < len(outcomes) else WriteFailed())
            if not handed_over:
                self._hand_over()

    def _hand_over(self) -> None:
        with self._mutex:
            following = self._pending[0] if self._pending else None
            self._writing = following is not None
        if following is not None:
            following.turn.set()  # its outcome is still None: it writes the next batch


def _broadcast(payloads: list[dict]) -> None:
    try:
        messages.broadcast_new_messages(payloads)
    except Exception:  # stored and committed: a failed emit must not fail the sends
        log.exception("broadcasting %d chat messages failed", len(payloads))


def write_batch(drafts: list[Draft], deliver: Callable[[list[dict]], None]) -> list[Outcome]:
    """Store ``drafts`` in one transaction and commit it; one outcome per draft, and
    the stored messages handed to ``deliver`` once committed, in id order.

    If the transaction fails as a whole, nothing of it was stored or delivered (the
    rollback drops the after-commit callbacks), and the drafts are stored one by
    one, so that one bad draft fails alone. A failure is not logged here: it is
    re-raised in its sender's thread, whose event handler logs it.
    """
    try:
        return _write(drafts, deliver)
    except Exception as error:
        db.session.rollback()
        if len(drafts) == 1:
            return [error]
        log.warning("a batch of %d chat messages failed; storing them one by one", len(drafts), exc_info=True)
    outcomes: list[Outcome] = []
    for draft in drafts:
        try:
            outcomes.extend(_write([draft], deliver))
        except Exception as error:  # noqa: BLE001 - re-raised in its sender's thread
            db.session.rollback()
            outcomes.append(error)
    return outcomes


def _write(drafts: list[Draft], deliver: Callable[[list[dict]], None]) -> list[Outcome]:
    outcomes: list[Outcome] = list(messages.store_batch(drafts, deliver))
    db.session.commit()
    return outcomes
