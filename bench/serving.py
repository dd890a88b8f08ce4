"""Serving configurations compared: chat fan-out and pages, the same run, the same machine.

    .venv/bin/python bench/serving.py                       # PostgreSQL, 200 chat clients, 2 rounds
    .venv/bin/python bench/serving.py --rounds 1 --clients 50 --seconds 3   # quicker

Configurations, each one gunicorn process (``-w 1``: Socket.IO connections are
stateful, more capacity is more such processes behind sticky sessions and Redis):
  threads-direct  ``gunicorn -w 1 --threads T`` with ``SOCKETIO_DIRECT_WRITES=1``
                  (``app/chat/direct_writes.py``: broadcasts written by the emitting thread)
  gevent          ``gunicorn -k gevent -w 1 --worker-connections 1000``: the gevent worker
                  as Flask-SocketIO's deployment guide gives it; the app sees the
                  monkey-patched standard library and runs python-engineio's gevent
                  driver (simple-websocket on gevent's primitives); psycopg 3 waits
                  cooperatively under the patching, redis-py uses the patched sockets
  threads         ``gunicorn -w 1 --threads T`` with ``SOCKETIO_DIRECT_WRITES=0``
                  (python-engineio's writer thread per connection)
T is the chat clients plus the page connections plus a margin: in threading mode every
open WebSocket holds one of gunicorn's threads.

One instance (production configuration, PostgreSQL by default, ``flask seed-demo``)
serves all of them. Rounds run every configuration in turn (a, b, c, a, b, c, …) so
the other load on a shared machine hits each alike. In each, with its server freshly
started: ``bench/chat.py``'s case (one room of ``--clients`` members, one sender, its
peak phase, and its capacity phase with ``--capacity-rate 160``), then
``bench/pages.py``'s scenarios (anonymous latest topics from the page cache, and a
signed-in topic page rendered on every request: ``PAGE_CACHE_SIGNED_IN=0``, so the
database and templates are in the path). The load
average is printed before each configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import chat  # noqa: E402 - bench/chat.py
import pages  # noqa: E402 - bench/pages.py

CONFIGURATIONS = {
    "threads-direct": ({"SOCKETIO_DIRECT_WRITES": "1"}, ["--threads", "{threads}"]),
    "gevent": ({}, ["-k", "gevent", "--worker-connections", "1000"]),
    "threads": ({"SOCKETIO_DIRECT_WRITES": "0"}, ["--threads", "{threads}"]),
}


def create_database(admin_url: str) -> str:
    """A fresh, empty PostgreSQL database next to ``admin_url``'s; returns its URL."""
    name = f"guildhall_bench_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return str(sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False))


def drop_database(admin_url: str, url: str) -> None:
    name = sa.engine.make_url(url).database
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def reuse_instance(instance: Path, args: argparse.Namespace) -> tuple[dict[str, str], dict]:
    """``pages.prepare_instance``'s environment and facts for a database it seeded
    before (``--prepare-only``): only its idempotent last step runs again."""
    env = {
        **os.environ,
        "GUILDHALL_INSTANCE": str(instance),
        "GUILDHALL_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLASK_APP": "wsgi",
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DATABASE_URL": args.database_url,
    }
    out = pages._run(
        [
            str(pages.VENV_BIN / "python"),
            "-c",
            pages.PREPARE,
            pages.BENCH_EMAIL,
            pages.BENCH_PASSWORD,
            "20",
            str(args.connections),
        ],
        env,
        "bench members and a 20-reply topic",
    )
    return env, json.loads(out.strip().splitlines()[-1])


def chat_room(env: dict[str, str], clients: int) -> tuple[int, list[str]]:
    """The bench room and its members in the instance; one session cookie per member
    (the sender first). Runs in this process with the instance's environment."""
    os.environ.update(env)
    from app import create_app
    from app.accounts.models import User
    from app.accounts.sessions import open_session
    from app.chat.models import ChatChannel, ChatMembership
    from app.core.db import utcnow
    from app.extensions import db

    app = create_app()
    run = uuid.uuid4().hex[:6]  # a database reused by several runs gets new members each time
    with app.app_context():
        users = [
            User(
                email=f"chatbench{run}x{i}@bench.invalid",
                username=f"chatbench{run}x{i}",
                display_name=f"Chat Bench {run} {i}",
                display_skeleton=f"chatbench{run}x{i}",
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
        session_ids = [open_session(user) for user in users]
        db.session.commit()
        with app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": chat.USER_AGENT}
        ):
            identifier = app.login_manager._session_identifier_generator()
        serializer = app.session_interface.get_signing_serializer(app)
        name = app.config["SESSION_COOKIE_NAME"]
        cookies = [
            f"{name}={serializer.dumps({'_user_id': sid, '_fresh': True, '_id': identifier})}"
            for sid in session_ids
        ]
        room_id = room.id
        db.engine.dispose()
    return room_id, cookies


def start_server(configuration: str, env: dict[str, str], port: int, threads: int, log: Path):
    extra_env, options = CONFIGURATIONS[configuration]
    command = [
        str(pages.VENV_BIN / "gunicorn"),
        "-w",
        "1",
        *(option.format(threads=threads) for option in options),
        "-b",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
        "--keep-alive",
        "60",
        "wsgi:app",
    ]
    handle = log.open("ab")
    return subprocess.Popen(
        command,
        env={**env, **extra_env},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def server_pids(master: int) -> list[int]:
    """gunicorn's master and its workers (the CPU that serving costs)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *(int(pid) for pid in children)]


def run_configuration(configuration: str, env, port_env, room_id, cookies, topic_path, args, workdir):
    port = pages._free_port()
    threads = args.clients + args.connections + 50
    server = start_server(configuration, {**env, **port_env}, port, threads, workdir / f"{configuration}.log")
    try:
        pages._wait_until_up(port, "/healthz", server)
        url = f"http://127.0.0.1:{port}"
        chat_results = chat.run_case([url], cookies, room_id, args.clients, args, server_pids(server.pid))
        for r in chat_results:
            print("   " + chat._row(r | {"setup": configuration}), flush=True)
        scenarios = [
            pages.Scenario("latest topics, anonymous (cached)", port, "/", kind="anonymous"),
            pages.Scenario("topic, signed in, rendered", port, topic_path, signed_in=True, kind="signed-in"),
        ]
        credentials = [(pages.BENCH_EMAIL.format(n), pages.BENCH_PASSWORD) for n in range(args.connections)]
        page_results = {}
        for scenario in scenarios:
            try:
                page_results[scenario.name] = pages.run_scenario(scenario, args, credentials)
            except RuntimeError as error:  # e.g. sign-ins that timed out: recorded, not fatal
                print(f"   {scenario.name}: FAILED {error}", flush=True)
                page_results[scenario.name] = ([], args.connections, 0, 0.0)
                continue
            latencies, errors, _, elapsed = page_results[scenario.name]
            ordered = sorted(latencies)
            print(
                f"   {scenario.name:<36} {len(latencies) / elapsed if elapsed else 0:8.1f} req/s "
                f"p50 {pages._percentile(ordered, 0.5):.1f} p99 {pages._percentile(ordered, 0.99):.1f} ms"
                f" errors {errors}",
                flush=True,
            )
    finally:
        pages._stop(server)
    return chat_results, page_results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--configurations", nargs="+", default=list(CONFIGURATIONS), choices=list(CONFIGURATIONS)
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--admin-database-url",
        default=os.environ.get(
            "BENCH_ADMIN_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL database to create the bench database from ('sqlite' for SQLite)",
    )
    parser.add_argument("--database-url", help="a PostgreSQL database to use (kept); default: a new one")
    parser.add_argument("--prepare-only", action="store_true", help="seed a new database, keep it, stop")
    parser.add_argument("--reuse", action="store_true", help="--database-url was seeded by --prepare-only")
    parser.add_argument("--posts", type=int, default=5_000)
    # bench/chat.py's case
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="chat receiver processes")
    parser.add_argument("--client-mode", default="async", choices=["async", "thread"])
    parser.add_argument("--rate", dest="peak_rate", type=float, default=40)
    parser.add_argument("--messages", dest="peak_messages", type=int, default=120)
    # 0: no capacity phase (on a loaded two-core machine the peak already saturates)
    parser.add_argument("--capacity-rate", dest="capacity_rate", type=float, default=0)
    parser.add_argument("--capacity-messages", dest="capacity_messages", type=int, default=160)
    # bench/pages.py's scenarios
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (servers' logs)")
    parser.add_argument("--json-out", default=str(pages.RESULTS / "serving.json"))
    args = parser.parse_args()
    args.unsaturated_rate = 0  # chat.run_case skips a phase whose rate is 0
    args.unsaturated_messages = 0

    print(
        f"start {time.strftime('%H:%M:%S')} load average {os.getloadavg()} cpus {os.cpu_count()}", flush=True
    )
    workdir = Path(tempfile.mkdtemp(prefix="guildhall-serving-"))
    owned = None  # a database this run created, and drops at the end
    if args.database_url:
        database_url = args.database_url
    elif args.admin_database_url != "sqlite":
        database_url = owned = create_database(args.admin_database_url)
    else:
        database_url = None
    args.database_url = database_url
    runs: dict[str, list] = {name: [] for name in args.configurations}
    try:
        if args.reuse:
            env, facts = reuse_instance(workdir / "instance", args)
        else:
            env, facts = pages.prepare_instance(workdir / "instance", args)
        if args.prepare_only:
            owned = None
            print(f"prepared {database_url}; run again with --database-url {database_url} --reuse")
            return 0
        env = {
            **env,
            "CHAT_RATE_LIMIT": "100000 per second",
            "SOCKETIO_CHANNEL": f"guildhall-bench-{uuid.uuid4().hex}",
            "PAGE_CACHE_SIGNED_IN": "0",
            # The bench speaks plain HTTP on loopback; production's secure cookie would
            # be right behind TLS and is irrelevant to what is measured.
            "SESSION_COOKIE_SECURE": "0",
        }
        room_id, cookies = chat_room(env, args.clients)
        for round_number in range(1, args.rounds + 1):
            for name in args.configurations:
                load = [round(x, 2) for x in os.getloadavg()]
                print(f"round {round_number} {name}: {time.strftime('%H:%M:%S')} load {load}", flush=True)
                chat_results, page_results = run_configuration(
                    name, env, {}, room_id, cookies, facts["topic_path"], args, workdir
                )
                runs[name].append({"load": load, "chat": chat_results, "pages": page_results})
        print(f"end {time.strftime('%H:%M:%S')} load average {os.getloadavg()}", flush=True)
        summary = summarise(runs)
        print(json.dumps(summary, indent=1))
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps({"summary": summary, "runs": runs}, default=str))
        return 0
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if owned:
            drop_database(args.admin_database_url, owned)


def summarise(runs: dict[str, list]) -> dict:
    """Per configuration: each chat phase's p99 and deliveries/s and server CPU per
    message, and each page's req/s, per round (the rounds side by side, not averaged)."""
    out: dict[str, dict] = {}
    for name, rounds in runs.items():
        entry: dict[str, list] = {}
        for run in rounds:
            for r in run["chat"]:
                entry.setdefault(f"chat {r['phase']}", []).append(
                    f"p99 {r.get('p99_ms')} ms, {r.get('deliveries_per_s')}/s, "
                    f"CPU {r['server_cpu_ms_per_message']} ms/msg" + ("" if r["drained"] else ", NOT DRAINED")
                )
            for scenario, (latencies, errors, _, elapsed) in run["pages"].items():
                ordered = sorted(latencies)
                entry.setdefault(scenario, []).append(
                    f"{len(latencies) / elapsed if elapsed else 0:.0f} req/s, "
                    f"p99 {pages._percentile(ordered, 0.99):.1f} ms"
                    + (f", {errors} errors" if errors else "")
                )
        entry["load"] = [run["load"] for run in rounds]
        out[name] = entry
    for name, rounds in runs.items():
        peaks = [r["p99_ms"] for run in rounds for r in run["chat"] if r["phase"] == "peak" and "p99_ms" in r]
        out[name]["median chat peak p99"] = statistics.median(peaks) if peaks else None
    return out


if __name__ == "__main__":
    sys.exit(main())
