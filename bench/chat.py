"""Chat fan-out benchmark: N clients in one room, one sender, latency emit→receipt.

    .venv/bin/python bench/chat.py                 # 50 and 200 clients, all three setups
    .venv/bin/python bench/chat.py --clients 50 --setups guildhall-1

Setups, measured the same way in the same run:
  reference    a bare Flask-SocketIO app (threading mode, one process): "send" is
               re-emitted to everyone in one room — the cost floor of the stack
  guildhall-1  Guildhall's /chat namespace on one ``flask run-server`` process: every
               message is checked, stored in SQLite, rendered and broadcast
  guildhall-2  two Guildhall processes sharing rooms through Redis
               (``SOCKETIO_MESSAGE_QUEUE``); clients alternate between them

The clients live in ``--workers`` separate processes (python-socketio clients over
WebSocket). One more client sends ``--messages`` messages, paced at ``--rate`` per
second, each carrying its send time; every receiver records its receipt time. All
processes share one clock (one machine), so latency = receipt − send. Deliveries/s =
deliveries received / (last receipt − first send).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FLASK = str(Path(sys.executable).with_name("flask"))
NS = "/chat"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


# --- the reference server ------------------------------------------------------------


def reference_server(port: int) -> None:
    from flask import Flask
    from flask_socketio import SocketIO, emit, join_room

    app = Flask(__name__)
    sio = SocketIO(app, async_mode="threading")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @sio.on("connect", namespace=NS)
    def connect(auth=None) -> None:
        join_room("room")

    @sio.on("send", namespace=NS)
    def send(data) -> dict:
        emit("new_message", {"body": data["body"]}, to="room")
        return {"ok": True}

    sio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, log_output=False)


# --- Guildhall set-up ------------------------------------------------------------------


def guildhall_config(tmp: Path, queue: str | None) -> dict:
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
        "CHAT_RATE_LIMIT": "100000 per second",
        "RATELIMIT_ENABLED": False,
        "SOCKETIO_CHANNEL": f"guildhall-bench-{uuid.uuid4().hex}",
    }
    if queue:
        config["SOCKETIO_MESSAGE_QUEUE"] = queue
    return config


def guildhall_data(tmp: Path, config: dict, clients: int) -> tuple[int, list[str]]:
    """Create the room and its members; return the room id and one cookie per member."""
    from app import create_app
    from app.accounts.models import User
    from app.chat.models import ChatChannel, ChatMembership
    from app.core.db import utcnow
    from app.extensions import db

    app = create_app("testing", instance_path=str(tmp / "instance"), **config)
    with app.app_context():
        db.create_all()
        users = [
            User(
                email=f"bench{i}@example.com",
                username=f"bench{i}",
                display_name=f"Bench {i}",
                display_skeleton=f"bench{i}",
                password_hash="!",
                confirmed_at=utcnow(),
            )
            for i in range(clients + 1)
        ]
        db.session.add_all(users)
        room = ChatChannel(kind="public", name="Bench", slug=f"bench-{uuid.uuid4().hex[:8]}")
        db.session.add(room)
        db.session.flush()
        db.session.add_all(ChatMembership(channel_id=room.id, user_id=user.id) for user in users)
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [f"session={serializer.dumps({'_user_id': u.get_id(), '_fresh': True})}" for u in users]
        room_id = room.id
        db.engine.dispose()
    return room_id, cookies


def start_guildhall(config: dict, port: int, tmp: Path) -> subprocess.Popen:
    args = ", ".join(f"{key}={value!r}" for key, value in config.items())
    env = dict(os.environ, GUILDHALL_INSTANCE=str(tmp / "instance"))
    env.pop("FLASK_APP", None)
    return subprocess.Popen(
        [FLASK, "--app", f'app:create_app("development", {args})', "run-server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# --- clients ---------------------------------------------------------------------------


def receivers(urls: list[str], cookies: list[str], expected: int, ready, results, stop) -> None:
    """One worker process holding several receiving clients."""
    import socketio

    received: list[tuple[float, float]] = []
    clients = []
    for url, cookie in zip(urls, cookies, strict=True):
        client = socketio.Client(reconnection=False)

        def on_message(data):
            now = time.time()
            try:
                sent = float(str(data["body"]).split(":", 1)[1])
            except (KeyError, IndexError, ValueError):
                return
            received.append((sent, now))

        client.on("new_message", on_message, namespace=NS)
        client.connect(
            url, headers={"Cookie": cookie}, namespaces=[NS], transports=["websocket"], wait_timeout=30
        )
        clients.append(client)
    ready.put(len(clients))
    deadline = time.monotonic() + 120
    while len(received) < expected * len(clients) and time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.05)
    results.put(received)
    for client in clients:
        client.disconnect()


def run_case(urls: list[str], cookies: list[str], room_id: int, clients: int, args) -> dict:
    """Connect ``clients`` receivers across ``args.workers`` processes, then send."""
    import socketio

    ctx = mp.get_context("spawn")
    ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    workers = []
    per = [list(range(i, clients, args.workers)) for i in range(args.workers)]
    for indexes in per:
        if not indexes:
            continue
        proc = ctx.Process(
            target=receivers,
            args=(
                [urls[i % len(urls)] for i in indexes],
                [cookies[i + 1] for i in indexes],
                args.messages,
                ready,
                results,
                stop,
            ),
        )
        proc.start()
        workers.append(proc)
    try:
        connected = sum(ready.get(timeout=180) for _ in workers)
        assert connected == clients
        sender = socketio.Client(reconnection=False)
        sender.connect(urls[0], headers={"Cookie": cookies[0]}, namespaces=[NS], transports=["websocket"])
        time.sleep(1)  # let presence chatter settle
        interval = 1 / args.rate
        start = time.time()
        for i in range(args.messages):
            target = start + i * interval
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            payload = {
                "channel_id": room_id,
                "body": f"{i}:{time.time():.6f}",
                "client_id": f"b{uuid.uuid4().hex}",
            }
            sender.emit("send", payload, namespace=NS)
        samples: list[tuple[float, float]] = []
        for _ in workers:
            samples.extend(results.get(timeout=180))
        sender.disconnect()
    finally:
        stop.set()
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    latencies = sorted((now - sent) * 1000 for sent, now in samples)
    first = min(sent for sent, _ in samples)
    last = max(now for _, now in samples)
    return {
        "clients": clients,
        "expected": clients * args.messages,
        "delivered": len(samples),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        "deliveries_per_s": round(len(samples) / (last - first)),
    }


def bench_setup(setup: str, clients: int, args) -> dict:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        procs: list[subprocess.Popen] = []
        try:
            if setup == "reference":
                port = free_port()
                procs.append(
                    subprocess.Popen(
                        [sys.executable, __file__, "--reference-server", str(port)],
                        cwd=ROOT,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
                urls = [f"http://127.0.0.1:{port}"]
                cookies = ["x=1"] * (clients + 1)
                room_id = 0
            else:
                queue = args.redis if setup == "guildhall-2" else None
                config = guildhall_config(tmp, queue)
                room_id, cookies = guildhall_data(tmp, config, clients)
                ports = [free_port() for _ in range(2 if setup == "guildhall-2" else 1)]
                procs.extend(start_guildhall(config, port, tmp) for port in ports)
                urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                wait_healthy(url + "/healthz")
            result = run_case(urls, cookies, room_id, clients, args)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    result["setup"] = setup
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--setups", nargs="+", default=["reference", "guildhall-1", "guildhall-2"])
    parser.add_argument("--messages", type=int, default=100, help="messages sent per case")
    parser.add_argument("--rate", type=float, default=40, help="messages per second from the sender")
    parser.add_argument("--workers", type=int, default=10, help="receiver processes")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--reference-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print JSON lines only")
    args = parser.parse_args()
    if args.reference_server:
        reference_server(args.reference_server)
        return
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    for clients in args.clients:
        for setup in args.setups:
            result = bench_setup(setup, clients, args)
            print(json.dumps(result) if args.json else _row(result), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


def _row(r: dict) -> str:
    return (
        f"{r['setup']:<12} clients={r['clients']:<4} delivered={r['delivered']}/{r['expected']} "
        f"p50={r['p50_ms']}ms p99={r['p99_ms']}ms max={r['max_ms']}ms deliveries/s={r['deliveries_per_s']}"
    )


if __name__ == "__main__":
    main()
