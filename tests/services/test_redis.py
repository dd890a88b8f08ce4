"""Redis: rate limits and live-update fan-out shared between processes.

Production runs several app processes; a login limit kept in one process's memory
would multiply by the number of processes, and a chat message emitted in one process
must reach sockets held by another. Both go through Redis.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import socketio
from flask import Flask
from flask_socketio import SocketIO
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app import create_app
from app.extensions import db

pytestmark = pytest.mark.services

POLL_TIMEOUT = 5.0


def wait_for(predicate, timeout: float = POLL_TIMEOUT) -> bool:
    """Poll briefly until ``predicate()`` is true; pub/sub delivery is asynchronous."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_limits_storage_in_redis_is_shared_between_limiters(redis_url):
    limit = parse("3 per minute")
    key = f"guildhall-test-{uuid.uuid4().hex}"
    first = FixedWindowRateLimiter(storage_from_string(redis_url))
    second = FixedWindowRateLimiter(storage_from_string(redis_url))

    assert first.hit(limit, key)
    assert second.hit(limit, key)
    assert first.hit(limit, key)
    assert not second.hit(limit, key)


def _login_app(tmp_path: Path, redis_url: str, prefix: str) -> Flask:
    return create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'limits.sqlite'}",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_LIMIT="3 per minute",
    )


def _failed_login(application: Flask) -> int:
    response = application.test_client().post(
        "/login", data={"email": "nobody@example.com", "password": "wrong password"}
    )
    return response.status_code


def test_login_rate_limit_is_shared_by_two_app_instances(tmp_path, redis_url, redis_client):
    prefix = f"guildhall-test-{uuid.uuid4().hex}"
    first = _login_app(tmp_path, redis_url, prefix)
    second = None
    with first.app_context():
        db.create_all()
    try:
        assert [_failed_login(first) for _ in range(3)].count(429) == 0
        assert redis_client.keys(f"*{prefix}*"), "the limiter did not write to Redis"

        # A second instance has its own storage object and no memory of the first:
        # it can only know about the three attempts through Redis.
        second = _login_app(tmp_path, redis_url, prefix)
        assert _failed_login(second) == 429
    finally:
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)
        for application in (first, second):
            if application is not None:
                with application.app_context():
                    db.engine.dispose()


class RecordingRedisManager(socketio.RedisManager):
    """The receiving server's queue manager, recording what the queue delivers to it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.delivered: list[dict] = []

    def _handle_emit(self, message: dict) -> None:
        self.delivered.append(message)
        super()._handle_emit(message)


def test_socketio_message_queue_delivers_between_servers(redis_url, redis_client):
    channel = f"guildhall-test-{uuid.uuid4().hex}"
    manager = RecordingRedisManager(redis_url, channel=channel)
    receiver = socketio.Server(client_manager=manager, async_mode="threading")
    manager.initialize()  # starts the listener thread, as the first connection would
    # The listener subscribes asynchronously; publish only once it has.
    assert wait_for(lambda: dict(redis_client.pubsub_numsub(channel)).get(channel.encode(), 0) >= 1)

    # Another process's Flask-SocketIO, write-only, as app code uses it.
    emitter = SocketIO(message_queue=redis_url, channel=channel)
    emitter.emit("announcement", {"text": "hello from another process"}, namespace="/chat")

    assert wait_for(lambda: bool(manager.delivered))
    [message] = manager.delivered
    assert message["event"] == "announcement"
    assert message["data"] == [{"text": "hello from another process"}]
    assert message["namespace"] == "/chat"
    assert receiver.manager is manager
