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
WebSocket; by default all of a worker's clients share one asyncio loop, see
``receivers``). One more client sends messages paced at a fixed rate, each carrying
its send time; every receiver records its receipt time. All processes share one clock
(one machine), so latency = receipt − send. Deliveries/s = deliveries received /
(last receipt − first send).

Each case has three phases on the same connections, each started once every receiver
has all of the previous one (and a quiet second):
  peak         ``--messages`` at ``--rate`` (40/s: 8,000 deliveries/s at 200 clients,
               the load the issue's reference figure was taken at)
  unsaturated  ``--unsaturated-messages`` at ``--unsaturated-rate`` (10/s: 2,000/s),
               well within every setup's capacity: the latency of the stack itself
  capacity     ``--capacity-messages`` at ``--capacity-rate`` (160/s: 32,000/s
               offered), more than the bare room serves here, so its deliveries/s
               is that setup's ceiling and its latency mostly queueing; a setup
               that delivers nearly all of it has a higher ceiling (raise the rate)
"first-receipt" is each message's earliest receipt by any client: the server's
handling plus one delivery. When it is close to the full latency, messages queued
before the fan-out (in the handler), not in it.

Guildhall sends a room's messages stored together (its group commit) as one
``new_messages`` event; the receivers count each message in it. "events" is the
number of Socket.IO events the receivers got (the reference: one per message), and
"server CPU/message" the server processes' user + system CPU from the first send
of a phase until every receiver has its last message, divided by the messages sent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FLASK = str(Path(sys.executable).with_name("flask"))
NS = "/chat"
USER_AGENT = "guildhall-bench"
# The phases, in the order they run: name, rate and message-count options, their
# defaults, and what the phase shows (see the module docstring).
PHASES = (
    ("peak", "--rate", "--messages", 40, 300, "the issue's reference load"),
    (
        "unsaturated",
        "--unsaturated-rate",
        "--unsaturated-messages",
        10,
        100,
        "well within every setup's capacity",
    ),
    (
        "capacity",
        "--capacity-rate",
        "--capacity-messages",
        160,
        480,
        "more than the bare room serves: its ceiling",
    ),
)


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
    from app.accounts.sessions import open_session
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
        session_ids = [open_session(user) for user in users]  # the loader accepts only live sessions
        db.session.commit()
        # The session a sign-in from this address and browser leaves: with "basic"
        # protection, one without a matching "_id" is marked not fresh on every event,
        # which re-signs a cookie no one receives.
        with app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            identifier = app.login_manager._session_identifier_generator()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [
            f"session={serializer.dumps({'_user_id': session_id, '_fresh': True, '_id': identifier})}"
            for session_id in session_ids
        ]
        room_id = room.id
        db.engine.dispose()
    return room_id, cookies


def start_guildhall(config: dict, port: int, tmp: Path, log: Path | None = None) -> subprocess.Popen:
    args = ", ".join(f"{key}={value!r}" for key, value in config.items())
    env = dict(os.environ, GUILDHALL_INSTANCE=str(tmp / "instance"))
    env.pop("FLASK_APP", None)
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [FLASK, "--app", f'app:create_app("development", {args})', "run-server", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=out,
    )


# --- clients ---------------------------------------------------------------------------


def _connect_options(cookie: str) -> dict:
    """``connect`` arguments every bench client uses: a member's session over WebSocket."""
    return {
        "headers": {"Cookie": cookie, "User-Agent": USER_AGENT},
        "namespaces": [NS],
        "transports": ["websocket"],
        "wait_timeout": 30,
    }


def _parse(data, phases: list[int]) -> tuple[int, float] | None:
    """A receipt's (phase, send time), or None for anything that is not the sender's."""
    try:
        phase, _, sent = str(data["body"]).split(":", 2)
        phase_index, sent_at = int(phase), float(sent)
    except (KeyError, TypeError, ValueError):
        return None
    return (phase_index, sent_at) if 0 <= phase_index < len(phases) else None


def receivers(
    mode: str, urls: list[str], cookies: list[str], phases: list[int], ready, progress, results, stop
) -> None:
    """One worker process holding several receiving clients.

    ``phases`` is the number of messages sent in each phase; a message's body is
    ``"<phase>:<index>:<send time>"``. The worker tells ``progress`` when its clients
    have every message of a phase, so the sender can start the next one on a drained
    server.

    ``mode`` "async" runs every client of the worker on one asyncio loop
    (``socketio.AsyncClient`` over aiohttp); "thread" gives each client its own
    reader threads (``socketio.Client``), as the earlier runs did. At 200 clients
    the thread clients spent about three times the server's CPU on receiving, so
    on 2 cores they, not the server, set the ceiling; the async ones cost a
    fraction of that and leave the cores to the server under test.
    """
    received: list[tuple[int, float, float, bool]] = []
    counts = [0] * len(phases)
    expected = [count * len(urls) for count in phases]

    def record(data, first_of_event: bool = True) -> None:
        now = time.time()
        parsed = _parse(data, phases)
        if parsed is None:
            return
        received.append((parsed[0], parsed[1], now, first_of_event))
        counts[parsed[0]] += 1
        if counts[parsed[0]] == expected[parsed[0]]:
            progress.put(parsed[0])

    def record_batch(batch) -> None:
        """Guildhall's ``new_messages``: several of the room's messages in one event."""
        for index, message in enumerate(batch.get("messages") or ()):
            record(message, index == 0)

    deadline = time.monotonic() + 120 * len(phases)

    def finished() -> bool:
        return len(received) >= sum(expected) or time.monotonic() > deadline or stop.is_set()

    if mode == "async":
        _receive_async(urls, cookies, record, record_batch, finished, ready)
    else:
        _receive_threads(urls, cookies, record, record_batch, finished, ready)
    results.put(received)


def _receive_async(urls, cookies, record, record_batch, finished, ready) -> None:
    import asyncio

    import socketio

    async def main() -> None:
        clients = [socketio.AsyncClient(reconnection=False) for _ in urls]
        for client in clients:
            client.on("new_message", record, namespace=NS)
            client.on("new_messages", record_batch, namespace=NS)
        connections = list(zip(clients, urls, cookies, strict=True))
        batch = 25  # connect in small batches: a burst of 200 handshakes is not what we measure
        for start in range(0, len(connections), batch):
            await asyncio.gather(
                *(
                    client.connect(url, **_connect_options(cookie))
                    for client, url, cookie in connections[start : start + batch]
                )
            )
        ready.put(len(clients))
        while not finished():
            await asyncio.sleep(0.05)
        await asyncio.gather(*(client.disconnect() for client in clients))

    asyncio.run(main())


def _receive_threads(urls, cookies, record, record_batch, finished, ready) -> None:
    import socketio

    lock = threading.Lock()

    def locked(data) -> None:
        with lock:
            record(data)

    def locked_batch(batch) -> None:
        with lock:
            record_batch(batch)

    clients = []
    for url, cookie in zip(urls, cookies, strict=True):
        client = socketio.Client(reconnection=False)
        client.on("new_message", locked, namespace=NS)
        client.on("new_messages", locked_batch, namespace=NS)
        client.connect(url, **_connect_options(cookie))
        clients.append(client)
    ready.put(len(clients))
    while not finished():
        time.sleep(0.05)
    for client in clients:
        client.disconnect()


def server_cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU the server processes have used so far (Linux ``/proc``)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def run_case(
    urls: list[str], cookies: list[str], room_id: int, clients: int, args, server_pids: list[int]
) -> list[dict]:
    """Connect ``clients`` receivers across ``args.workers`` processes, then send each
    of ``PHASES`` whose rate is not 0 on the same connections, each once every
    receiver has the previous one's messages."""
    import socketio

    phases = [
        (name, getattr(args, f"{name}_rate"), getattr(args, f"{name}_messages"))
        for name, *_ in PHASES
        if getattr(args, f"{name}_rate")
    ]
    ctx = mp.get_context("spawn")
    ready, progress, results, stop = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
    workers = []
    per = [list(range(i, clients, args.workers)) for i in range(args.workers)]
    for indexes in per:
        if not indexes:
            continue
        proc = ctx.Process(
            target=receivers,
            args=(
                args.client_mode,
                [urls[i % len(urls)] for i in indexes],
                [cookies[i + 1] for i in indexes],
                [count for _, _, count in phases],
                ready,
                progress,
                results,
                stop,
            ),
        )
        proc.start()
        workers.append(proc)
    drained: list[bool] = []
    cpu: list[float] = []  # the servers' CPU seconds per phase
    refused: list[list] = [[] for _ in phases]  # the server's error events, per phase
    current = [0]
    try:
        connected = sum(ready.get(timeout=180) for _ in workers)
        assert connected == clients
        sender = socketio.Client(reconnection=False)
        sender.on("error", lambda data: refused[current[0]].append(data), namespace=NS)
        sender.connect(urls[0], **_connect_options(cookies[0]))
        time.sleep(1)  # let presence chatter settle
        for phase, (_, rate, count) in enumerate(phases):
            current[0] = phase
            before = server_cpu_seconds(server_pids)
            _send(sender, room_id, phase, rate, count)
            drained.append(_wait_for_phase(progress, phase, len(workers)))
            cpu.append(server_cpu_seconds(server_pids) - before)
            time.sleep(1)  # a quiet second between phases
        samples: list[tuple[int, float, float, bool]] = []
        for _ in workers:
            samples.extend(results.get(timeout=180))
        sender.disconnect()
    finally:
        stop.set()
        for proc in workers:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()
    return [
        _summary([(sent, now) for p, sent, now, _ in samples if p == phase], clients, rate, count)
        | {
            "events": sum(first for p, _, _, first in samples if p == phase),
            "phase": name,
            "drained": drained[phase],
            "send_errors": refused[phase],
            "server_cpu_ms_per_message": round(cpu[phase] * 1000 / count, 2),
        }
        for phase, (name, rate, count) in enumerate(phases)
    ]


def _send(sender, room_id: int, phase: int, rate: float, count: int) -> None:
    """Send ``count`` messages paced at ``rate`` per second (on schedule, not after
    each other: a late send does not push the next ones back)."""
    interval = 1 / rate
    start = time.time()
    for i in range(count):
        delay = start + i * interval - time.time()
        if delay > 0:
            time.sleep(delay)
        payload = {
            "channel_id": room_id,
            "body": f"{phase}:{i}:{time.time():.6f}",
            "client_id": f"b{uuid.uuid4().hex}",
        }
        sender.emit("send", payload, namespace=NS)


def _wait_for_phase(progress, phase: int, workers: int, timeout: float = 120) -> bool:
    """Wait until every worker has all of ``phase``'s messages; False on time-out."""
    deadline = time.monotonic() + timeout
    done = 0
    while done < workers:
        try:
            if progress.get(timeout=max(0.1, deadline - time.monotonic())) == phase:
                done += 1
        except queue.Empty:
            return False
    return True


def _summary(samples: list[tuple[float, float]], clients: int, rate: float, count: int) -> dict:
    expected = clients * count
    if not samples:
        return {"clients": clients, "rate": rate, "expected": expected, "delivered": 0}
    latencies = sorted((now - sent) * 1000 for sent, now in samples)
    first = min(sent for sent, _ in samples)
    last = max(now for _, now in samples)
    # Per message, its first receipt anywhere: the server's handling time plus one
    # delivery. When this grows over a run, messages queue before the fan-out does.
    first_receipt: dict[float, float] = {}
    for sent, now in samples:
        first_receipt[sent] = min(now, first_receipt.get(sent, now))
    handling = sorted((now - sent) * 1000 for sent, now in first_receipt.items())
    return {
        "clients": clients,
        "rate": rate,
        "expected": expected,
        "delivered": len(samples),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": _percentile(latencies, 99),
        "max_ms": round(latencies[-1], 1),
        "first_p50_ms": _percentile(handling, 50),
        "first_p99_ms": _percentile(handling, 99),
        "deliveries_per_s": round(len(samples) / (last - first)),
        "offered_per_s": round(clients * rate),
    }


def _percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (what the earlier runs used)."""
    return round(ordered[max(0, int(len(ordered) * pct / 100) - 1)], 1)


def bench_setup(setup: str, clients: int, args) -> list[dict]:
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
                message_queue = args.redis if setup == "guildhall-2" else None
                config = guildhall_config(tmp, message_queue)
                room_id, cookies = guildhall_data(tmp, config, clients)
                ports = [free_port() for _ in range(2 if setup == "guildhall-2" else 1)]
                log = Path(args.server_log) if args.server_log else None
                procs.extend(start_guildhall(config, port, tmp, log) for port in ports)
                urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                wait_healthy(url + "/healthz")
            results = run_case(urls, cookies, room_id, clients, args, [proc.pid for proc in procs])
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    return [result | {"setup": setup} for result in results]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--setups", nargs="+", default=["reference", "guildhall-1", "guildhall-2"])
    for name, rate_option, messages_option, rate, messages, shows in PHASES:
        parser.add_argument(
            rate_option,
            dest=f"{name}_rate",
            type=float,
            default=rate,
            help=f"messages per second from the sender in the {name} phase, {shows} (0: skip it)",
        )
        parser.add_argument(
            messages_option,
            dest=f"{name}_messages",
            type=int,
            default=messages,
            help=f"messages sent in the {name} phase",
        )
    parser.add_argument("--workers", type=int, default=4, help="receiver processes")
    parser.add_argument(
        "--client-mode",
        choices=["async", "thread"],
        default="async",
        help="receivers on one asyncio loop per worker (default) or a thread per client",
    )
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--reference-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print JSON lines only")
    parser.add_argument("--server-log", help="append Guildhall servers' output to this file")
    args = parser.parse_args()
    if args.reference_server:
        reference_server(args.reference_server)
        return
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    for clients in args.clients:
        for setup in args.setups:
            for result in bench_setup(setup, clients, args):
                print(json.dumps(result) if args.json else _row(result), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)


def _row(r: dict) -> str:
    if not r["delivered"]:
        return f"{r['setup']:<12} clients={r['clients']:<4} rate={r['rate']:g}/s delivered=0/{r['expected']}"
    return (
        f"{r['setup']:<12} clients={r['clients']:<4} {r['phase']:<11} rate={r['rate']:g}/s "
        f"delivered={r['delivered']}/{r['expected']} p50={r['p50_ms']}ms p99={r['p99_ms']}ms "
        f"max={r['max_ms']}ms first-receipt p50={r['first_p50_ms']}ms p99={r['first_p99_ms']}ms "
        f"deliveries/s={r['deliveries_per_s']} (offered {r['offered_per_s']}) "
        f"events={r['events']} server CPU/message={r['server_cpu_ms_per_message']}ms"
        + ("" if r["drained"] else " NOT DRAINED")
        + (f" SEND ERRORS={len(errors)} (first: {errors[0]})" if (errors := r.get("send_errors")) else "")
    )


if __name__ == "__main__":
    main()
