"""Page benchmark: Guildhall pages against a bare Flask route, under gunicorn.

    .venv/bin/python bench/pages.py                 # 100k posts, SQLite, 32 connections
    .venv/bin/python bench/pages.py --posts 20000 --seconds 5   # quicker
    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://…/bench

It builds a fresh instance in a temporary folder (schema, ``flask seed-demo --posts N``,
one bench member), serves it with gunicorn in production configuration and serves
``bench/bare.py`` with the same gunicorn settings, then drives both from a load
generator of keep-alive ``http.client`` connections (threads spread over a few
processes so the client is not limited by one GIL). Everything is on loopback, and
every scenario is bounded by a request count and a time limit.

Scenarios: the bare route; the latest topics page and a 20-reply topic page, each
anonymous (the shared page cache's case) and signed in (every connection signs in once
through the real login form, CSRF token included, and is served its own cached render
while nothing on the page changed); and, for information, the two signed-in pages from
a third server with ``PAGE_CACHE_SIGNED_IN=0``, which renders them on every request —
what a member pays after a write. Output: a table with requests/s,
p50, p99 and the ratio to the bare route, and ``bench/results/pages.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
BENCH_EMAIL = "bench-member-{}@bench.invalid"  # one member per connection, like real visitors
BENCH_PASSWORD = "bench-password-" + "x" * 12

# Targets from the performance issue.
TARGET_ANONYMOUS_RATIO = 0.60
TARGET_SIGNED_IN_RATIO = 0.30
TARGET_P99_MS = 50.0

PREPARE = r"""
import json, sys
import sqlalchemy as sa
from app import create_app
from app.accounts.confusables import skeleton
from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.core.db import utcnow
from app.extensions import db
from app.forums.models import Category, Topic

pattern, password, replies, members = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
app = create_app()
with app.app_context():
    password_hash = hash_password(password)
    for n in range(members):
        email = pattern.format(n)
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            name = f"Bench Member {n}"
            db.session.add(User(email=email, username=f"benchmember{n}", display_name=name,
                                display_skeleton=skeleton(name), role="member",
                                confirmed_at=utcnow(), password_hash=password_hash))
    db.session.commit()
    topic = db.session.scalar(
        sa.select(Topic).join(Category)
        .where(Topic.post_count == replies + 1, Topic.deleted_at.is_(None), Topic.hidden.is_(False),
               Category.view_policy == "everyone")
        .order_by(Topic.id).limit(1))
    if topic is None:
        sys.exit(f"no public topic with {replies} replies: does seed-demo still make them?")
    from app.forums.models import Post
    print(json.dumps({
        "topic_path": f"/t/{topic.id}-{topic.slug}",
        "posts": db.session.scalar(sa.select(sa.func.count()).select_from(Post)),
        "topics": db.session.scalar(sa.select(sa.func.count()).select_from(Topic)),
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
    }))
"""


# --- load generation ------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    port: int
    path: str
    signed_in: bool = False
    kind: str = "app"  # "bare", "anonymous", "signed-in"


@dataclass
class Result:
    name: str
    kind: str
    path: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cache_hits: int = 0
    rps_rounds: list[float] = field(default_factory=list)
    ratio_to_bare: float | None = None
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def _login(conn: http.client.HTTPConnection, email: str, password: str) -> dict[str, str]:
    """Sign in through the form; return the cookie jar holding the session."""
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookies = _cookies(response, {})
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise RuntimeError("no csrf_token on the login page")
    body = urlencode({"csrf_token": match.group(1), "email": email, "password": password})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies)}
    conn.request("POST", "/login", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError(f"login answered {response.status}, not a redirect")
    return _cookies(response, cookies)


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> dict[str, str]:
    jar = dict(jar)
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _connection_worker(
    scenario: Scenario,
    count: int,
    warmup: int,
    credentials: tuple[str, str],
    ready: mp.Queue,
    go: threading.Event,
    deadline_box: list[float],
    out: list,
) -> None:
    latencies: list[float] = []
    errors = 0
    hits = 0
    try:
        conn = http.client.HTTPConnection("127.0.0.1", scenario.port, timeout=30)
        headers: dict[str, str] = {}
        jar: dict[str, str] = {}
        if scenario.signed_in:
            jar = _login(conn, *credentials)
            headers["Cookie"] = _cookie_header(jar)
        for _ in range(warmup):
            conn.request("GET", scenario.path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            # Keep cookies as a browser does: the first page after sign-in shows and
            # clears the "welcome" flash, which changes the session cookie.
            if scenario.signed_in and response.getheader("Set-Cookie"):
                jar = _cookies(response, jar)
                headers["Cookie"] = _cookie_header(jar)
            if response.status != 200:
                raise RuntimeError(f"{scenario.path} answered {response.status} during warm-up")
            if scenario.signed_in and b"Sign out" not in body:
                raise RuntimeError("the signed-in page does not show 'Sign out': login did not stick")
    except Exception as error:
        ready.put(("error", repr(error)))
        out.append(([], 1, 0, 0.0, 0.0))
        return
    ready.put(("ready", ""))
    go.wait()
    deadline = deadline_box[0] if deadline_box else time.monotonic() + 30
    started = time.monotonic()
    finished = started
    for _ in range(count):
        t0 = time.perf_counter()
        try:
            conn.request("GET", scenario.path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            if response.getheader("X-Page-Cache") == "hit":
                hits += 1
            if scenario.signed_in and response.getheader("Set-Cookie"):
                jar = _cookies(response, jar)
                headers["Cookie"] = _cookie_header(jar)
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", scenario.port, timeout=30)
        latencies.append((time.perf_counter() - t0) * 1000)
        if not ok:
            errors += 1
        finished = time.monotonic()
        if finished >= deadline:
            break
    conn.close()
    out.append((latencies, errors, hits, started, finished))


def _client_process(
    scenario: Scenario,
    per_connection: int,
    warmup: int,
    credentials: list[tuple[str, str]],
    ready: mp.Queue,
    go: mp.Event,
    deadline: mp.Value,
    results: mp.Queue,
) -> None:
    out: list = []
    local_go = threading.Event()
    deadline_box: list[float] = []
    threads = [
        threading.Thread(
            target=_connection_worker,
            args=(scenario, per_connection, warmup, pair, ready, local_go, deadline_box, out),
            daemon=True,
        )
        for pair in credentials
    ]
    for thread in threads:
        thread.start()
    go.wait()
    deadline_box.append(deadline.value)
    local_go.set()
    for thread in threads:
        thread.join()
    latencies: list[float] = []
    errors = hits = 0
    starts, ends = [], []
    for lat, err, hit, start, end in out:
        latencies.extend(lat)
        errors += err
        hits += hit
        if lat:
            starts.append(start)
            ends.append(end)
    results.put((latencies, errors, hits, min(starts or [0.0]), max(ends or [0.0])))


def run_scenario(
    scenario: Scenario, args: argparse.Namespace, credentials: list[tuple[str, str]]
) -> tuple[list[float], int, int, float]:
    ctx = mp.get_context("fork")
    ready, results = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    deadline = ctx.Value("d", 0.0)
    processes = max(1, min(args.client_processes, args.connections))
    per_connection = max(1, args.requests // args.connections)
    workers = [
        ctx.Process(
            target=_client_process,
            args=(
                scenario,
                per_connection,
                args.warmup,
                credentials[i::processes],
                ready,
                go,
                deadline,
                results,
            ),
            daemon=True,
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    problems = []
    for _ in range(args.connections):
        status, detail = ready.get(timeout=600)
        if status != "ready":
            problems.append(detail)
    deadline.value = time.monotonic() + args.seconds
    go.set()
    latencies: list[float] = []
    errors = hits = 0
    starts, ends = [], []
    for _ in workers:
        lat, err, hit, start, end = results.get(timeout=args.seconds + 120)
        latencies.extend(lat)
        errors += err
        hits += hit
        if lat:
            starts.append(start)
            ends.append(end)
    for worker in workers:
        worker.join(timeout=10)
    if problems:
        raise RuntimeError(f"{scenario.name}: {len(problems)} connections failed to start: {problems[0]}")
    elapsed = (max(ends) - min(starts)) if starts else 0.0
    return latencies, errors, hits, elapsed


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


# --- servers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int, path: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)  # bench start-up polling only; the tests never sleep
    raise RuntimeError(f"server on port {port} did not come up in {timeout}s")


def _gunicorn(
    app_spec: str, port: int, env: dict[str, str], args: argparse.Namespace, log: Path, chdir: Path
):
    command = [
        str(VENV_BIN / "gunicorn"),
        "-w",
        str(args.workers),
        "--threads",
        str(args.threads),
        "-b",
        f"127.0.0.1:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        # gunicorn closes idle keep-alive connections after 2 s by default; a connection
        # that waited that long for the other client processes to warm up then failed
        # its first timed request, which showed up as "errors" in slow scenarios.
        "--keep-alive",
        "60",
        app_spec,
    ]
    handle = log.open("wb")
    return subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: only the gunicorn we started
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    print(f"  {what}: {time.perf_counter() - started:.1f}s")
    return done.stdout


def prepare_instance(instance: Path, args: argparse.Namespace) -> tuple[dict[str, str], dict]:
    env = {
        **os.environ,
        "GUILDHALL_INSTANCE": str(instance),
        "GUILDHALL_CONFIG": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FLASK_APP": "wsgi",
        # 32 connections sign in from one address; the login limit is for people.
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    python = str(VENV_BIN / "python")
    _run(
        [
            python,
            "-c",
            "from app import create_app\nfrom app.extensions import db\n"
            "app = create_app()\nwith app.app_context(): db.create_all()",
        ],
        env,
        "schema (create_all)",
    )
    help_text = subprocess.run(
        [str(VENV_BIN / "flask"), "--help"], env=env, cwd=ROOT, capture_output=True, text=True
    ).stdout
    if "seed-demo" not in help_text:
        raise RuntimeError("`flask seed-demo` is not available; it seeds the benchmark data")
    _run(
        [str(VENV_BIN / "flask"), "seed-demo", "--posts", str(args.posts), "--no-search-index"],
        env,
        f"seed-demo --posts {args.posts}",
    )
    out = _run(
        [python, "-c", PREPARE, BENCH_EMAIL, BENCH_PASSWORD, "20", str(args.connections)],
        env,
        f"{args.connections} bench members and a 20-reply topic",
    )
    facts = json.loads(out.strip().splitlines()[-1])
    print(f"  data: {facts['posts']} posts in {facts['topics']} topics, {facts['users']} users")
    return env, facts


# --- main ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: SQLite in the temporary instance folder")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=12000, help="per scenario and round (upper bound)")
    parser.add_argument("--seconds", type=float, default=12.0, help="per scenario and round (upper bound)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of every scenario")
    parser.add_argument("--warmup", type=int, default=3, help="requests per connection before timing")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="guildhall-bench-"))
    instance = workdir / "instance"
    app_server = bare_server = render_server = None
    try:
        print(f"Preparing {instance} …")
        env, facts = prepare_instance(instance, args)
        topic_path = facts["topic_path"]
        app_port, bare_port, render_port = _free_port(), _free_port(), _free_port()
        app_server = _gunicorn("wsgi:app", app_port, env, args, workdir / "app.log", ROOT)
        bare_server = _gunicorn("bare:app", bare_port, env, args, workdir / "bare.log", ROOT / "bench")
        # The same app with signed-in pages rendered on every request: what a member
        # pays when something on the page changed since their last view.
        render_env = {**env, "PAGE_CACHE_SIGNED_IN": "0"}
        render_server = _gunicorn("wsgi:app", render_port, render_env, args, workdir / "render.log", ROOT)
        _wait_until_up(app_port, "/healthz", app_server)
        _wait_until_up(bare_port, "/", bare_server)
        _wait_until_up(render_port, "/healthz", render_server)

        scenarios = [
            Scenario("bare Flask route", bare_port, "/", kind="bare"),
            Scenario("bare route, 20 KB body (info)", bare_port, "/sized", kind="info"),
            Scenario("latest topics, anonymous", app_port, "/", kind="anonymous"),
            Scenario("topic with 20 replies, anonymous", app_port, topic_path, kind="anonymous"),
            Scenario("latest topics, signed in", app_port, "/", signed_in=True, kind="signed-in"),
            Scenario(
                "topic with 20 replies, signed in", app_port, topic_path, signed_in=True, kind="signed-in"
            ),
            Scenario("latest, signed in, rendered (info)", render_port, "/", signed_in=True, kind="info"),
            Scenario(
                "topic, signed in, rendered (info)", render_port, topic_path, signed_in=True, kind="info"
            ),
        ]
        credentials = [(BENCH_EMAIL.format(n), BENCH_PASSWORD) for n in range(args.connections)]
        # Rounds interleave the scenarios so a burst of other load on the machine
        # hits all of them alike; requests/s is the median over the rounds.
        runs: dict[str, list[tuple[list[float], int, int, float]]] = {s.name: [] for s in scenarios}
        for round_number in range(1, args.rounds + 1):
            for scenario in scenarios:
                print(f"  round {round_number}: {scenario.name} ({scenario.path})", flush=True)
                runs[scenario.name].append(run_scenario(scenario, args, credentials))
        results = [_summarise(scenario, runs[scenario.name]) for scenario in scenarios]
        _judge(results)
        _print_table(results, args)
        report = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {
                "cpus": os.cpu_count(),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "platform": platform.platform(),
                "python": platform.python_version(),
            },
            "settings": {
                "posts_requested": args.posts,
                "data": {k: v for k, v in facts.items() if k != "topic_path"},
                "database": "SQLite (instance folder)" if not args.database_url else "DATABASE_URL",
                "connections": args.connections,
                "gunicorn": f"-w {args.workers} --threads {args.threads}",
                "client_processes": args.client_processes,
                "rounds": args.rounds,
                "requests_bound": args.requests,
                "seconds_bound": args.seconds,
            },
            "results": [asdict(r) for r in results],
        }
        (RESULTS / "pages.json").write_text(json.dumps(report, indent=2))
        print(f"\nwrote {RESULTS / 'pages.json'}")
        return 0
    finally:
        _stop(app_server)
        _stop(bare_server)
        _stop(render_server)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _summarise(scenario: Scenario, rounds: list[tuple[list[float], int, int, float]]) -> Result:
    rates = sorted(len(lat) / elapsed for lat, _, _, elapsed in rounds if elapsed)
    latencies = sorted(value for lat, _, _, _ in rounds for value in lat)
    result = Result(
        name=scenario.name,
        kind=scenario.kind,
        path=scenario.path,
        requests=len(latencies),
        errors=sum(err for _, err, _, _ in rounds),
        seconds=round(sum(elapsed for *_, elapsed in rounds), 2),
        rps=round(statistics.median(rates), 1) if rates else 0.0,
        p50_ms=round(_percentile(latencies, 0.50), 2),
        p90_ms=round(_percentile(latencies, 0.90), 2),
        p99_ms=round(_percentile(latencies, 0.99), 2),
        max_ms=round(latencies[-1], 2) if latencies else float("nan"),
        cache_hits=sum(hits for _, _, hits, _ in rounds),
    )
    result.rps_rounds = [round(rate, 1) for rate in rates]
    return result


def _judge(results: list[Result]) -> None:
    bare = next((r for r in results if r.kind == "bare"), None)
    for result in results:
        if bare and bare.rps and result.kind != "bare":
            result.ratio_to_bare = round(result.rps / bare.rps, 3)
        if result.kind == "anonymous":
            result.target = f">= {TARGET_ANONYMOUS_RATIO:.0%} of bare, p99 < {TARGET_P99_MS:.0f} ms"
            ratio_ok = (result.ratio_to_bare or 0) >= TARGET_ANONYMOUS_RATIO
        elif result.kind == "signed-in":
            result.target = f">= {TARGET_SIGNED_IN_RATIO:.0%} of bare, p99 < {TARGET_P99_MS:.0f} ms"
            ratio_ok = (result.ratio_to_bare or 0) >= TARGET_SIGNED_IN_RATIO
        else:
            continue
        result.met = ratio_ok and result.p99_ms < TARGET_P99_MS and result.errors == 0
        if result.errors:
            result.notes.append(f"{result.errors} errors")


def _span(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}" if values else "—"


def _print_table(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\n{args.connections} connections, gunicorn -w {args.workers} --threads {args.threads}, "
        f"{os.cpu_count()} CPUs, {args.posts} posts\n"
    )
    header = (
        f"{'scenario':<36} {'req/s':>8} {'rounds min-max':>15} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'vs bare':>8} {'hits':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio_to_bare:.0%}" if r.ratio_to_bare is not None else "—"
        verdict = "" if r.met is None else ("met" if r.met else "MISSED")
        print(
            f"{r.name:<36} {r.rps:>8.1f} {_span(r.rps_rounds):>15} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {ratio:>8} {r.cache_hits:>6}  "
            f"{verdict} {r.target}".rstrip()
        )


if __name__ == "__main__":
    sys.exit(main())
