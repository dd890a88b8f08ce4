"""CPU per delivery of one broadcast to N sockets, by who writes the frames.

    .venv/bin/python bench/fanout.py                  # 200 sockets, 300 broadcasts
    .venv/bin/python bench/fanout.py --sockets 50

Why this exists: ``bench/chat.py`` showed a 200-member room's server spending most of
its CPU on delivery, about 85 microseconds per member per event. This isolates that
cost, without Flask, Socket.IO or a database: N connected socket pairs (a separate
process drains the far ends), and a ~750-byte text message, as a chat event is, put
to every socket once per broadcast. Modes:

  writer-threads   python-engineio's threading transport: a queue and a writer
                   thread per socket; each thread takes the packet, frames it with
                   wsproto (as simple-websocket does) and sends it
  framed-once      the same threads, sending a frame built once per broadcast
  one-thread       the broadcasting thread writes the frame to every socket itself
  direct-queue     Guildhall's ``app/chat/direct_writes.DirectQueue`` with its
                   writer threads waiting, as on the server: the put writes at once

Printed per mode: wall time per broadcast, and the process's user + system CPU per
delivery (broadcasts × sockets).
"""

from __future__ import annotations

import argparse
import os
import queue
import resource
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from engineio import packet
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.chat.direct_writes import DirectQueue, frame_of

MODES = ("writer-threads", "framed-once", "one-thread", "direct-queue")
PAYLOAD = '2/chat,["new_message",{"body":"' + "a" * 700 + '"}]'


def drain(ends: list[socket.socket]) -> None:
    """Read and discard everything from ``ends`` until each is closed (child process)."""
    selector = selectors.DefaultSelector()
    for end in ends:
        selector.register(end, selectors.EVENT_READ)
    while selector.get_map():
        for key, _ in selector.select():
            if not key.fileobj.recv(65536):
                selector.unregister(key.fileobj)
    os._exit(0)


def server_connection() -> WSConnection:
    """A wsproto server connection past its handshake, as simple-websocket holds one."""
    server, client = WSConnection(ConnectionType.SERVER), WSConnection(ConnectionType.CLIENT)
    server.receive_data(client.send(Request(host="bench", target="/")))
    list(server.events())
    server.send(AcceptConnection())
    return server


class _Open:
    """What DirectQueue reads of an engine.io socket and its WebSocket: open."""

    upgraded, upgrading, closed, connected = True, False, False, True

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def run(mode: str, socks: list[socket.socket], broadcasts: int) -> tuple[float, float, int]:
    """Seconds per broadcast, CPU seconds per delivery, and (direct-queue) the puts
    that found a full buffer and went to a writer thread."""
    sent = threading.Semaphore(0)
    message = packet.Packet(packet.MESSAGE, PAYLOAD)
    queues: list = []
    threads: list[threading.Thread] = []

    def writer(own: queue.Queue, send: Callable[[object], None]) -> None:
        while True:  # python-engineio's writer: wait, then take what else is queued
            items = [own.get()]
            while True:
                try:
                    items.append(own.get(block=False))
                except queue.Empty:
                    break
            for item in items:
                if item is None:
                    return
                send(item)
                sent.release()

    if mode in ("writer-threads", "framed-once", "direct-queue"):
        for sock in socks:
            ws = server_connection()
            if mode == "direct-queue":
                own: queue.Queue = DirectQueue()
                own.attach(_Open(sock), _Open(sock))
            else:
                own = queue.Queue()
            if mode == "writer-threads":

                def send(item: object, sock: socket.socket = sock, ws: WSConnection = ws) -> None:
                    sock.send(ws.send(TextMessage(data=item.encode())))
            else:

                def send(item: object, sock: socket.socket = sock) -> None:
                    sock.send(item if isinstance(item, bytes) else item.encode().data)

            queues.append(own)
            threads.append(threading.Thread(target=writer, args=(own, send), daemon=True))
        for thread in threads:
            thread.start()
        if mode == "direct-queue":
            while not all(own.direct for own in queues):
                time.sleep(0.01)
    time.sleep(0.3)

    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(broadcasts):
        if mode == "one-thread":
            frame = frame_of(message)
            for sock in socks:
                sock.send(frame)
        else:
            item = frame_of(message) if mode == "framed-once" else message
            for own in queues:
                own.put(item)
            if mode != "direct-queue":  # wait until every writer thread has sent it
                for _ in socks:
                    sent.acquire()
        message = packet.Packet(packet.MESSAGE, PAYLOAD)  # a new event each time
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    deferred = sum(own.deferred for own in queues) if mode == "direct-queue" else 0
    for own in queues:
        own.put(None)
    for thread in threads:
        thread.join()
    return elapsed / broadcasts, cpu / (broadcasts * len(socks)), deferred


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, default=300)
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    args = parser.parse_args()
    for mode in args.modes:
        pairs = [socket.socketpair() for _ in range(args.sockets)]
        child = os.fork()
        if child == 0:
            for near, _ in pairs:
                near.close()
            drain([far for _, far in pairs])
        for _, far in pairs:
            far.close()
        socks = [near for near, _ in pairs]
        per_broadcast, per_delivery, deferred = run(mode, socks, args.broadcasts)
        for sock in socks:
            sock.close()
        os.waitpid(child, 0)
        print(
            f"{mode:15} sockets={args.sockets} broadcasts={args.broadcasts} "
            f"wall/broadcast={per_broadcast * 1e3:.2f}ms cpu/delivery={per_delivery * 1e6:.1f}us"
            + (f" deferred={deferred}" if mode == "direct-queue" else "")
        )


if __name__ == "__main__":
    main()
