"""Room broadcasts written to WebSockets by the emitting thread, not by one thread per socket.

In python-engineio's threading mode every connection has a packet queue and a writer
thread. A broadcast to a 200-member room puts one packet on 200 queues and wakes 200
threads, and each then competes for the GIL to frame and send it: about 75
microseconds of CPU per member on the two-core benchmark machine, almost all of it
waking threads and handing the GIL around, against 2 microseconds to write the
same frame to the same 200 sockets from one thread (``bench/CHAT.md``, seventh
session). At 40 messages a second into such a room that fan-out kept the one core the
GIL allows 80–90 % busy, and queueing behind it set the latency's tail.

``DirectQueue`` replaces the connection's queue once the connection is a WebSocket.
While the writer thread is idle (it has written everything queued before), a packet
put on the queue is framed once per broadcast and written at once by the thread
putting it, without blocking (``MSG_DONTWAIT``). Whatever the socket's buffer cannot
take right away (a slow reader) goes through the queue after all, to the writer
thread, which writes it with blocking sends; every packet after it follows it
through the queue until the writer is idle again. So a connection's packets still
leave in the order they were put, a slow reader still holds up only its own writer
thread, and long-polling connections, upgrades in progress and sockets with a
timeout or TLS keep python-engineio's own path.

simple-websocket's reader thread writes its own frames: the pong answering a
client's ping and the answer to a close. Written straight to the socket, such a frame
could land inside a broadcast frame whose rest waits for the writer thread (a frame
the buffer took only part of). ``OrderedSocket`` stands in for the connection's socket
and hands the reader thread's bytes to the connection's queue instead, so they are
written directly when nothing is pending and otherwise after what is
(``tests/chat/test_direct_writes_pings.py``).

Frames written here are not compressed even where the client negotiated
permessage-deflate: RFC 7692 lets an endpoint send any message uncompressed, and the
connection's compressor state is untouched because it never sees these messages.

``install`` swaps the two classes into one engine.io server (``Server._async``, the
threading driver's table of queue and WebSocket classes). It relies on
python-engineio 4.15 and simple-websocket 1.1 internals (the writer's ``poll`` and
``ws.send(pkt.encode())``, the WebSocket handler being the socket's bound method,
``Server.sock`` and ``Server.thread``, the reader thread writing through
``Server.sock.send``), pinned in requirements.txt and exercised by
``tests/chat/test_direct_writes.py`` and ``tests/chat/test_direct_writes_pings.py``.

On by default (``SOCKETIO_DIRECT_WRITES``) because production serves with gunicorn's
threads: measured against the gevent worker Flask-SocketIO documents, with the same
chat and page benchmarks in one run, the gevent worker fell well short on both
(``bench/CHAT.md``, eighth session).
"""

from __future__ import annotations

import queue
import socket
import ssl
import threading
from typing import Any

from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from wsproto.frame_protocol import FrameProtocol


class Rest:
    """Frame bytes the socket's buffer did not take at once, for the writer thread.

    The writer calls ``encode()`` on what it takes from the queue and hands the result
    to ``DirectWebSocket.send``, which writes these bytes as they are.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def encode(self) -> Rest:
        return self


class Control(Rest):
    """Bytes simple-websocket's reader thread wrote (a pong, a close answer), queued
    behind what was pending; written even once the connection counts as closed, as
    the reader itself would have written the answer to a close."""

    __slots__ = ()


class _LastFrame(threading.local):
    """The frame of the packet this thread wrote last: a broadcast puts the same
    packet object on every member's queue, so it is framed once."""

    packet: Any = None
    frame: bytes = b""


_last = _LastFrame()


def frame_of(packet: Any) -> bytes:
    """The WebSocket frame python-engineio's writer would send for ``packet``, unmasked
    (server to client) and uncompressed."""
    if _last.packet is not packet:
        data = packet.encode()
        _last.frame = bytes(FrameProtocol(client=False, extensions=[]).send_data(data, fin=True))
        _last.packet = packet
    return _last.frame


def writable_socket(sock: Any) -> socket.socket | None:
    """``sock`` if a non-blocking send on it never waits: a plain socket without a
    timeout (with one, Python's ``send`` waits up to the timeout for buffer space)."""
    if not isinstance(sock, socket.socket) or isinstance(sock, ssl.SSLSocket):
        return None
    return sock if sock.gettimeout() in (None, 0.0) else None


class DirectQueue(queue.Queue):
    """An engine.io connection's packet queue that writes packets itself while it can.

    ``_direct`` is true while the writer thread waits on an empty queue; every change
    of it, and every put, happens under ``_write_lock``, so a packet is either written
    at once or queued behind everything queued before it, never between.
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self._write_lock = threading.Lock()
        self._engine_socket: Any = None
        self._ws: Any = None  # simple_websocket.Server
        self._sock: socket.socket | None = None
        self._direct = False
        self._wrote = False  # written directly since the writer began to wait
        # Diagnostics (tests, benchmarks): packets written at once, and times a packet
        # found the buffer full and went to the writer thread instead.
        self.written = 0
        self.deferred = 0

    def attach(self, engine_socket: Any, ws: Any) -> None:
        """Called when ``engine_socket``'s WebSocket handler starts; nothing is written
        directly before its writer thread first waits on an empty queue."""
        self._sock = writable_socket(getattr(ws, "sock", None))
        if self._sock is not None:
            self._engine_socket = engine_socket
            self._ws = ws
            ws.sock = OrderedSocket(self._sock, self, getattr(ws, "thread", None))

    def write_control(self, data: bytes) -> None:
        """Write ``data`` (a whole frame from simple-websocket's reader thread) at
        once if nothing is pending, else after everything pending, never inside it."""
        data = bytes(data)
        with self._write_lock:
            if self._direct:
                sent = self._send_now(data)
                if sent == len(data):
                    return
                self._direct = False
                super().put(Control(data[sent:]))
                return
            if self._ready():
                super().put(Control(data))  # the writer thread writes it in turn
                return
        # Not a WebSocket connection yet, or closed: nothing is written directly, so
        # simple-websocket's own write cannot cut into a frame.
        assert self._sock is not None
        self._sock.sendall(data)

    def _ready(self) -> bool:
        engine = self._engine_socket
        return (
            engine is not None
            and engine.upgraded
            and not engine.upgrading
            and not engine.closed
            and self._ws.connected
        )

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._write_lock:
            if item is not None and self._direct:
                frame = frame_of(item)
                sent = self._send_now(frame) if self._ws.connected else 0
                if sent == len(frame):
                    self._wrote = True
                    self.written += 1
                    return
                self.deferred += 1
                # The socket's buffer is full (or the connection broke): the writer
                # thread sends the rest, and what is put after it queues behind it.
                self._direct = False
                item = Rest(frame[sent:])
            super().put(item, block, timeout)

    def _send_now(self, frame: bytes) -> int:
        assert self._sock is not None
        try:
            return self._sock.send(frame, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0
        except OSError:
            return 0  # the writer's blocking send fails too and ends the connection

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """As ``queue.Queue.get``; the writer thread's wait (the only blocking ``get``
        once the connection is a WebSocket) lets puts write directly meanwhile.

        python-engineio's writer ends the connection when its wait times out, which
        its pings (every ``ping_interval``) prevent; pings written directly count as
        traffic here in the same way.
        """
        if not block or self._engine_socket is None:
            return super().get(block, timeout)
        with self._write_lock:
            if not self._direct and self._ready() and self._qsize() == 0:
                self._direct = True
            self._wrote = False
        while True:
            try:
                item = super().get(True, timeout)
            except queue.Empty:
                with self._write_lock:
                    if self._wrote:
                        self._wrote = False
                        continue
                    self._direct = False
                raise
            with self._write_lock:
                self._direct = False  # the writer is busy with it (or, for None, stops)
            return item

    @property
    def direct(self) -> bool:
        """Whether the next packet put will be written at once (for tests)."""
        with self._write_lock:
            return self._direct


class OrderedSocket:
    """A WebSocket connection's socket as simple-websocket sees it once writes are
    direct: the reader thread's writes go through the connection's ``DirectQueue``;
    every other call (reads, the writer thread's writes, ``close``) is the socket's."""

    def __init__(self, sock: socket.socket, link: DirectQueue, reader: threading.Thread | None) -> None:
        self._socket = sock
        self._link = link
        self._reader = reader

    def _from_reader(self) -> bool:
        return self._reader is not None and threading.current_thread() is self._reader

    def send(self, data: bytes, *flags: int) -> int:
        if self._from_reader():
            self._link.write_control(data)
            return len(data)
        return self._socket.send(data, *flags)

    def sendall(self, data: bytes, *flags: int) -> None:
        if self._from_reader():
            self._link.write_control(data)
            return
        self._socket.sendall(data, *flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._socket, name)


class DirectWebSocket(SimpleWebSocketWSGI):
    """python-engineio's simple-websocket wrapper that links the connection's
    ``DirectQueue`` to its socket and writes ``Rest`` bytes as they are."""

    def __call__(self, environ: dict, start_response: Any) -> Any:
        engine_socket = getattr(self.app, "__self__", None)
        link = getattr(engine_socket, "queue", None)
        if isinstance(link, DirectQueue):
            original = self.app

            def handler(ws: DirectWebSocket) -> Any:
                link.attach(engine_socket, ws.ws)
                return original(ws)

            self.app = handler
        return super().__call__(environ, start_response)

    def send(self, message: Any) -> Any:
        if isinstance(message, Control):
            try:
                self.ws.sock.sendall(message.data)
            except OSError:
                if self.ws.connected:
                    raise
            return None
        if isinstance(message, Rest):
            if not self.ws.connected:
                raise OSError("the WebSocket is closed")
            self.ws.sock.sendall(message.data)
            return None
        return super().send(message)


def install(engine_server: Any) -> None:
    """Use direct writes for ``engine_server``'s WebSocket connections (threading mode)."""
    if engine_server.async_mode != "threading":
        return
    engine_server._async = {**engine_server._async, "queue": DirectQueue, "websocket": DirectWebSocket}
