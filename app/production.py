"""``make serve``: the production configuration on this machine's PostgreSQL and Redis.

``python -m app.production`` fills in what a fresh clone lacks, then runs the same
processes a deployment runs (``deploy/``):

* ``GUILDHALL_CONFIG=production``; PostgreSQL (``DATABASE_URL``, default the local
  database ``guildhall``, created when missing), Redis for the Socket.IO queue, rate
  limits and page-cache generations, and ``SEARCH_BACKEND=postgres``. Each setting the
  environment already has wins.
* ``SECRET_KEY`` unset: a key generated once into ``<instance>/secret_key`` (mode 0600)
  and reused on every start, so sessions survive restarts.
* Migrations applied (``flask db upgrade``) before anything serves.
* gunicorn with ``deploy/gunicorn.conf.py`` on ``HOST``:``PORT`` (default
  127.0.0.1:5000, as ``make run``), and the background worker as its own process.
  Either one ending stops the other, and Ctrl+C or SIGTERM stops both.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# What ``make serve`` uses when the environment names nothing: this machine's services.
DEFAULTS = {
    "GUILDHALL_CONFIG": "production",
    "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/guildhall",
    "SOCKETIO_MESSAGE_QUEUE": "redis://127.0.0.1:6379/0",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/1",
    "PAGE_CACHE_REDIS_URL": "redis://127.0.0.1:6379/2",
    "SEARCH_BACKEND": "postgres",
    "HOST": "127.0.0.1",
    "PORT": "5000",
}


class LaunchError(RuntimeError):
    """A precondition ``make serve`` cannot meet; its message says what to do."""


def instance_folder(env: Mapping[str, str]) -> Path:
    """The instance folder the app will use (``GUILDHALL_INSTANCE`` or ``./instance``)."""
    return Path(env.get("GUILDHALL_INSTANCE") or ROOT / "instance")


def ensure_secret_key(instance: Path) -> str:
    """The key in ``instance/secret_key``, generated on first use.

    Created with ``O_EXCL`` and mode 0600 so two launchers racing on a fresh clone agree
    on one key and no other local user can read it; a looser mode is tightened.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise LaunchError(
                f"{path} holds no usable key (fewer than 32 characters): delete it to get a new one"
            )
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names when it does not exist; True if created.

    Connects to the server's ``postgres`` maintenance database with the same role.
    Other backends (a SQLite file) need nothing.
    """

    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return False
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(target.database)
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    except sa.exc.OperationalError as error:
        shown = target.render_as_string(hide_password=True)
        first = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise LaunchError(
            f"PostgreSQL at {shown} does not answer ({first}). Start it, or set DATABASE_URL."
        ) from error
    finally:
        admin.dispose()


def check_redis(env: Mapping[str, str]) -> None:
    """Every configured Redis answers: the site would run degraded without it, which is
    not what ``make serve`` is for."""
    # Optional dependency: only when production uses Redis.
    import redis

    for name in ("SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "PAGE_CACHE_REDIS_URL"):
        url = env.get(name) or ""
        if not url.startswith(("redis://", "rediss://")):
            continue
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        except redis.RedisError as error:
            raise LaunchError(
                f"Redis for {name} ({url}) does not answer: {error}. Start redis-server, or set {name}."
            )
        finally:
            client.close()


def production_environment(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with every unset production setting filled in (the secret included)."""
    env = dict(base)
    for name, value in DEFAULTS.items():
        if not env.get(name):
            env[name] = value
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = ensure_secret_key(instance_folder(env))
    if "SESSION_COOKIE_SECURE" not in env and env["HOST"] in LOOPBACK:
        # Served as plain http://127.0.0.1: secure-only cookies would never come back
        # and nobody could sign in. Any other address keeps production's secure cookies
        # (serve it over HTTPS, e.g. behind deploy/nginx).
        env["SESSION_COOKIE_SECURE"] = "false"
    if not env.get("SERVER_BASE_URL"):
        shown = "[::1]" if env["HOST"] in ("::1", "[::1]") else env["HOST"]
        if shown in ("0.0.0.0", "::", ""):  # noqa: S104 - only for display
            shown = "127.0.0.1"
        env["SERVER_BASE_URL"] = f"http://{shown}:{env['PORT']}"
    env.pop("FLASK_RUN_FROM_CLI", None)
    env["FLASK_APP"] = "wsgi"
    return env


def worker_command(env: Mapping[str, str]) -> list[str] | None:
    """The background worker's command line, or None while this checkout has none.

    ``flask worker`` (app/jobs, issue 21) is started as its own process whenever the
    app's command list offers it; a checkout from before it serves without one.
    """
    listing = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "--help"],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if not any(line.split()[:1] == ["worker"] for line in listing.stdout.splitlines()):
        return None
    return [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "wsgi:app"]


def prepare(base: Mapping[str, str]) -> dict[str, str]:
    """Everything before serving: environment, database, Redis, migrations."""
    env = production_environment(base)
    if ensure_database(env["DATABASE_URL"]):
        print(f" * created the database {_shown(env['DATABASE_URL'])}", flush=True)
    check_redis(env)
    print(" * applying migrations (flask db upgrade)", flush=True)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True
    )
    return env


def _shown(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def supervise(commands: list[list[str]], env: MutableMapping[str, str]) -> int:
    """Run ``commands`` side by side until one ends or a stop signal comes; stop the rest.

    The exit status is that of the first process to end (0 after Ctrl+C or SIGTERM).
    """
    processes = [subprocess.Popen(command, cwd=ROOT, env=dict(env)) for command in commands]
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        while not stopping:
            ended = [process for process in processes if process.poll() is not None]
            if ended:
                status = ended[0].returncode
                break
            time.sleep(0.2)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def main() -> int:
    try:
        env = prepare(os.environ)
    except LaunchError as error:
        print(f"make serve: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"make serve: migrations failed (exit {error.returncode})", file=sys.stderr)
        return 1
    commands = [gunicorn_command()]
    worker = worker_command(env)
    if worker is None:
        print(" * no `flask worker` command yet: serving without the background worker", flush=True)
    else:
        commands.append(worker)
    print(
        f" * Guildhall (production) is running at {env['SERVER_BASE_URL']}/ (press CTRL+C to quit)",
        flush=True,
    )
    return supervise(commands, env)


if __name__ == "__main__":
    sys.exit(main())
