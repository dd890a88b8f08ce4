"""Broadcasts written by the emitting thread (``app/chat/direct_writes.py``), on a real server.

The Socket.IO test client has no engine.io sockets, so these tests serve the app on
a loopback port (Werkzeug's threaded server, as ``flask run-server`` does) in this
process and connect real clients over WebSocket: python-socketio clients, and a raw
WebSocket client that stops reading to play a member on a slow link.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import websocket
from engineio import packet
from flask import Flask
from werkzeug.serving import make_server
from wsproto.frame_protocol import FrameProtocol

from app import create_app
from app.chat.direct_writes import DirectQueue, DirectWebSocket, frame_of, writable_socket
from app.extensions import db, socketio
from tests.chat.conftest import make_channel, signed_in_http
from tests.factories import make_user
from tests.live import NS, Listener, app_spec, free_port, healthy, wait_for

pytestmark = pytest.mark.app_config(CHAT_RATE_LIMIT="1000 per second")

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SMALL_BUFFER = 4096  # bytes; the kernel doubles it, and a few messages fill it


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    """The app on a loopback port; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def member_cookie(app: Flask) -> Callable:
    name = app.config["SESSION_COOKIE_NAME"]

    def _cookie(user) -> str:
        return f"{name}={signed_in_http(app, user).get_cookie(name).value}"

    return _cookie


@pytest.fixture
def listeners() -> Iterator[list[Listener]]:
    opened: list[Listener] = []
    yield opened
    # python-socketio's client waits up to 3 s for Werkzeug to answer its close frame,
    # which Werkzeug never does: close them all at once.
    closing = [threading.Thread(target=listener.close) for listener in opened]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join(10)


def engine_queue(sid: str) -> DirectQueue:
    found = socketio.server.eio.sockets[sid].queue
    assert isinstance(found, DirectQueue)
    return found


def test_the_app_uses_direct_writes_unless_switched_off(app: Flask) -> None:
    assert socketio.server.eio._async["queue"] is DirectQueue
    assert socketio.server.eio._async["websocket"] is DirectWebSocket


@pytest.mark.app_config(SOCKETIO_DIRECT_WRITES=False)
def test_switched_off_the_app_keeps_python_engineios_own_classes(app: Flask) -> None:
    assert socketio.server.eio._async["queue"] is queue.Queue
    assert socketio.server.eio._async["websocket"] is not DirectWebSocket


def test_a_broadcast_packet_is_framed_once_as_the_writer_would_frame_it() -> None:
    message = packet.Packet(packet.MESSAGE, '2/chat,["new_message",{"body":"café ☕"}]')
    frame = frame_of(message)
    assert frame_of(message) is frame  # the next member's copy: no second framing
    parsed = FrameProtocol(client=True, extensions=[])
    parsed.receive_bytes(frame)
    (received,) = list(parsed.received_frames())
    assert received.message_finished
    assert received.payload == message.encode()  # text frame, decoded to the packet's string

    binary = packet.Packet(packet.MESSAGE, b"\x00\x01")
    parsed.receive_bytes(frame_of(binary))
    (received,) = list(parsed.received_frames())
    assert received.payload == b"\x00\x01"


def test_only_a_plain_socket_without_a_timeout_is_written_directly() -> None:
    left, right = socket.socketpair()
    try:
        assert writable_socket(left) is left
        left.settimeout(5)
        assert writable_socket(left) is None  # a send could wait up to the timeout
        left.setblocking(False)
        assert writable_socket(left) is left
        assert writable_socket(object()) is None
    finally:
        left.close()
        right.close()


class _EngineSocket:
    """What DirectQueue reads of an engine.io socket: a WebSocket connection, open."""

    upgraded, upgrading, closed = True, False, False


class _WebSocket:
    """What DirectQueue reads of a simple-websocket connection."""

    connected = True

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def test_once_a_packet_waits_for_the_writer_the_next_ones_queue_behind_it() -> None:
    server_end, client_end = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)
    client_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)
    packets = DirectQueue()
    packets.attach(_EngineSocket(), _WebSocket(server_end))
    taken: list = []
    writer = threading.Thread(target=lambda: taken.append(packets.get(timeout=10)))
    try:
        writer.start()
        assert wait_for(lambda: packets.direct)  # the writer waits on an empty queue
        count = 0
        while not packets.deferred:  # until the buffer is full
            packets.put(packet.Packet(packet.MESSAGE, f"{count:06d}" + "x" * 500))
            count += 1
        assert packets.written == count - 1
        # The buffer has room again, but a packet is waiting for the writer thread:
        # the next one queues behind it instead of overtaking it.
        client_end.setblocking(False)
        while True:
            try:
                client_end.recv(65536)
            except BlockingIOError:
                break
        packets.put(packet.Packet(packet.MESSAGE, "next"))
        assert packets.written == count - 1
        writer.join(10)
        assert len(taken) == 1 and taken[0].encode() == taken[0]  # the rest of a frame, as bytes
        assert packets.get(block=False).encode() == "4next"
    finally:
        server_end.close()
        client_end.close()


def test_every_member_gets_a_rooms_messages_in_order_written_by_the_broadcasting_thread(
    app: Flask, served: str, member_cookie: Callable, listeners: list[Listener]
) -> None:
    people = [make_user() for _ in range(6)]
    room = make_channel("private", members=tuple(people[1:]), owner=people[0])
    db.session.commit()
    for person in people:
        listeners.append(Listener(served, member_cookie(person)))
    sender = listeners[0]

    stored = []
    for i in range(30):
        answer = sender.send(room.id, f"message **{i}**", f"direct-{i}")
        assert answer.get("ok"), answer
        stored.append(answer["message"]["id"])
    for listener in listeners:
        assert wait_for(lambda listener=listener: len(listener.messages) >= 30)
        assert [m["id"] for m in listener.messages] == stored
        assert listener.messages[7]["body_html"].strip() == "<p>message <strong>7</strong></p>"

    written = [engine_queue(listener.client.eio.sid).written for listener in listeners]
    assert all(count >= 30 for count in written), written  # not one went through a writer thread


def raw_member(base: str, cookie: str) -> tuple[websocket.WebSocket, str]:
    """A WebSocket on /chat that reads only when told to, with a small receive buffer;
    its engine.io session id."""
    ws = websocket.create_connection(
        base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
        header=[f"Cookie: {cookie}"],
        sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)],
        timeout=15,
    )
    opened = ws.recv()
    assert opened.startswith("0"), opened
    ws.send(f"40{NS},")
    while not (frame := ws.recv()).startswith(f"40{NS},"):  # the connect answer
        assert frame.startswith(f"42{NS},"), frame  # perhaps after its own presence event
    return ws, json.loads(opened[1:])["sid"]


def read_messages(ws: websocket.WebSocket, count: int) -> list[dict]:
    """Read until ``count`` chat messages came (answering pings); the messages in order."""
    received: list[dict] = []
    while len(received) < count:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
            continue
        if not frame.startswith(f"42{NS},"):
            continue
        name, payload = json.loads(frame[len(f"42{NS},") :])
        if name == "new_message":
            received.append(payload)
        elif name == "new_messages":
            received.extend(payload["messages"])
    return received


def test_a_member_who_stops_reading_holds_up_nobody_and_later_gets_everything_in_order(
    app: Flask, served: str, member_cookie: Callable, listeners: list[Listener]
) -> None:
    sender_user, reader_user, slow_user = make_user(), make_user(), make_user()
    room = make_channel("private", members=(reader_user, slow_user), owner=sender_user)
    db.session.commit()
    listeners.append(Listener(served, member_cookie(sender_user)))
    listeners.append(Listener(served, member_cookie(reader_user)))
    slow, slow_sid = raw_member(served, member_cookie(slow_user))
    try:
        # The slow member's socket buffer holds a few messages: the rest must wait
        # for its writer thread, behind what the buffer did take.
        slow_queue = engine_queue(slow_sid)
        assert slow_queue._sock is not None
        slow_queue._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)

        sender, reader = listeners
        body = "partner news " * 120  # about 1.5 kB, and as much again in its HTML
        stored = []
        for i in range(60):
            answer = sender.send(room.id, f"{i} {body}", f"slow-{i}")
            assert answer.get("ok"), answer
            stored.append(answer["message"]["id"])

        # Everyone else has every message while the slow member has read nothing.
        assert wait_for(lambda: len(reader.messages) >= 60)
        assert [m["id"] for m in reader.messages] == stored
        assert slow_queue.written > 0  # the first messages fitted in its buffer
        assert slow_queue.deferred > 0  # then it was full, and the writer thread took over

        # When it reads, it gets all of them, whole and in order, and so it does
        # with the messages sent while it is still catching up.
        received: list[dict] = []
        reading = threading.Thread(target=lambda: received.extend(read_messages(slow, 120)))
        reading.start()
        for i in range(60, 120):
            answer = sender.send(room.id, f"{i} {body}", f"slow-{i}")
            assert answer.get("ok"), answer
            stored.append(answer["message"]["id"])
        reading.join(30)
        assert [m["id"] for m in received] == stored
        assert [m["body"].split(" ", 1)[0] for m in received] == [str(i) for i in range(120)]

        # Its writer drained the queue; the next message is written directly again.
        assert wait_for(lambda: slow_queue.direct)
        written = slow_queue.written
        answer = sender.send(room.id, "caught up", "slow-after")
        assert [m["body"] for m in read_messages(slow, 1)] == ["caught up"]
        assert slow_queue.written == written + 1
    finally:
        slow.close()


def test_pings_written_directly_keep_an_idle_connection_open(
    app: Flask, served: str, member_cookie: Callable, listeners: list[Listener]
) -> None:
    # python-engineio's writer ends a connection when nothing went through its queue
    # for ping_interval + ping_timeout; here every ping is written directly.
    engine = socketio.server.eio
    engine.ping_interval, engine.ping_timeout = 0.5, 1
    owner, member = make_user(), make_user()
    room = make_channel("private", members=(member,), owner=owner)
    db.session.commit()
    listeners.append(Listener(served, member_cookie(owner)))
    listeners.append(Listener(served, member_cookie(member)))
    idle = engine_queue(listeners[1].client.eio.sid)

    assert wait_for(lambda: idle.written >= 5, timeout=10)  # pings: 2.5 s and more
    assert all(listener.client.connected for listener in listeners)
    answer = listeners[0].send(room.id, "still here?", "ping-1")
    assert answer.get("ok"), answer
    assert wait_for(lambda: [m["body"] for m in listeners[1].messages] == ["still here?"])


def test_under_gunicorn_every_member_gets_every_message_in_order(tmp_path: Path) -> None:
    """The production server (README: ``gunicorn -w 1 --threads 100``): its sockets are
    written directly too, and a room's members get what the sender sent, in order."""
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gunicorn.sqlite'}",
        "SECRET_KEY": "gunicorn-test-secret-key-0123456789abcdef",
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
            "-w",
            "1",
            "--threads",
            "20",
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
            answer = members[i % 2].send(room_id, f"gunicorn {i}", f"g-{i}")
            assert answer.get("ok"), answer
            stored.append(answer["message"]["id"])
        for member in members:
            assert wait_for(lambda member=member: len(member.messages) >= 25)
            assert [m["id"] for m in member.messages] == stored
    finally:
        for member in members:
            member.close()
        server.terminate()
        server.wait(15)
