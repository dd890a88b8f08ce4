"""Client pings while direct writes are pending never corrupt a member's stream.

simple-websocket's reader thread answers a client's WebSocket ping (and close) by
writing the pong with its own ``sock.send``, outside ``DirectQueue``'s lock. A direct
write that found the socket's buffer full leaves the rest of its frame to the writer
thread; a pong written in between would land inside that frame. This test plays a
member on a slow link whose client pings all the time, and parses every byte it
receives with wsproto: every frame must be whole, every message present and in order,
and every ping answered.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)

from app.chat.direct_writes import DirectQueue
from app.extensions import db, socketio
from tests.chat.conftest import make_channel, signed_in_http
from tests.factories import make_user
from tests.live import NS, Listener, wait_for

pytestmark = pytest.mark.app_config(CHAT_RATE_LIMIT="1000 per second", SOCKETIO_DIRECT_WRITES=True)

SMALL_BUFFER = 4096  # bytes; the kernel doubles it, and a few messages fill it


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def member_cookie(app: Flask) -> Callable:
    name = app.config["SESSION_COOKIE_NAME"]

    def _cookie(user) -> str:
        return f"{name}={signed_in_http(app, user).get_cookie(name).value}"

    return _cookie


class RawMember:
    """A /chat member over a raw TCP socket, every byte parsed by wsproto (a frame
    interleaved into another is a protocol error or a message that is not engine.io)."""

    def __init__(self, host: str, cookie: str) -> None:
        address, port = host.rsplit(":", 1)
        self.sock = socket.create_connection((address, int(port)))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)
        self.sock.settimeout(15)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.send_lock = threading.Lock()
        self.texts: list[str] = []
        self.pongs: list[bytes] = []
        self.closed = False
        self.log: list = []
        self._partial = ""  # a text message whose frames have not all arrived
        self._send(
            Request(
                host=host,
                target="/socket.io/?EIO=4&transport=websocket",
                extra_headers=[(b"cookie", cookie.encode())],
            )
        )
        while not any(isinstance(e, AcceptConnection) for e in self._read_events()):
            pass
        opened = self.next_text()
        assert opened.startswith("0"), opened
        self.sid = json.loads(opened[1:])["sid"]
        self.send_text(f"40{NS},")
        while not self.next_text().startswith(f"40{NS},"):
            pass

    def _send(self, event) -> None:
        with self.send_lock:
            self.sock.sendall(self.ws.send(event))

    def send_text(self, text: str) -> None:
        self._send(TextMessage(data=text))

    def ping(self, payload: bytes) -> None:
        self._send(Ping(payload=payload))

    def _read_events(self) -> list:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError(f"the server closed the connection (closing handshake seen: {self.closed})")
        self.ws.receive_data(data)
        events = list(self.ws.events())  # raises RemoteProtocolError on a corrupt stream
        self.log.extend(  # (event, its start, whole?) for a failure's message
            (
                type(e).__name__,
                getattr(e, "data", getattr(e, "payload", b""))[:40],
                getattr(e, "message_finished", None),
            )
            for e in events
        )
        for event in events:
            if isinstance(event, TextMessage):
                self._partial += event.data
                if event.message_finished:
                    self.texts.append(self._partial)
                    self._partial = ""
            elif isinstance(event, Pong):
                self.pongs.append(bytes(event.payload))
            elif isinstance(event, CloseConnection):
                self.closed = True
        return events

    def next_text(self) -> str:
        while not self.texts:
            self._read_events()
        return self.texts.pop(0)

    def chat_messages(self, count: int, received: list[dict]) -> None:
        """Read until ``received`` holds ``count`` chat messages. Nothing is sent while
        reading (the test's thread pings meanwhile, and a reader waiting to send could
        stall both ends); the test puts engine.io's pings out of its way."""
        while len(received) < count:
            text = self.next_text()
            assert text.startswith(("0", "2", "3", "4")), f"not an engine.io packet: {text[:80]!r}"
            if not text.startswith(f"42{NS},"):
                continue
            name, payload = json.loads(text[len(f"42{NS},") :])
            if name == "new_message":
                received.append(payload)
            elif name == "new_messages":
                received.extend(payload["messages"])

    def close(self) -> None:
        self.sock.close()


def test_pongs_never_land_inside_a_frame_whose_rest_waits_for_the_writer(
    app: Flask, served: str, member_cookie: Callable
) -> None:
    # The member answers no engine.io ping while it reads (see chat_messages): none
    # is due during the test.
    socketio.server.eio.ping_interval = 600
    sender_user, slow_user = make_user(), make_user()
    room = make_channel("private", members=(slow_user,), owner=sender_user)
    db.session.commit()
    sender = Listener(f"http://{served}", member_cookie(sender_user))
    slow = RawMember(served, member_cookie(slow_user))
    try:
        slow_queue = socketio.server.eio.sockets[slow.sid].queue
        assert isinstance(slow_queue, DirectQueue)
        assert slow_queue._sock is not None
        slow_queue._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)

        body = "partner news " * 120  # about 1.5 kB, and as much again in its HTML
        stored: list[int] = []
        pinged: list[bytes] = []

        def send_and_ping(start: int, stop: int) -> None:
            for i in range(start, stop):
                answer = sender.send(room.id, f"{i} {body}", f"ping-{i}")
                assert answer.get("ok"), answer
                stored.append(answer["message"]["id"])
                for n in range(3):  # the reader thread answers each with a pong
                    payload = f"{i}.{n}".encode()
                    slow.ping(payload)
                    pinged.append(payload)

        # The member reads nothing: its buffer fills, a direct write is left partial
        # and its rest waits for the writer thread, while pongs are due.
        send_and_ping(0, 40)
        assert wait_for(lambda: slow_queue.deferred > 0)

        # Reading while more messages and pings come.
        received: list[dict] = []
        failure: list[BaseException] = []

        def read() -> None:
            try:
                slow.chat_messages(80, received)
            except BaseException as error:  # noqa: BLE001 - reported by the test thread
                failure.append(error)

        reading = threading.Thread(target=read)
        reading.start()
        send_and_ping(40, 80)
        reading.join(30)
        assert not failure, f"the member's stream was corrupted: {failure[0]!r}; last frames {slow.log[-3:]}"
        assert not reading.is_alive(), (
            f"the member got {len(received)} of 80 messages, then nothing it could parse: "
            f"{len(slow.pongs)} pongs, a text message of {len(slow._partial)} characters unfinished; last frames {slow.log[-3:]}"
        )
        assert [m["id"] for m in received] == stored
        assert [m["body"].split(" ", 1)[0] for m in received] == [str(i) for i in range(80)]
        assert slow_queue.written > 0 and slow_queue.deferred > 0

        # Every ping got its pong, whole (wsproto checked each frame), in order.
        slow.ping(b"last")
        pinged.append(b"last")
        while b"last" not in slow.pongs:
            slow._read_events()
        assert slow.pongs == pinged
    finally:
        slow.close()
        threading.Thread(target=sender.close, daemon=True).start()
