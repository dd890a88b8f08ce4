"""Chat presence and send limits when their Redis is down: this process's own sockets
and windows answer meanwhile, and Redis learns what changed once it is back."""

from __future__ import annotations

import logging

import redis
from limits import parse

from app.chat.presence import RETRY_SECONDS, MemoryRegistry, SharedRegistry, SharedSendLimit
from tests.live import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FlakyRegistry(MemoryRegistry):
    """Stands in for the Redis registry (other processes' sockets included); raises
    Redis's ConnectionError while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise redis.ConnectionError("Connection refused")

    def add(self, user_id: int, sid: str) -> bool:
        self._check()
        return super().add(user_id, sid)

    def remove(self, user_id: int, sid: str) -> bool:
        self._check()
        return super().remove(user_id, sid)

    def sids(self, user_id: int) -> list[str]:
        self._check()
        return super().sids(user_id)

    def online(self, user_ids: list[int]) -> set[int]:
        self._check()
        return super().online(user_ids)


def test_presence_answers_from_this_process_while_redis_is_down(caplog):
    shared, clock = FlakyRegistry(), Clock()
    registry = SharedRegistry(shared, clock=clock)
    shared.add(7, "sid-on-another-process")
    assert registry.add(1, "a") is True
    shared.down = True
    with caplog.at_level(logging.WARNING, logger="guildhall.chat"):
        assert registry.add(2, "b") is True  # connects, never raises
        assert registry.online([1, 2, 7]) == {1, 2}  # what this process holds
        assert registry.sids(2) == ["b"]
    assert "Redis unreachable" in caplog.text
    assert caplog.text.count("Redis unreachable") == 1  # one line per outage


def test_redis_is_left_alone_between_retries():
    shared, clock = FlakyRegistry(), Clock()
    registry = SharedRegistry(shared, clock=clock)
    shared.down = True
    registry.add(1, "a")
    calls = shared.calls
    for _ in range(5):
        registry.online([1])
    assert shared.calls == calls
    clock.now += RETRY_SECONDS
    registry.online([1])
    assert shared.calls == calls + 1


def test_when_redis_returns_it_learns_who_connected_and_left_meanwhile():
    shared, clock = FlakyRegistry(), Clock()
    registry = SharedRegistry(shared, clock=clock)
    registry.add(1, "left-during-outage")
    shared.down = True
    registry.add(2, "joined-during-outage")
    registry.remove(1, "left-during-outage")
    shared.down = False
    clock.now += RETRY_SECONDS
    shared.add(7, "sid-on-another-process")
    assert registry.online([1, 2, 7]) == {2, 7}
    assert shared.sids(1) == [] and shared.sids(2) == ["joined-during-outage"]


def test_chat_send_limit_counts_in_this_process_while_redis_is_down(caplog):
    limit = SharedSendLimit(
        f"redis://127.0.0.1:{free_port()}/0", parse("2 per minute"), "test", clock=Clock()
    )
    with caplog.at_level(logging.WARNING, logger="guildhall.chat"):
        assert [limit.hit(1) for _ in range(3)] == [True, True, False]
    assert limit.hit(2) is True
    assert "Redis unreachable" in caplog.text


def test_chat_send_limit_goes_back_to_redis_when_it_answers():
    class Limiter:
        down = True
        hits = 0

        def hit(self, *args) -> bool:
            if self.down:
                raise redis.ConnectionError("Connection refused")
            self.hits += 1
            return True

    clock = Clock()
    limit = SharedSendLimit(f"redis://127.0.0.1:{free_port()}/0", parse("5 per minute"), "test", clock=clock)
    limit.limiter = Limiter()
    assert limit.hit(1) is True and limit.limiter.hits == 0
    limit.limiter.down = False
    clock.now += RETRY_SECONDS
    assert limit.hit(1) is True and limit.limiter.hits == 1
    assert not limit.outage.down
