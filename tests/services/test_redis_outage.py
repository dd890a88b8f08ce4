# ruff: noqa: S310 - loopback URLs built by the test itself
"""A Redis outage degrades the site instead of breaking it, and it recovers unaided.

Two ``flask run-server`` processes share one SQLite file and a ``redis-server`` this
test starts on a spare port for rate limits (``RATELIMIT_STORAGE_URI``), the Socket.IO
queue (``SOCKETIO_MESSAGE_QUEUE``, chat presence and send limits) and the page cache
(``PAGE_CACHE_REDIS_URL``). With Redis stopped mid-run, signing in, replying and chat
on one process keep working and ``/readyz`` names what is down; once Redis is started
again (empty, as after a restart without persistence), rate limits, cross-process
chat, presence and the page cache use it again, without restarting anything.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
import redis

from app import create_app
from app.extensions import db
from tests.factories import PASSWORD, make_topic, make_user
from tests.live import Listener, free_port, healthy, wait_for
from tests.services.conftest import unavailable
from tests.services.test_chat_redis import start_server

pytestmark = pytest.mark.services

RECOVERY = 90.0  # Flask-Limiter retries a dead storage after up to 32 s; the queue listener after up to 60 s


class RedisServer:
    """A private ``redis-server`` on a spare loopback port, without persistence."""

    def __init__(self, executable: str, port: int) -> None:
        self.executable = executable
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=2)
        self.process: subprocess.Popen | None = None

    def _answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        command = [
            self.executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(self._answers, timeout=20), "redis-server did not start"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        assert not self._answers()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    executable = shutil.which("redis-server")
    if executable is None:
        unavailable("redis-server is not installed: the Redis outage test starts its own")
    server = RedisServer(executable, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Browser:
    """A signed-in browser: a cookie jar that follows the server's Set-Cookie headers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str):
        try:
            return self.opener.open(self.base + path, timeout=30)
        except urllib.error.HTTPError as error:
            return error

    def post(self, path: str, fields: dict):
        data = urllib.parse.urlencode(fields).encode()
        try:
            return self.opener.open(self.base + path, data=data, timeout=30)
        except urllib.error.HTTPError as error:
            return error

    def csrf_token(self, path: str) -> str:
        html = self.get(path).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def sign_in(self, email: str) -> int:
        """Sign in through the real form; the status of the final page."""
        token = self.csrf_token("/login")
        return self.post("/login", {"csrf_token": token, "email": email, "password": PASSWORD}).status

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def _status(base: str, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _json(data: bytes) -> dict:
    import json

    try:
        return json.loads(data)
    except ValueError:
        return {}


def _reaches(sender: Listener, receiver: Listener, room_id: int, label: str) -> bool:
    """Send fresh messages from ``sender`` until one reaches ``receiver`` (pub/sub keeps
    nothing for a listener that has not subscribed again yet)."""
    deadline = time.monotonic() + RECOVERY
    n = 0
    while time.monotonic() < deadline:
        n += 1
        body = f"{label} {n}"
        assert sender.send(room_id, body, f"{label}-{n}").get("ok")
        if wait_for(lambda body=body: any(m["body"] == body for m in receiver.messages), timeout=2):
            return True
    return False


def test_a_redis_outage_degrades_sign_in_posting_and_chat_then_recovers(tmp_path, own_redis):
    unique = uuid.uuid4().hex
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'outage.sqlite'}",
        "SECRET_KEY": "redis-outage-test-secret-key-0123456789abcdef",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": own_redis.url,
        "RATELIMIT_KEY_PREFIX": f"limits-{unique}",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "POST_RATE_LIMIT": "1000 per minute",
        "SOCKETIO_MESSAGE_QUEUE": own_redis.url,
        "SOCKETIO_CHANNEL": f"channel-{unique}",
        "CHAT_REDIS_PREFIX": f"chat-{unique}",
        "CHAT_RATE_LIMIT": "1000 per second",
        "CHAT_PRESENCE_INTERVAL": 0.0,
        "PAGE_CACHE_SECONDS": 300,
        "PAGE_CACHE_REDIS_URL": own_redis.url,
        "PAGE_CACHE_REDIS_PREFIX": f"pages-{unique}",
        # The database below is made by create_all, never stamped by Alembic: readiness
        # here is about Redis, not about migrations (tests/observability/test_readiness.py has those).
        "READYZ_MIGRATIONS": False,
    }
    instance = tmp_path / "instance"
    # The schema and people, from an app in this process given the database only:
    # Flask-Limiter's one limiter keeps the first key prefix any app gave it.
    setup = create_app(
        "testing", instance_path=str(instance), SQLALCHEMY_DATABASE_URI=config["SQLALCHEMY_DATABASE_URI"]
    )
    with setup.app_context():
        from app.chat import channels

        db.create_all()
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        topic = make_topic(author=alice, title="Outage topic")
        room = channels.create_channel(alice, "Outage room", kind="private")
        channels.invite_member(alice, room, bob)
        db.session.commit()
        room_id, alice_id = room.id, alice.id
        topic_path = f"/t/{topic.id}-{topic.slug}"
        reply_path = f"/t/{topic.id}/reply"
        db.engine.dispose()

    bases = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    servers = [start_server(config, int(base.rsplit(":", 1)[1]), instance) for base in bases]
    listeners: list[Listener] = []
    try:
        for base in bases:
            assert wait_for(lambda base=base: healthy(base), timeout=90), f"server at {base} did not start"
        first_alice, bob_browser = Browser(bases[0]), Browser(bases[1])
        assert first_alice.sign_in("alice@example.com") == 200
        assert bob_browser.sign_in("bob@example.com") == 200
        on_first = Listener(bases[0], first_alice.cookie)
        on_second = Listener(bases[1], bob_browser.cookie)
        listeners += [on_first, on_second]
        assert _reaches(on_first, on_second, room_id, "before")
        assert _status(bases[0], "/readyz")[0] == 200

        own_redis.stop()

        # Signing in: the login rate limit counts in memory now.
        during = Browser(bases[0])
        assert during.sign_in("alice@example.com") == 200
        assert "session=" in during.cookie
        # Replying: the posting limit counts in memory, the page cache stands aside.
        token = during.csrf_token(topic_path)
        answer = during.post(reply_path, {"csrf_token": token, "body": "Written while Redis was down."})
        assert answer.status == 200 and answer.geturl().startswith(bases[0] + "/t/")
        assert "Written while Redis was down." in during.get(topic_path).read().decode()
        # Chat: a socket still connects, and a message reaches this process's sockets.
        during_socket = Listener(bases[0], during.cookie)
        listeners.append(during_socket)
        sent = during_socket.send(room_id, "chat while Redis is down", "during-1")
        assert sent.get("ok"), sent
        assert wait_for(lambda: any(m["body"] == "chat while Redis is down" for m in on_first.messages))
        # Readiness names each Redis use; liveness does not care.
        status, body = _status(bases[0], "/readyz")
        assert status == 503
        assert {"redis.ratelimit", "redis.socketio", "redis.pagecache"} <= set(body["down"])
        assert "database" not in body["down"]
        assert _status(bases[0], "/healthz")[0] == 200

        own_redis.start()  # empty: no persistence

        for base in bases:
            assert wait_for(lambda base=base: _status(base, "/readyz")[0] == 200, timeout=RECOVERY)
        # Chat crosses processes again once each queue listener has subscribed again.
        assert _reaches(on_first, on_second, room_id, "after")
        # The sockets that connected during the outage are written back to Redis.
        sids_key = f"chat-{unique}:sids:{alice_id}"

        def presence_written_back() -> bool:
            during_socket.client.call("presence", {"channel_id": room_id}, namespace="/chat", timeout=10)
            return during_socket.client.get_sid("/chat").encode() in own_redis.client.smembers(sids_key)

        assert wait_for(presence_written_back, timeout=RECOVERY)
        # Rate limits count in Redis again.

        def limits_in_redis() -> bool:
            visitor = Browser(bases[0])
            token = visitor.csrf_token("/login")
            visitor.post("/login", {"csrf_token": token, "email": "nobody@example.com", "password": "wrong"})
            return bool(own_redis.client.keys(f"*limits-{unique}*"))

        assert wait_for(limits_in_redis, timeout=RECOVERY)
        # The page cache: the bump owed by the outage's reply is paid, and pages are
        # cached again, showing that reply.
        reader = Browser(bases[1])

        def cached_again() -> bool:
            response = reader.get(topic_path)
            return response.headers.get("X-Page-Cache") == "hit"

        assert wait_for(cached_again, timeout=RECOVERY)
        assert "Written while Redis was down." in reader.get(topic_path).read().decode()
        assert own_redis.client.get(f"pages-{unique}:epoch")
        # The first process pays the invalidation its reply owed once it reads Redis again.
        during.get(topic_path)
        assert int(own_redis.client.get(f"pages-{unique}:shared") or 0) >= 1
    finally:
        for listener in listeners:
            listener.close()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        with setup.app_context():
            db.engine.dispose()
