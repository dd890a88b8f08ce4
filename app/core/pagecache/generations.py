"""Where the page cache's generations live: files on one host, or Redis counters.

A generation is any value that changes on every bump; entries remember the one they
were rendered under and are served only while it is unchanged.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

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
    page nor a time-out per request, and the log gets one line per pause.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self.shared_key = f"{prefix}:shared"
        self.viewer_prefix = f"{prefix}:viewer:"
        self._down_until = 0.0

    def prepare(self) -> None:
        """Nothing to create: a missing counter reads as 0."""

    def _read(self, keys: list[str]) -> tuple | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            return tuple(int(value or 0) for value in self.client.mget(keys))
        except Exception:  # Redis down means "no cache", never an error page
            self._down_until = time.monotonic() + self.RETRY_SECONDS
            log.warning("page cache: Redis unreachable; pages are rendered uncached for now", exc_info=True)
            return None

    def shared(self) -> tuple | None:
        return self._read([self.shared_key])

    def viewer(self, user_id: int) -> tuple | None:
        return self._read(
            [self.shared_key, self.viewer_prefix + ALL_VIEWERS, self.viewer_prefix + str(user_id)]
        )

    def bump_shared(self) -> None:
        self.client.incr(self.shared_key)

    def bump_viewer(self, name: str) -> None:
        self.client.incr(self.viewer_prefix + name)
