"""Where the page cache's generations live: files on one host, or Redis counters.

A generation is any value that changes on every bump; entries remember the one they
were rendered under and are served only while it is unchanged.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from pathlib import Path

from redis.exceptions import RedisError

log = logging.getLogger("guildhall.pagecache")

GENERATION_FILE = "pagecache.generation"
VIEWERS_FOLDER = "pagecache.viewers"
ALL_VIEWERS = "all"
# Past this size a generation file is truncated; the inode/mtime still change.
MAX_GENERATION_FILE_BYTES = 64 * 1024

_MISSING = (0, 0, 0)


def _stat_generation(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _append_byte(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size >= MAX_GENERATION_FILE_BYTES:
            os.ftruncate(fd, 0)
        os.write(fd, b".")
    finally:
        os.close(fd)


class FileGenerations:
    """Generations as files in the instance folder: shared by the processes of one host."""

    def __init__(self, instance_path: str) -> None:
        self.path = Path(instance_path) / GENERATION_FILE
        self.viewers_path = Path(instance_path) / VIEWERS_FOLDER

    def prepare(self) -> None:
        self.viewers_path.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.bump_shared()

    def shared(self) -> tuple | None:
        return _stat_generation(self.path)

    def viewer(self, user_id: int) -> tuple | None:
        shared = _stat_generation(self.path)
        if shared is None:
            return None
        everyone = _stat_generation(self.viewers_path / ALL_VIEWERS) or _MISSING
        own = _stat_generation(self.viewers_path / str(user_id)) or _MISSING
        return (shared, everyone, own)

    def bump_shared(self) -> None:
        _append_byte(self.path)

    def bump_viewer(self, name: str) -> None:
        _append_byte(self.viewers_path / name)


class RedisGenerations:
    """Generations as Redis counters: shared by every host using the same Redis.

    When Redis cannot be read the cache stands aside (every request renders) and
    Redis is not asked again for a few seconds, so an outage costs neither an error
    page nor a time-out per request, and the log gets one line per outage.

    Two things keep a page from outliving an outage. A bump that cannot reach Redis is
    owed, and paid before this process next reads a generation from it, so every host
    sees the write once Redis is back. And every generation carries an *epoch*, a
    random token the first reader stores under ``<prefix>:epoch``: a Redis that comes
    back empty (restarted without persistence) gets a new one, so counters that start
    again from zero can never match an entry rendered before.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, url: str, prefix: str) -> None:
        # Optional dependency: only with a Redis page-cache store.
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.shared_key = f"{prefix}:shared"
        self.viewer_prefix = f"{prefix}:viewer:"
        self.epoch_key = f"{prefix}:epoch"
        self._down_until = 0.0
        self._down = False
        self._owed: set[str] = set()
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Nothing to create: a missing counter reads as 0."""

    def _failed(self, doing: str) -> None:
        with self._lock:
            first = not self._down
            self._down = True
            self._down_until = time.monotonic() + self.RETRY_SECONDS
        if first:
            log.warning(
                "page cache: Redis unreachable (%s); pages are rendered uncached for now",
                doing,
                exc_info=True,
            )

    def _pay_owed_bumps(self) -> None:
        with self._lock:
            owed, self._owed = self._owed, set()
        if not owed:
            return
        try:
            pipeline = self.client.pipeline(transaction=False)
            for key in sorted(owed):
                pipeline.incr(key)
            pipeline.execute()
        except BaseException:
            with self._lock:
                self._owed |= owed
            raise

    def _read(self, keys: list[str]) -> tuple | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            self._pay_owed_bumps()
            epoch, *values = self.client.mget([self.epoch_key, *keys])
            if epoch is None:
                self.client.set(self.epoch_key, secrets.token_hex(8), nx=True)
                epoch = self.client.get(self.epoch_key)
        except (RedisError, OSError):  # Redis down means "no cache", never an error page
            self._failed("reading a generation")
            return None
        if self._down:
            self._down = False
            log.warning("page cache: Redis answers again; caching resumes")
        return (epoch, *(int(value or 0) for value in values))

    def shared(self) -> tuple | None:
        return self._read([self.shared_key])

    def viewer(self, user_id: int) -> tuple | None:
        return self._read(
            [self.shared_key, self.viewer_prefix + ALL_VIEWERS, self.viewer_prefix + str(user_id)]
        )

    def _bump(self, key: str) -> None:
        """INCR ``key``, or owe it while Redis does not answer (never raises: the
        write that bumps has landed and must not fail)."""
        if time.monotonic() >= self._down_until:
            try:
                self.client.incr(key)
                return
            except (RedisError, OSError):
                self._failed("invalidating pages")
        with self._lock:
            self._owed.add(key)

    def bump_shared(self) -> None:
        self._bump(self.shared_key)

    def bump_viewer(self, name: str) -> None:
        self._bump(self.viewer_prefix + name)
