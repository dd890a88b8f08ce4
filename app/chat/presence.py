"""Who is connected: socket ids per user, and the per-user send rate limit.

One process keeps both in memory. With ``SOCKETIO_MESSAGE_QUEUE=redis://…`` several
processes serve sockets, so both move to that Redis: a user's socket ids are a set
(``<prefix>:sids:<user_id>``) that every process adds to and removes from, and any
process can then remove that user's sockets from a room or disconnect them (the
Socket.IO queue carries the request to the process holding each socket). The rate
limit is a moving window in the same Redis, so ten processes do not allow ten times
the rate.

Multi-process caveat: a process that dies without running its disconnect handlers
leaves its socket ids in Redis. They only make someone look online (the ids no longer
exist, so room operations on them do nothing); each set expires ``SID_TTL`` after the
user's last connect.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

EXTENSION_KEY = "guildhall_chat"
DEFAULT_RATE_LIMIT = "10 per 10 seconds"
SID_TTL = 24 * 60 * 60


class MemoryRegistry:
    """Socket ids per user for one process."""

    def __init__(self) -> None:
        self._sids: dict[int, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def add(self, user_id: int, sid: str) -> bool:
        """Record a socket; True when it is the user's first (they came online)."""
        with self._lock:
            first = not self._sids[user_id]
            self._sids[user_id].add(sid)
            return first

    def remove(self, user_id: int, sid: str) -> bool:
        """Forget a socket; True when it was the user's last (they went offline)."""
        with self._lock:
            sids = self._sids.get(user_id)
            if not sids or sid not in sids:
                return False
            sids.discard(sid)
            if not sids:
                del self._sids[user_id]
                return True
            return False

    def sids(self, user_id: int) -> list[str]:
        with self._lock:
            return sorted(self._sids.get(user_id, ()))

    def online(self, user_ids: list[int]) -> set[int]:
        with self._lock:
            return {user_id for user_id in user_ids if self._sids.get(user_id)}


class RedisRegistry:
    """Socket ids per user shared by every process through Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._prefix = prefix

    def _key(self, user_id: int) -> str:
        return f"{self._prefix}:sids:{user_id}"

    def add(self, user_id: int, sid: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.sadd(self._key(user_id), sid)
        pipe.expire(self._key(user_id), SID_TTL)
        pipe.scard(self._key(user_id))
        _, _, count = pipe.execute()
        return count == 1

    def remove(self, user_id: int, sid: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.srem(self._key(user_id), sid)
        pipe.scard(self._key(user_id))
        removed, count = pipe.execute()
        return bool(removed) and count == 0

    def sids(self, user_id: int) -> list[str]:
        return sorted(member.decode() for member in self._redis.smembers(self._key(user_id)))

    def online(self, user_ids: list[int]) -> set[int]:
        if not user_ids:
            return set()
        pipe = self._redis.pipeline()
        for user_id in user_ids:
            pipe.scard(self._key(user_id))
        return {user_id for user_id, count in zip(user_ids, pipe.execute(), strict=True) if count}


class MemorySendLimit:
    """The per-user moving window for one process: each user's last ``amount`` send times.

    ``limits``' in-memory storage starts a timer thread on almost every hit to expire
    old entries; on the send path of a busy server that thread start waited for the GIL
    behind hundreds of delivery threads. A bounded deque per user needs no expiry.
    """

    MAX_USERS = 10_000  # past this many tracked users, forget those idle for a window

    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self.amount = item.amount
        self.window = float(item.get_expiry())
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, user_id: int) -> bool:
        """Count one send; False (and not counted) when ``amount`` fell in the window."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(user_id)
            if hits is None:
                if len(self._hits) >= self.MAX_USERS:
                    self._forget_idle(now)
                hits = self._hits[user_id] = deque(maxlen=self.amount)
            if len(hits) >= self.amount and now - hits[0] < self.window:
                return False
            hits.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        idle = [user_id for user_id, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]
        for user_id in idle:
            del self._hits[user_id]


class PresenceBatcher:
    """Coalesces presence changes: at most one ``presence`` event per room per interval.

    Telling a room about every connect at once made N clients joining one room cost
    N² deliveries (40,000 at 200 clients) before anyone said a word. Changes now wait
    up to ``interval`` seconds and leave as one event per room carrying each user's
    latest state, so a quick reconnect cancels out. ``interval <= 0`` sends each
    change at once (tests, and anyone who prefers that). The flushing thread exists
    only while changes are pending.
    """

    def __init__(self, interval: float, emit: Callable[[int, list[dict]], None]) -> None:
        self.interval = interval
        self._emit = emit
        self._pending: dict[int, dict[int, bool]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def change(self, channel_id: int, user_id: int, online: bool) -> None:
        if self.interval <= 0:
            self._emit(channel_id, [{"user_id": user_id, "online": online}])
            return
        with self._lock:
            self._pending.setdefault(channel_id, {})[user_id] = online
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chat-presence", daemon=True)
                self._thread.start()

    def flush(self) -> int:
        """Send what is pending now; returns the number of events sent."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for channel_id, changes in pending.items():
            self._emit(channel_id, [{"user_id": u, "online": online} for u, online in changes.items()])
        return len(pending)

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()
            with self._lock:
                if not self._pending:
                    self._thread = None
                    return


class ChatState:
    """Per-application chat runtime state (never global: one per ``create_app``)."""

    def __init__(self, app: Flask) -> None:
        queue = app.config.get("SOCKETIO_MESSAGE_QUEUE") or ""
        prefix = (
            app.config.get("CHAT_REDIS_PREFIX")
            or f"guildhall-chat:{app.config.get('SOCKETIO_CHANNEL') or ''}"
        )
        shared = queue.startswith(("redis://", "rediss://", "unix://"))
        self.registry: MemoryRegistry | RedisRegistry = (
            RedisRegistry(queue, prefix) if shared else MemoryRegistry()
        )
        self.rate_limit = parse(app.config.get("CHAT_RATE_LIMIT") or DEFAULT_RATE_LIMIT)
        self.rate_prefix = prefix
        self.limiter: MovingWindowRateLimiter | None = (
            MovingWindowRateLimiter(storage_from_string(queue)) if shared else None
        )
        self.memory_limit = None if shared else MemorySendLimit(self.rate_limit)
        # A write-only emitter set by processes that hold no sockets (the CLI).
        self.emitter: Any = None
        self.presence = PresenceBatcher(
            float(app.config.get("CHAT_PRESENCE_INTERVAL", 1.0)), self._emit_presence
        )

    def _emit_presence(self, channel_id: int, changes: list[dict]) -> None:
        # Runs on the batcher's thread, outside any app context: no current_app here.
        from app.chat.live import NAMESPACE, channel_room
        from app.extensions import socketio

        payload = {"channel_id": channel_id, "changes": changes}
        (self.emitter or socketio).emit("presence", payload, to=channel_room(channel_id), namespace=NAMESPACE)

    def allow_send(self, user_id: int) -> bool:
        """Count one message against the user's window; False when over the limit."""
        if self.memory_limit is not None:
            return self.memory_limit.hit(user_id)
        return self.limiter.hit(self.rate_limit, self.rate_prefix, "send", str(user_id))


def init_app(app: Flask) -> ChatState:
    state = ChatState(app)
    app.extensions[EXTENSION_KEY] = state
    return state


def state() -> ChatState:
    return current_app.extensions[EXTENSION_KEY]
