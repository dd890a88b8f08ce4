"""Counting the pooled connections each thread holds, with SQLAlchemy's public pool
events (``checkout``/``checkin``): a request path must never hold two at once, or
concurrent requests can lock the pool up waiting for each other."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event


class ConnectionWatch:
    """The most connections any one thread held at once while the watch was on."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        # Connections checked out before the watch started belong to this thread: the
        # tests run single-threaded up to here.
        self.held: Counter[int] = Counter({threading.get_ident(): engine.pool.checkedout()})
        self.most = self.held[threading.get_ident()]

    def _checkout(self, *args: object) -> None:
        with self.lock:
            thread = threading.get_ident()
            self.held[thread] += 1
            self.most = max(self.most, self.held[thread])

    def _checkin(self, *args: object) -> None:
        with self.lock:
            self.held[threading.get_ident()] -= 1


@contextmanager
def watching(engine: sa.Engine) -> Iterator[ConnectionWatch]:
    watch = ConnectionWatch(engine)
    event.listen(engine, "checkout", watch._checkout)
    event.listen(engine, "checkin", watch._checkin)
    try:
        yield watch
    finally:
        event.remove(engine, "checkout", watch._checkout)
        event.remove(engine, "checkin", watch._checkin)
