# ruff: noqa: S310 - loopback URLs built by the test itself
"""Chat across two real server processes sharing rooms through Redis.

Two ``flask run-server`` processes on two loopback ports use one SQLite file and one
Redis (``SOCKETIO_MESSAGE_QUEUE``). A python-socketio client signed in over HTTP is
connected to each; every message must reach both clients, in order. A ``flask chat
announce`` from a third process reaches them too, and a member removed on one process
stops receiving on the other, as does a member a plug-in stopped admitting without
telling chat.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.live import Listener, app_spec, free_port, healthy, wait_for

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def start_server(config: dict, port: int, instance: Path) -> subprocess.Popen:
    env = dict(os.environ, GUILDHALL_INSTANCE=str(instance), PYTHONUNBUFFERED="1")
    env.pop("FLASK_APP", None)
    return subprocess.Popen(
        [FLASK, "--app", app_spec(config), "run-server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def login_cookie(base: str, email: str) -> str:
    """Sign in through the real login form (CSRF on) and return the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    opener.open(base + "/login", data=data, timeout=30).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    assert "session=" in cookie
    return cookie


def two_process_config(tmp_path: Path, redis_url: str, **extra: object) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'chat.sqlite'}",
        "SOCKETIO_MESSAGE_QUEUE": redis_url,
        "SOCKETIO_CHANNEL": f"guildhall-test-{uuid.uuid4().hex}",
        "SECRET_KEY": "two-process-test-secret-key-0123456789abcdef",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "CHAT_RATE_LIMIT": "1000 per second",
        **extra,
    }


def stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def test_two_processes_share_rooms_through_redis(tmp_path, redis_url):
    config = two_process_config(tmp_path, redis_url)
    instance = tmp_path / "instance"
    setup = create_app("testing", instance_path=str(instance), **config)
    with setup.app_context():
        from app.chat import channels

        db.create_all()
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        room = channels.create_channel(alice, "Two processes", kind="private")
        channels.invite_member(alice, room, bob)
        db.session.commit()
        room_id, bob_id = room.id, bob.id
        db.engine.dispose()

    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [start_server(config, port, instance) for port in ports]
    listeners: list[Listener] = []
    try:
        for base in bases:
            # Start-up imports every feature (and now starts the job worker): on a loaded
            # machine two servers starting at once take longer than the default wait.
            assert wait_for(lambda base=base: healthy(base), timeout=90), f"server at {base} did not start"
        first = Listener(bases[0], login_cookie(bases[0], "alice@example.com"))
        listeners.append(first)
        second = Listener(bases[1], login_cookie(bases[1], "bob@example.com"))
        listeners.append(second)

        sent = []
        for i in range(20):
            sender = first if i % 2 == 0 else second
            answer = sender.send(room_id, f"message {i}", f"c-{i}")
            assert answer.get("ok"), answer
            sent.append(answer["message"]["id"])
        for listener in listeners:
            assert wait_for(lambda listener=listener: len(listener.messages) >= 20)
            assert [m["id"] for m in listener.messages] == sent
            assert [m["body"] for m in listener.messages] == [f"message {i}" for i in range(20)]

        # A burst from both sides, not waiting for answers: sends queue behind each
        # other's writes and are stored in batches, whose messages each process
        # publishes in one pipeline. Every client gets every message, and each
        # process's messages (here: each author's) in the order they were stored.
        # Across the two processes there is no common order: each delivers its own
        # messages at once and the other's through Redis.
        answers: list[dict] = []
        for i in range(30):
            sender = first if i % 3 else second
            payload = {"channel_id": room_id, "body": f"burst {i}", "client_id": f"b-{i}"}
            sender.client.emit("send", payload, namespace="/chat", callback=answers.append)
        assert wait_for(lambda: len(answers) == 30)
        assert all(answer.get("ok") for answer in answers), answers
        burst = sorted(answer["message"]["id"] for answer in answers)
        for listener in listeners:
            assert wait_for(lambda listener=listener: len(listener.messages) >= 50)
            received = listener.messages[20:]
            assert sorted(m["id"] for m in received) == burst
            for author in {m["author"]["id"] for m in received}:
                ids = [m["id"] for m in received if m["author"]["id"] == author]
                assert ids == sorted(ids)

        # A third process (the CLI) announces through the same queue.
        env = dict(os.environ, GUILDHALL_INSTANCE=str(instance))
        env.pop("FLASK_APP", None)
        cli = subprocess.run(
            [FLASK, "--app", app_spec(config), "chat", "announce", str(room_id), "Deploy at noon"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode == 0, cli.stderr
        for listener in listeners:
            assert wait_for(
                lambda listener=listener: any(m["body"] == "Deploy at noon" for m in listener.messages)
            )

        # Removal on process 1 takes bob's socket on process 2 out of the room,
        # done through server 1's HTTP API, as the owner would.
        cookie = login_cookie(bases[0], "alice@example.com")
        page = urllib.request.Request(bases[0] + "/chat/", headers={"Cookie": cookie})
        html = urllib.request.urlopen(page, timeout=10).read().decode()
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        request = urllib.request.Request(
            f"{bases[0]}/chat/api/channels/{room_id}/members/{bob_id}/remove",
            data=b"{}",
            headers={"Cookie": cookie, "X-CSRFToken": token, "Content-Type": "application/json"},
            method="POST",
        )
        assert urllib.request.urlopen(request, timeout=10).status == 200
        assert wait_for(lambda: second.removed == [{"channel_id": room_id}])
        before = len(second.messages)
        assert first.send(room_id, "after removal", "c-after")["ok"]
        assert wait_for(lambda: any(m["body"] == "after removal" for m in first.messages))
        time.sleep(0.5)  # give a wrongly delivered message time to arrive
        assert len(second.messages) == before
    finally:
        for listener in listeners:
            listener.close()
        stop(servers)
        with setup.app_context():
            db.engine.dispose()


def test_a_member_a_plugin_drops_stops_receiving_its_room_on_the_other_process(tmp_path, redis_url):
    """Nothing tells chat (as when a council term lapses at midnight); the next message,
    sent on process 1, re-asks the plug-in, and bob's socket on process 2 gets the
    removal but not the message."""
    groups = tmp_path / "groups.json"
    config = two_process_config(
        tmp_path,
        redis_url,
        PLUGINS=["tests.chat.sample_file_chat_plugin"],
        SAMPLE_CHAT_GROUPS_FILE=str(groups),
    )
    instance = tmp_path / "instance"
    setup = create_app("testing", instance_path=str(instance), **config)
    with setup.app_context():
        from app.chat import channels

        db.create_all()
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        groups.write_text(json.dumps({"5": [alice.id, bob.id]}))
        [room] = channels.sync_plugin_channels(alice)
        marker = channels.create_channel(alice, "Marker", kind="private")
        channels.invite_member(alice, marker, bob)
        db.session.commit()
        room_id, marker_id, alice_id = room.id, marker.id, alice.id
        db.engine.dispose()

    ports = [free_port(), free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    servers = [start_server(config, port, instance) for port in ports]
    listeners: list[Listener] = []
    try:
        for base in bases:
            assert wait_for(lambda base=base: healthy(base), timeout=90), f"server at {base} did not start"
        first = Listener(bases[0], login_cookie(bases[0], "alice@example.com"))
        listeners.append(first)
        second = Listener(bases[1], login_cookie(bases[1], "bob@example.com"))
        listeners.append(second)
        assert first.send(room_id, "before", "p-1")["ok"]
        assert wait_for(lambda: [m["body"] for m in second.messages] == ["before"])

        groups.write_text(json.dumps({"5": [alice_id]}))  # bob leaves the group; chat is not told
        assert first.send(room_id, "after", "p-2")["ok"]
        # Process 1 publishes in order: the removal, the room's message (to alice only),
        # then the marker room's message, so once bob has the marker the rest is decided.
        assert first.send(marker_id, "marker", "p-3")["ok"]
        assert wait_for(lambda: any(m["body"] == "marker" for m in second.messages))
        assert [m["body"] for m in second.messages] == ["before", "marker"]
        assert second.removed == [{"channel_id": room_id}]
        assert wait_for(lambda: [m["body"] for m in first.messages] == ["before", "after", "marker"])
        answer = second.client.call("join", {"channel_id": room_id}, namespace="/chat", timeout=10)
        assert answer["error"] == "Not found."
    finally:
        for listener in listeners:
            listener.close()
        stop(servers)
        with setup.app_context():
            db.engine.dispose()
