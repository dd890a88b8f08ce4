"""The page cache's Redis generations through an outage: no cache meanwhile, no lost
invalidation afterwards, and no stale page after Redis comes back empty."""

from __future__ import annotations

import redis

from app.core.pagecache import RedisGenerations


class FakeRedis:
    """The few commands the generations use, in memory; ConnectionError while down."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise redis.ConnectionError("Connection refused")

    def mget(self, keys):
        self._check()
        return [self.data.get(key) for key in keys]

    def get(self, key):
        self._check()
        return self.data.get(key)

    def set(self, key, value, nx=False):
        self._check()
        if nx and key in self.data:
            return None
        self.data[key] = str(value).encode()
        return True

    def incr(self, key):
        self._check()
        self.data[key] = str(int(self.data.get(key, b"0")) + 1).encode()
        return int(self.data[key])

    def pipeline(self, transaction=True):
        return FakePipeline(self)


class FakePipeline:
    def __init__(self, client: FakeRedis) -> None:
        self.client = client
        self.keys: list[str] = []

    def incr(self, key):
        self.keys.append(key)

    def execute(self):
        return [self.client.incr(key) for key in self.keys]


def _store() -> tuple[RedisGenerations, FakeRedis]:
    store = RedisGenerations("redis://127.0.0.1:1/0", "test")
    store.client = FakeRedis()
    store.RETRY_SECONDS = 0.0  # try Redis again on the next call
    return store, store.client


def test_reads_give_no_generation_while_redis_is_down_and_bumps_do_not_raise():
    store, client = _store()
    assert store.shared() is not None
    client.down = True
    assert store.shared() is None and store.viewer(3) is None
    store.bump_shared()
    store.bump_viewer("3")  # owed, not raised


def test_a_bump_lost_to_the_outage_is_paid_when_redis_answers_again():
    store, client = _store()
    before = store.viewer(3)
    client.down = True
    store.bump_shared()
    store.bump_viewer("3")
    client.down = False
    after = store.viewer(3)
    assert after != before
    assert client.data["test:shared"] == b"1" and client.data["test:viewer:3"] == b"1"


def test_a_redis_that_comes_back_empty_never_matches_an_older_generation():
    store, client = _store()
    client.incr("test:shared")
    before = store.shared()
    client.data.clear()  # restarted without persistence
    client.incr("test:shared")  # the counter is back where it was
    assert store.shared() != before


def test_the_outage_is_logged_once(caplog):
    store, client = _store()
    client.down = True
    for _ in range(3):
        store.shared()
        store.bump_shared()
    assert caplog.text.count("Redis unreachable") == 1
