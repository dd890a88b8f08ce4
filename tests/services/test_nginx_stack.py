"""The shipped deployment, for real: Debian's nginx with ``deploy/nginx/`` in front of
two gunicorn processes (``deploy/gunicorn.conf.py``) on PostgreSQL and Redis, plus the
background worker.

nginx runs the shipped files with only its listen port, the upstream ports and the
static folder substituted. nginx keeps each client on one process by its address
(``hash $remote_addr``), so the test plays two visitors from two loopback addresses
(127.0.0.x) that land on different processes, found by asking and reading each
process's access log. Then it proves: pages come through nginx and static files come
from nginx itself; a chat message sent on one process reaches a socket held by the
other; a reply written on one process invalidates the page the other had cached; and
the posting rate limit counts one budget across both processes.
"""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.production import ensure_database
from tests.factories import PASSWORD, make_topic, make_user
from tests.live import NS, free_port, wait_for
from tests.services.conftest import unavailable

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = os.environ.get("GUILDHALL_NGINX", "/usr/sbin/nginx")
POSTS_PER_MINUTE = 4


# --- the pieces -------------------------------------------------------------------


def _substitute(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old``: a shipped file that drifted fails here."""
    assert text.count(old) == 1, f"the shipped nginx config no longer contains {old!r} exactly once"
    return text.replace(old, new)


def render_nginx(folder: Path, listen: int, upstream_ports: list[int]) -> Path:
    """The shipped site and upstream files (ports and static path substituted) inside a
    minimal main config that keeps every file nginx writes in ``folder``."""
    site = (DEPLOY / "nginx" / "guildhall.conf").read_text()
    site = _substitute(site, "listen 80;", f"listen 127.0.0.1:{listen};")
    site = _substitute(site, "alias /srv/guildhall/static/;", f"alias {ROOT / 'static'}/;")
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    upstream = _substitute(upstream, "server 127.0.0.1:8001;", f"server 127.0.0.1:{upstream_ports[0]};")
    upstream = _substitute(upstream, "server 127.0.0.1:8002;", f"server 127.0.0.1:{upstream_ports[1]};")
    (folder / "upstream.conf").write_text(upstream)
    (folder / "guildhall.conf").write_text(site)
    user = "user root;" if os.geteuid() == 0 else ""  # workers read the static folder as we do
    main = f"""
        {user}
        daemon off;
        worker_processes 1;
        pid {folder}/nginx.pid;
        error_log {folder}/error.log warn;
        events {{ worker_connections 256; }}
        http {{
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            access_log {folder}/access.log;
            client_body_temp_path {folder}/client_body;
            proxy_temp_path {folder}/proxy;
            fastcgi_temp_path {folder}/fastcgi;
            uwsgi_temp_path {folder}/uwsgi;
            scgi_temp_path {folder}/scgi;
            include {folder}/upstream.conf;
            include {folder}/guildhall.conf;
        }}
    """
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


def app_spec(config: dict) -> str:
    args = ", ".join(f"{key}={value!r}" for key, value in config.items())
    return f'app:create_app("production", {args})'


def _bound_opener(source: str, jar: http.cookiejar.CookieJar) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections leave from ``source`` (a 127.0.0.x address)."""

    class BoundHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(
                functools.partial(http.client.HTTPConnection, source_address=(source, 0)), req
            )

    return urllib.request.build_opener(BoundHTTPHandler(), urllib.request.HTTPCookieProcessor(jar))


class Visitor:
    """A browser at loopback address ``source``: a cookie jar, requests through nginx."""

    def __init__(self, base: str, source: str) -> None:
        self.base = base
        self.source = source
        self.jar = http.cookiejar.CookieJar()
        self.opener = _bound_opener(source, self.jar)

    def get(self, path: str):
        try:
            return self.opener.open(self.base + path, timeout=30)
        except urllib.error.HTTPError as error:
            return error

    def post(self, path: str, fields: dict):
        data = urllib.parse.urlencode(fields).encode()
        try:
            return self.opener.open(self.base + path, data=data, timeout=30)
        except urllib.error.HTTPError as error:
            return error

    def csrf_token(self, path: str) -> str:
        html = self.get(path).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def sign_in(self, email: str) -> None:
        token = self.csrf_token("/login")
        assert self.post("/login", {"csrf_token": token, "email": email, "password": PASSWORD}).status == 200
        assert "session=" in self.cookie

    def reply(self, topic_path: str, reply_path: str, body: str) -> int:
        token = self.csrf_token(topic_path)
        return self.post(reply_path, {"csrf_token": token, "body": body}).status

    def cookies_from(self, other: Visitor) -> None:
        """The same browser session, now reaching nginx from this address."""
        for cookie in other.jar:
            self.jar.set_cookie(cookie)

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


class ChatClient:
    """A python-socketio client on /chat, over a WebSocket through nginx from ``source``."""

    def __init__(self, nginx_port: int, source: str, cookie: str) -> None:
        sock = socket.create_connection(("127.0.0.1", nginx_port), timeout=10, source_address=(source, 0))
        self.messages: list[dict] = []
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"socket": sock})
        self.client.on("new_message", self.messages.append, namespace=NS)
        self.client.on("new_messages", lambda batch: self.messages.extend(batch["messages"]), namespace=NS)
        self.client.connect(
            f"http://127.0.0.1:{nginx_port}",
            headers={"Cookie": cookie},
            namespaces=[NS],
            transports=["websocket"],
            wait_timeout=10,
        )

    def send(self, channel_id: int, body: str) -> dict:
        payload = {"channel_id": channel_id, "body": body, "client_id": uuid.uuid4().hex}
        return self.client.call("send", payload, namespace=NS, timeout=10)

    def has(self, body: str) -> bool:
        return any(message["body"] == body for message in self.messages)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


class _SourceAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose connections leave from one loopback address."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class PollingChatClient(ChatClient):
    """A /chat client on HTTP long-polling only, as a browser starts: every poll is a
    new request that nginx must send to the process holding the session."""

    def __init__(self, nginx_port: int, source: str, cookie: str) -> None:
        session = requests.Session()
        session.mount("http://", _SourceAdapter(source))
        self.messages = []
        self.client = socketio.Client(reconnection=False, http_session=session)
        self.client.on("new_message", self.messages.append, namespace=NS)
        self.client.on("new_messages", lambda batch: self.messages.extend(batch["messages"]), namespace=NS)
        self.client.connect(
            f"http://127.0.0.1:{nginx_port}",
            headers={"Cookie": cookie},
            namespaces=[NS],
            transports=["polling"],
            wait_timeout=10,
        )


def _served_by(access_logs: list[Path], marker: str) -> int | None:
    """Which process's access log shows a request carrying ``marker`` (None: neither yet)."""
    for index, log in enumerate(access_logs):
        if log.exists() and marker in log.read_text(errors="replace"):
            return index
    return None


def addresses_per_process(base: str, access_logs: list[Path]) -> list[str]:
    """One loopback source address that nginx sends to each process, in process order."""
    found: dict[int, str] = {}
    for last in range(2, 60):
        source = f"127.0.0.{last}"
        marker = uuid.uuid4().hex
        assert Visitor(base, source).get(f"/healthz?probe={marker}").status == 200
        assert wait_for(lambda marker=marker: _served_by(access_logs, marker) is not None, timeout=10)
        found.setdefault(_served_by(access_logs, marker), source)
        if len(found) == len(access_logs):
            return [found[index] for index in range(len(access_logs))]
    pytest.fail("nginx sent 58 client addresses to the same process: is the upstream sticky-hashing at all?")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def nginx() -> str:
    if not os.access(NGINX, os.X_OK):
        unavailable(
            f"{NGINX} is not installed: the deployment test runs Debian's nginx (apt-get install nginx)"
        )
    return NGINX


@pytest.fixture
def stack_database(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test alone (tests in other xdist workers use theirs)."""
    url = sa.make_url(postgres_url).set(database=f"guildhall_nginx_{uuid.uuid4().hex[:12]}")
    rendered = url.render_as_string(hide_password=False)
    assert ensure_database(rendered)
    try:
        yield rendered
    finally:
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


# --- the test ---------------------------------------------------------------------


def test_nginx_in_front_of_two_gunicorn_processes_and_the_worker(
    tmp_path, nginx, stack_database, redis_url, redis_client
):
    unique = uuid.uuid4().hex
    config = {
        "SQLALCHEMY_DATABASE_URI": stack_database,
        "SECRET_KEY": f"nginx-stack-test-secret-{unique}",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "SEARCH_BACKEND": "postgres",
        "TRUSTED_PROXIES": 1,
        # Plain HTTP on loopback: production's secure-only cookies would never come back.
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"limits-{unique}",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "POST_RATE_LIMIT": f"{POSTS_PER_MINUTE} per minute",
        "SOCKETIO_MESSAGE_QUEUE": redis_url,
        "SOCKETIO_CHANNEL": f"channel-{unique}",
        "CHAT_REDIS_PREFIX": f"chat-{unique}",
        "CHAT_RATE_LIMIT": "1000 per second",
        "CHAT_PRESENCE_INTERVAL": 0.0,
        "PAGE_CACHE_SECONDS": 300,
        "PAGE_CACHE_REDIS_URL": redis_url,
        "PAGE_CACHE_REDIS_PREFIX": f"pages-{unique}",
    }
    instance = tmp_path / "instance"
    setup = create_app("testing", instance_path=str(instance), SQLALCHEMY_DATABASE_URI=stack_database)
    with setup.app_context():
        from app.chat import channels

        db.create_all()
        alice, bob = make_user(email="alice@example.com"), make_user(email="bob@example.com")
        make_user(email="carol@example.com")
        topic = make_topic(author=alice, title="Served through nginx")
        room = channels.create_channel(alice, "Across processes", kind="private")
        channels.invite_member(alice, room, bob)
        db.session.commit()
        room_id = room.id
        topic_path = f"/t/{topic.id}-{topic.slug}"
        reply_path = f"/t/{topic.id}/reply"
        has_worker = "worker" in setup.cli.commands
        db.engine.dispose()

    app_ports = [free_port(), free_port()]
    nginx_port = free_port()
    base = f"http://127.0.0.1:{nginx_port}"
    access_logs = [tmp_path / f"gunicorn-{index}.log" for index in range(2)]
    env = dict(os.environ, GUILDHALL_INSTANCE=str(instance), PYTHONUNBUFFERED="1")
    env.pop("FLASK_APP", None)
    processes: list[subprocess.Popen] = []
    sockets: list[ChatClient] = []
    try:
        for port, log in zip(app_ports, access_logs, strict=True):
            command = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
            command += ["--access-logfile", str(log), app_spec(config)]
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=dict(
                        env,
                        HOST="127.0.0.1",
                        PORT=str(port),
                        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / f"metrics-{port}"),
                    ),
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"gunicorn-{port}.err").open("wb"),
                )
            )
        if has_worker:
            worker_spec = app_spec(config)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", worker_spec, "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / "worker.err").open("wb"),
                )
            )
        conf = render_nginx(tmp_path, nginx_port, app_ports)
        check = subprocess.run(
            [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        processes.append(
            subprocess.Popen(
                [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

        def up(port: int) -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        for port in [*app_ports, nginx_port]:
            assert wait_for(lambda port=port: up(port), timeout=90), f"nothing answers on port {port}"

        # Pages come through nginx from the app (its security headers on them) ...
        home = Visitor(base, "127.0.0.1").get("/")
        assert home.status == 200
        assert home.headers["Server"] == "nginx"  # server_tokens off: no version
        assert home.headers["X-Content-Type-Options"] == "nosniff"
        # ... and static files from nginx itself: byte for byte, never reaching gunicorn.
        stylesheet = sorted((ROOT / "static" / "css").glob("*.css"))[0]
        served = Visitor(base, "127.0.0.1").get(f"/static/css/{stylesheet.name}")
        assert served.status == 200
        assert served.read() == stylesheet.read_bytes()
        assert served.headers["Content-Type"].startswith("text/css")

        # Metrics are for Prometheus on the instances' own ports, never through nginx.
        assert Visitor(base, "127.0.0.1").get("/metrics").status == 404

        first, second = addresses_per_process(base, access_logs)
        assert not any("/static/" in log.read_text() for log in access_logs)

        # Chat: a message sent on one process reaches the socket the other holds.
        alice_web, bob_web = Visitor(base, first), Visitor(base, second)
        alice_web.sign_in("alice@example.com")
        bob_web.sign_in("bob@example.com")
        # The app counts the sign-in limit by the visitor's address, not nginx's
        # (X-Forwarded-For, TRUSTED_PROXIES=1).
        limit_keys = b" ".join(redis_client.keys(f"*limits-{unique}*"))
        assert first.encode() in limit_keys and second.encode() in limit_keys
        on_first = ChatClient(nginx_port, first, alice_web.cookie)
        sockets.append(on_first)
        on_second = ChatClient(nginx_port, second, bob_web.cookie)
        sockets.append(on_second)
        assert on_first.send(room_id, "from the first process").get("ok")
        assert wait_for(lambda: on_second.has("from the first process"))
        assert on_second.send(room_id, "from the second process").get("ok")
        assert wait_for(lambda: on_first.has("from the second process"))
        # Long-polling through nginx: the handshake and every poll after it reach the
        # same process (sticky), and messages from the other process arrive on it.
        polling = PollingChatClient(nginx_port, first, alice_web.cookie)
        sockets.append(polling)
        for n in range(3):
            assert on_second.send(room_id, f"to a polling client {n}").get("ok")
            assert wait_for(lambda n=n: polling.has(f"to a polling client {n}"))
        assert polling.send(room_id, "sent by polling").get("ok")
        assert wait_for(lambda: on_second.has("sent by polling"))
        assert "transport=polling" in access_logs[0].read_text()
        assert "transport=polling" not in access_logs[1].read_text()

        # Page cache: the second process caches the topic for visitors; a reply written
        # on the first process invalidates it there.
        reader = Visitor(base, second)
        reader.get(topic_path).read()
        assert wait_for(lambda: reader.get(topic_path).headers.get("X-Page-Cache") == "hit")
        assert alice_web.reply(topic_path, reply_path, "Written on the first process.") == 200
        fresh = reader.get(topic_path)
        assert fresh.headers.get("X-Page-Cache") != "hit"
        assert "Written on the first process." in fresh.read().decode()

        # Rate limit: one member's posting budget is counted once across both processes.
        carol_first = Visitor(base, first)
        carol_first.sign_in("carol@example.com")
        carol_second = Visitor(base, second)
        carol_second.cookies_from(carol_first)
        for n in range(POSTS_PER_MINUTE // 2):
            assert carol_first.reply(topic_path, reply_path, f"Carol on the first process, {n}.") == 200
        for n in range(POSTS_PER_MINUTE - POSTS_PER_MINUTE // 2):
            assert carol_second.reply(topic_path, reply_path, f"Carol on the second process, {n}.") == 200
        assert carol_second.reply(topic_path, reply_path, "One too many.") == 429
        assert carol_first.reply(topic_path, reply_path, "Still one too many.") == 429

        # Every process is still up, the worker included.
        assert [process.poll() for process in processes] == [None] * len(processes)
    finally:
        for client in sockets:
            client.close()
        stop(processes)
    # gunicorn's hooks (deploy/gunicorn.conf.py: metrics files, child_exit) ran cleanly.
    for port in app_ports:
        errors = (tmp_path / f"gunicorn-{port}.err").read_text()
        assert "Traceback" not in errors, errors[-3000:]


# --- the other shipped files, checked without their services ------------------------


def _compose() -> dict:
    import yaml

    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_two_app_instances_the_worker_and_their_services():
    services = _compose()["services"]
    assert {"app1", "app2", "worker", "migrate", "postgres", "redis", "nginx"} <= set(services)
    for name in ("app1", "app2"):
        assert services[name]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["worker"]["command"] == ["flask", "--app", "wsgi", "worker"]
    assert services["migrate"]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    assert (ROOT / services["app1"]["build"]["dockerfile"]).is_file()
    env = services["app1"]["environment"]
    assert env["GUILDHALL_CONFIG"] == "production"
    assert env["SEARCH_BACKEND"] == "postgres"
    assert env["TRUSTED_PROXIES"] == "1"
    for name in ("SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "PAGE_CACHE_REDIS_URL"):
        assert env[name].startswith("redis://redis:6379/")
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://guildhall:")


def test_compose_mounts_the_nginx_files_this_suite_runs_and_the_static_folder():
    mounts = {}
    for volume in _compose()["services"]["nginx"]["volumes"]:
        source, target, _mode = volume.split(":")
        assert (DEPLOY / source).exists(), source
        mounts[(DEPLOY / source).resolve()] = target
    assert mounts[DEPLOY / "nginx" / "guildhall.conf"].startswith("/etc/nginx/conf.d/")
    assert mounts[DEPLOY / "nginx" / "upstream.compose.conf"].startswith("/etc/nginx/conf.d/")
    # The static alias of the shipped site config is where compose mounts static/.
    assert mounts[ROOT / "static"] == "/srv/guildhall/static"
    assert "alias /srv/guildhall/static/;" in (DEPLOY / "nginx" / "guildhall.conf").read_text()


def _gunicorn_settings(monkeypatch, **env: str) -> dict:
    import runpy

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_runs_one_worker_process_per_instance_on_host_and_port(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, HOST="127.0.0.1", PORT="8001", GUNICORN_WORKER="threads")
    assert settings["workers"] == 1
    assert settings["worker_class"] == "gthread"
    assert settings["bind"] == ["127.0.0.1:8001"]
    assert settings["control_socket_disable"] is True
    assert _gunicorn_settings(monkeypatch, HOST="::1", PORT="8002")["bind"] == ["[::1]:8002"]
    assert _gunicorn_settings(monkeypatch, GUNICORN_WORKER="gevent")["worker_class"] == "gevent"


def test_an_unknown_gunicorn_worker_stops_with_the_choices(monkeypatch):
    with pytest.raises(SystemExit, match="threads, gevent"):
        _gunicorn_settings(monkeypatch, GUNICORN_WORKER="eventlet")


def test_the_systemd_units_run_the_shipped_config_and_the_worker():
    instance = (DEPLOY / "systemd" / "guildhall@.service").read_text()
    assert "ExecStart=/srv/guildhall/.venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app" in instance
    assert "Environment=HOST=127.0.0.1 PORT=%i" in instance
    worker = (DEPLOY / "systemd" / "guildhall-worker.service").read_text()
    assert "ExecStart=/srv/guildhall/.venv/bin/flask --app wsgi worker" in worker
    upstream = (DEPLOY / "nginx" / "upstream.conf").read_text()
    assert "server 127.0.0.1:8001;" in upstream and "server 127.0.0.1:8002;" in upstream
