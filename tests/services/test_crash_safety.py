# ruff: noqa: S310 - loopback URLs built by the test itself
"""Crash safety: a server killed with SIGKILL mid-write loses no acknowledged write.

A ``flask run-server`` process on a SQLite file (WAL) takes a stream of writes from
four clients at once: new topics and replies (HTML forms), Q&A votes (fetch/JSON)
and chat messages (Socket.IO with acknowledgements). Once enough writes have been
acknowledged the server gets SIGKILL - no shutdown handler runs. After a restart,
every write the server acknowledged must be in the database: a 2xx, the
post-redirect-get 302 a form sends only after its commit, or a chat ``ok`` answer.
The file must pass ``PRAGMA integrity_check``, and once the queued index changes are
applied (``flask worker --once`` when the job worker exists, else ``flask search
drain``) ``flask search check`` must agree with the database.

Writes that were in flight at the kill may or may not have landed; only the
acknowledged ones are promised. No service is needed, but the test runs processes
for minutes, so it is marked ``services`` and runs in ``make test-services`` (or with
``GUILDHALL_CRASH_TEST=1``).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.forums.models import Post
from app.qa import questions
from app.qa.models import QACategory
from app.search import rebuild
from tests.factories import PASSWORD, make_category, make_user
from tests.live import Listener, app_spec, free_port, healthy, wait_for
from tests.services.conftest import services_required
from tests.services.test_chat_redis import start_server

pytestmark = [
    pytest.mark.services,
    # Minutes of real processes: part of `make test-services` (and CI), not of `make test`.
    pytest.mark.skipif(
        not services_required() and os.environ.get("GUILDHALL_CRASH_TEST") != "1",
        reason="the crash-safety test runs in `make test-services` (or with GUILDHALL_CRASH_TEST=1)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
ACKNOWLEDGED_PER_STREAM = 10  # writes each stream has had acknowledged before the kill
QUESTIONS = 60  # posts bob may vote on, one vote each


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One signed-in member over HTTP, redirects not followed (a 302 is the form's answer)."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        token = self.token("/login")
        status, _ = self.post("/login", {"csrf_token": token, "email": email, "password": PASSWORD})
        assert status in (200, 302, 303), status
        self.csrf = self.token("/new-topic")

    def token(self, path: str) -> str:
        html = self.opener.open(self.base + path, timeout=30).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def post(self, path: str, fields: dict, headers: dict | None = None) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(fields).encode(), headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def acknowledged(status: int) -> bool:
    return 200 <= status < 300 or status in (302, 303)


class WriteLog:
    """What each stream was told; shared by the writer threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.topics: list[str] = []
        self.replies: list[str] = []
        self.votes: list[int] = []
        self.chat: list[tuple[int, str]] = []
        self.refused: list[str] = []

    def total(self) -> int:
        with self.lock:
            return len(self.topics) + len(self.replies) + len(self.votes) + len(self.chat)

    def add(self, kind: str, value: object) -> None:
        with self.lock:
            getattr(self, kind).append(value)


def run_stream(stop: threading.Event, log: WriteLog, write) -> None:
    """Call ``write(n)`` until stopped or the server is gone (a connection error)."""
    n = 0
    while not stop.is_set():
        n += 1
        try:
            write(n)
        except Exception as error:  # noqa: BLE001 - whatever the client raises once the server is gone
            # The kill: refused, reset or timed out. Not acknowledged, so not promised.
            if not stop.is_set():
                log.add("refused", f"{type(error).__name__}: {error}")
            return


def flask(config: dict, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, GUILDHALL_INSTANCE=str(instance))
    env.pop("FLASK_APP", None)
    return subprocess.run(
        [FLASK, "--app", app_spec(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_sigkill_mid_stream_loses_no_acknowledged_write(tmp_path):
    database = tmp_path / "crash.sqlite"
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": "crash-safety-test-secret-key-0123456789abcdef",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "RATELIMIT_ENABLED": False,
        "CHAT_RATE_LIMIT": "100000 per second",
        "POST_RATE_LIMIT": "100000 per minute",
        "PLUGINS": [],
        # The search retry job's slot every second, so each `flask worker --once` below
        # is a new slot and the catch-up takes seconds, not the default 30 s per step.
        "SEARCH_RETRY_SECONDS": 1,
    }
    instance = tmp_path / "instance"
    setup = create_app("testing", instance_path=str(instance), **config)
    with setup.app_context():
        from app.chat import channels

        db.create_all()
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        forum = make_category(slug="crash-forum", name="Crash forum")
        qa = make_category(slug="crash-qa", name="Crash Q&A")
        db.session.add(QACategory(category_id=qa.id))
        db.session.flush()
        asked = [
            questions.ask_question(alice, qa, f"Question number {i} about failover", "Details.", "ha")
            for i in range(QUESTIONS)
        ]
        room = channels.create_channel(alice, "Crash room", kind="private")
        channels.invite_member(alice, room, bob)
        db.session.commit()
        question_posts = list(
            db.session.scalars(
                sa.select(Post.id)
                .where(Post.topic_id.in_([t.id for t in asked]), Post.number == 1)
                .order_by(Post.id)
            )
        )
        reply_topic = asked[0].id
        # The factories write through the models, not the services: start from a whole index.
        rebuild.reindex(setup)
        forum_slug, room_id = forum.slug, room.id
        db.engine.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(config, port, instance)
    listener: Listener | None = None
    try:
        assert wait_for(lambda: healthy(base), timeout=60), "server did not start"
        alice_web, bob_web = Browser(base, "alice@example.com"), Browser(base, "bob@example.com")
        replier = Browser(base, "alice@example.com")
        listener = Listener(base, bob_web.cookie)
        run = uuid.uuid4().hex[:8]
        log = WriteLog()
        stop = threading.Event()

        def new_topic(n: int) -> None:
            title = f"Crash topic {run} {n}"
            status, text = alice_web.post(
                f"/c/{forum_slug}/new", {"csrf_token": alice_web.csrf, "title": title, "body": f"Body {n}."}
            )
            if acknowledged(status):
                log.add("topics", title)
            elif not stop.is_set():
                log.add("refused", f"topic {status}: {text[:300]}")

        def reply(n: int) -> None:
            body = f"Crash reply {run} {n}"
            status, text = replier.post(f"/t/{reply_topic}/reply", {"csrf_token": replier.csrf, "body": body})
            if acknowledged(status):
                log.add("replies", body)
            elif not stop.is_set():
                log.add("refused", f"reply {status}: {text[:300]}")

        def vote(n: int) -> None:
            if n > len(question_posts):
                stop.wait()
                return
            post_id = question_posts[n - 1]
            status, text = bob_web.post(
                f"/qa/p/{post_id}/vote",
                {"csrf_token": bob_web.csrf, "value": "up"},
                headers={"Accept": "application/json"},
            )
            if 200 <= status < 300 and json.loads(text).get("ok"):
                log.add("votes", post_id)

        def chat(n: int) -> None:
            body = f"Crash chat {run} {n}"
            answer = listener.send(room_id, body, f"{run}-{n}")
            if answer.get("ok"):
                log.add("chat", (answer["message"]["id"], body))

        threads = [
            threading.Thread(target=run_stream, args=(stop, log, write), daemon=True)
            for write in (new_topic, reply, vote, chat)
        ]
        for thread in threads:
            thread.start()

        def every_stream_acknowledged() -> bool:
            with log.lock:
                least = min(len(log.topics), len(log.replies), len(log.votes), len(log.chat))
            return least >= ACKNOWLEDGED_PER_STREAM or bool(log.refused)

        assert wait_for(every_stream_acknowledged, timeout=180) and not log.refused, (
            f"topics {len(log.topics)}, replies {len(log.replies)}, votes {len(log.votes)}, "
            f"chat {len(log.chat)}; refused: {log.refused[:4]}"
        )
        # Every stream is mid-write here: kill without any chance to flush or close.
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=60)
        stop.set()
        # Each stream got somewhere, so the kill hit all four kinds of write.
        assert log.topics and log.replies and log.votes and log.chat, (
            f"topics {len(log.topics)}, replies {len(log.replies)}, votes {len(log.votes)}, "
            f"chat {len(log.chat)}; refused: {log.refused[:4]}"
        )
        listener.close()
        listener = None

        server = start_server(config, port, instance)
        assert wait_for(lambda: healthy(base), timeout=60), "server did not restart"
        Browser(base, "bob@example.com")  # the restarted server signs people in and serves forms
    finally:
        if listener is not None:
            listener.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {row[0] for row in conn.execute("SELECT title FROM forum_topic")}
        assert set(log.topics) <= titles, set(log.topics) - titles
        bodies = {row[0] for row in conn.execute("SELECT body FROM forum_post")}
        assert set(log.replies) <= bodies, set(log.replies) - bodies
        user_id = conn.execute("SELECT id FROM user_account WHERE email = 'bob@example.com'").fetchone()[0]
        voted = {row[0] for row in conn.execute("SELECT post_id FROM qa_vote WHERE user_id = ?", (user_id,))}
        assert set(log.votes) <= voted, set(log.votes) - voted
        messages = set(conn.execute("SELECT id, body FROM chat_message"))
        assert set(log.chat) <= messages, set(log.chat) - messages
    finally:
        conn.close()

    commands = flask(config, instance, "--help").stdout
    catch_up = ("worker", "--once") if re.search(r"^\s+worker\b", commands, re.M) else ("search", "drain")
    verdicts: list[subprocess.CompletedProcess] = []

    def worker_caught_up() -> bool:
        # A change whose index write the kill interrupted waits out its own back-off
        # (seconds) before the worker's retry takes it: run the worker until the index
        # agrees, as the worker process would on its own.
        flask(config, instance, *catch_up)
        verdicts.append(flask(config, instance, "search", "check"))
        return verdicts[-1].returncode == 0

    assert wait_for(worker_caught_up, timeout=120), verdicts[-1].stdout + verdicts[-1].stderr
    assert "matches the database" in verdicts[-1].stdout
