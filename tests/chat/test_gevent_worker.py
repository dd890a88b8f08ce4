"""gunicorn's gevent worker, the alternative to threads (``GUNICORN_WORKER=gevent``).

Flask-SocketIO's deployment guide runs it as ``gunicorn -k gevent -w 1``; the app must
then use python-engineio's gevent driver (simple-websocket on gevent's primitives),
which ``socketio_async_mode`` picks when the worker has patched the standard library.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db, socketio_async_mode
from tests.chat.conftest import make_channel, signed_in_http
from tests.factories import make_user
from tests.live import Listener, app_spec, free_port, healthy, wait_for

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def test_an_unpatched_process_serves_socketio_with_threads() -> None:
    # gevent may be installed (the bench uses it); only a patched process uses it.
    assert socketio_async_mode() == "threading"


def test_a_patched_process_serves_socketio_with_gevent() -> None:
    pytest.importorskip("gevent")
    code = (
        "from gevent import monkey; monkey.patch_all()\n"
        "from app.extensions import socketio_async_mode\n"
        "print(socketio_async_mode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split()[-1] == "gevent"


def test_under_the_gevent_worker_every_member_gets_every_message_in_order(tmp_path: Path) -> None:
    pytest.importorskip("gevent")
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gevent.sqlite'}",
        "SECRET_KEY": "gevent-test-secret-key-0123456789abcdef",
        "CHAT_RATE_LIMIT": "1000 per second",
    }
    instance = tmp_path / "instance"
    setup = create_app("testing", instance_path=str(instance), **config)
    with setup.app_context():
        db.create_all()
        people = [make_user() for _ in range(4)]
        room = make_channel("private", members=tuple(people[1:]), owner=people[0])
        db.session.commit()
        name = setup.config["SESSION_COOKIE_NAME"]
        cookies = [f"{name}={signed_in_http(setup, person).get_cookie(name).value}" for person in people]
        room_id = room.id
        db.engine.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, GUILDHALL_INSTANCE=str(instance))
    server = subprocess.Popen(
        [
            GUNICORN,
            "--no-control-socket",
            "-k",
            "gevent",
            "-w",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            app_spec(config),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    members: list[Listener] = []
    try:
        assert wait_for(lambda: healthy(base), timeout=30), "gunicorn did not start"
        members.extend(Listener(base, cookie) for cookie in cookies)
        stored = []
        for i in range(25):
            answer = members[i % 2].send(room_id, f"gevent {i}", f"g-{i}")
            assert answer.get("ok"), answer
            stored.append(answer["message"]["id"])
        for member in members:
            assert wait_for(lambda member=member: len(member.messages) >= 25)
            assert [m["id"] for m in member.messages] == stored
            assert [m["body"] for m in member.messages] == [f"gevent {i}" for i in range(25)]
    finally:
        for member in members:
            member.close()
        server.terminate()
        server.wait(15)
