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

When that Redis is down, chat degrades to the process instead of failing: each process
also keeps its own sockets in memory (:class:`SharedRegistry`) and its own send window
(:class:`SharedSendLimit`), answers from them while Redis does not, and tries Redis
again every ``RETRY_SECONDS``. When Redis answers again the process writes back the
sockets that connected or left meanwhile, so other processes see them again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from app.extensions import socketio

EXTENSION_KEY = "guildhall_chat"
DEFAULT_RATE_LIMIT = "10 per 10 seconds"
SID_TTL = 24 * 60 * 60
# After a failure, Redis is left alone this long: an outage costs one failed call per
# pause, not one per event (each could wait for a connect timeout).
RETRY_SECONDS = 5.0
# A Redis host that does not answer costs one short wait.
REDIS_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
log = logging.getLogger("guildhall.chat")


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

    def snapshot(self) -> dict[int, list[str]]:
        """Every user's socket ids, copied."""
        with self._lock:
            return {user_id: sorted(sids) for user_id, sids in self._sids.items() if sids}


class RedisRegistry:
    """Socket ids per user shared by every process through Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        # Optional dependency: only with a Redis presence store.
        import redis

        self._redis = redis.Redis.from_url(url, **REDIS_OPTIONS)
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


class RedisOutage:
    """Whether a Redis-backed helper should try Redis now, and one log line per outage.

    ``failed()`` starts (or extends) a pause of ``retry_seconds``; ``succeeded()`` ends
    an outage and says whether there was one (so the caller can write back what it
    kept locally meanwhile).
    """

    def __init__(
        self, what: str, retry_seconds: float = RETRY_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self.what = what
        self.retry_seconds = retry_seconds
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._down

    def should_try(self) -> bool:
        return not self._down or self._clock() >= self._retry_at

    def failed(self) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._retry_at = self._clock() + self.retry_seconds
        if first:
            log.warning(
                "chat: Redis unreachable; %s in this process only until it answers", self.what, exc_info=True
            )

    def succeeded(self) -> bool:
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.warning("chat: Redis answers again; %s shared again", self.what)
        return was_down


class SharedRegistry:
    """The Redis registry, with this process's own sockets also kept in memory.

    While Redis answers, it is the truth (it also holds other processes' sockets).
    While it does not, presence, room changes and disconnects work for this process's
    sockets — chat degrades to the local process instead of refusing connections.
    When it answers again, the sockets that connected meanwhile are added back and
    those that left meanwhile are removed, before the call that found it back.
    """

    def __init__(self, shared: RedisRegistry, clock: Callable[[], float] = time.monotonic) -> None:
        self.shared = shared
        self.local = MemoryRegistry()
        self.outage = RedisOutage("presence is tracked", clock=clock)
        self._left_meanwhile: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def _shared_call(self, call: Callable[[], Any]) -> tuple[bool, Any]:
        """(True, result) when Redis answered, (False, None) when it is down."""
        if not self.outage.should_try():
            return False, None
        try:
            if self.outage.down:
                self._write_back()
            result = call()
        except (RedisError, OSError):
            self.outage.failed()
            return False, None
        self.outage.succeeded()
        return True, result

    def _write_back(self) -> None:
        """Tell Redis what changed in this process while it was away."""
        with self._lock:
            left, self._left_meanwhile = self._left_meanwhile, set()
        try:
            for user_id, sid in left:
                self.shared.remove(user_id, sid)
            for user_id, sids in self.local.snapshot().items():
                for sid in sids:
                    self.shared.add(user_id, sid)
        except BaseException:
            with self._lock:
                self._left_meanwhile |= left
            raise

    def add(self, user_id: int, sid: str) -> bool:
        first_here = self.local.add(user_id, sid)
        answered, first = self._shared_call(lambda: self.shared.add(user_id, sid))
        return first if answered else first_here

    def remove(self, user_id: int, sid: str) -> bool:
        last_here = self.local.remove(user_id, sid)
        answered, last = self._shared_call(lambda: self.shared.remove(user_id, sid))
        if answered:
            return last
        with self._lock:
            self._left_meanwhile.add((user_id, sid))
        return last_here

    def sids(self, user_id: int) -> list[str]:
        answered, sids = self._shared_call(lambda: self.shared.sids(user_id))
        return sids if answered else self.local.sids(user_id)

    def online(self, user_ids: list[int]) -> set[int]:
        answered, online = self._shared_call(lambda: self.shared.online(user_ids))
        return online if answered else self.local.online(user_ids)


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


class SharedSendLimit:
    """The per-user send window in Redis (shared by every process), falling back to
    this process's own window while Redis does not answer."""

    def __init__(
        self, url: str, item: RateLimitItem, prefix: str, clock: Callable[[], float] = time.monotonic
    ):
        self.item = item
        self.prefix = prefix
        self.limiter = MovingWindowRateLimiter(storage_from_string(url, **REDIS_OPTIONS))
        self.local = MemorySendLimit(item)
        self.outage = RedisOutage("chat send limits are counted", clock=clock)

    def hit(self, user_id: int) -> bool:
        if self.outage.should_try():
            try:
                allowed = self.limiter.hit(self.item, self.prefix, "send", str(user_id))
            except (RedisError, OSError, StorageError):
                self.outage.failed()
            else:
                self.outage.succeeded()
                return allowed
        return self.local.hit(user_id)


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
        self.registry: MemoryRegistry | SharedRegistry = (
            SharedRegistry(RedisRegistry(queue, prefix)) if shared else MemoryRegistry()
        )
        self.rate_limit = parse(app.config.get("CHAT_RATE_LIMIT") or DEFAULT_RATE_LIMIT)
        self.send_limit: MemorySendLimit | SharedSendLimit = (
            SharedSendLimit(queue, self.rate_limit, prefix) if shared else MemorySendLimit(self.rate_limit)
        )
        # A write-only emitter set by processes that hold no sockets (the CLI).
        self.emitter: Any = None
        self.presence = PresenceBatcher(
            float(app.config.get("CHAT_PRESENCE_INTERVAL", 1.0)), self._emit_presence
        )

    def _emit_presence(self, channel_id: int, changes: list[dict]) -> None:
        # Runs on the batcher's thread, outside any app context: no current_app here.
        from app.chat.live import NAMESPACE, channel_room

        payload = {"channel_id": channel_id, "changes": changes}
        (self.emitter or socketio).emit("presence", payload, to=channel_room(channel_id), namespace=NAMESPACE)

    def allow_send(self, user_id: int) -> bool:
        """Count one message against the user's window; False when over the limit."""
        return self.send_limit.hit(user_id)


def init_app(app: Flask) -> ChatState:
    state = ChatState(app)
    app.extensions[EXTENSION_KEY] = state
    return state


def state() -> ChatState:
    return current_app.extensions[EXTENSION_KEY]
