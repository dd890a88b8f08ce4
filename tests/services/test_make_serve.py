"""``make serve`` (``python -m app.production``): what a fresh clone gets.

The secret is generated once into the instance folder, private to its owner, and
reused; PostgreSQL's database is created when missing; and the launcher, given only
where PostgreSQL and Redis are, migrates, serves through gunicorn with the worker
beside it, and stops both on SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.production import (
    DEFAULTS,
    SECRET_FILE,
    LaunchError,
    ensure_database,
    ensure_secret_key,
    production_environment,
)
from tests.live import free_port, healthy, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_secret_is_generated_once_private_to_its_owner_and_reused(tmp_path):
    instance = tmp_path / "fresh" / "instance"
    key = ensure_secret_key(instance)
    path = instance / SECRET_FILE
    assert len(key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_secret_key(instance) == key
    assert production_environment({"GUILDHALL_INSTANCE": str(instance)})["SECRET_KEY"] == key


def test_a_secret_file_readable_by_others_is_made_private(tmp_path):
    key = ensure_secret_key(tmp_path)
    (tmp_path / SECRET_FILE).chmod(0o644)
    assert ensure_secret_key(tmp_path) == key
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_an_empty_secret_file_stops_the_launch_with_what_to_do(tmp_path):
    (tmp_path / SECRET_FILE).write_text("\n")
    with pytest.raises(LaunchError, match="delete it"):
        ensure_secret_key(tmp_path)


def test_the_environment_wins_over_every_default(tmp_path):
    given = {
        "GUILDHALL_INSTANCE": str(tmp_path),
        "SECRET_KEY": "from-the-environment-0123456789abcdef-0123",
        "DATABASE_URL": "postgresql+psycopg://guildhall@db/guildhall",
        "SOCKETIO_MESSAGE_QUEUE": "redis://redis:6379/5",
        "HOST": "0.0.0.0",  # noqa: S104 - a setting under test, nothing listens
        "PORT": "8123",
    }
    env = production_environment(given)
    assert {name: env[name] for name in given} == given
    assert not (tmp_path / SECRET_FILE).exists()
    assert env["GUILDHALL_CONFIG"] == "production"
    assert env["SEARCH_BACKEND"] == "postgres"
    assert env["RATELIMIT_STORAGE_URI"] == DEFAULTS["RATELIMIT_STORAGE_URI"]
    # Not on loopback: production's secure-only cookies stay.
    assert "SESSION_COOKIE_SECURE" not in env
    assert env["SERVER_BASE_URL"] == "http://127.0.0.1:8123"


def test_on_loopback_plain_http_cookies_come_back(tmp_path):
    env = production_environment({"GUILDHALL_INSTANCE": str(tmp_path)})
    assert (env["HOST"], env["PORT"]) == ("127.0.0.1", "5000")
    assert env["SESSION_COOKIE_SECURE"] == "false"
    assert env["DATABASE_URL"].endswith("@127.0.0.1:5432/guildhall")


@pytest.fixture
def throwaway_database(postgres_url: str) -> Iterator[str]:
    """A database name nobody uses, dropped afterwards (the real default is ``guildhall``)."""
    url = sa.make_url(postgres_url).set(database=f"guildhall_serve_{uuid.uuid4().hex[:12]}")
    yield url.render_as_string(hide_password=False)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def test_a_missing_database_is_created_once(throwaway_database):
    assert ensure_database(throwaway_database) is True
    assert ensure_database(throwaway_database) is False
    engine = sa.create_engine(throwaway_database)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT current_database()")).scalar()
            == sa.make_url(throwaway_database).database
        )
    engine.dispose()


def test_an_unreachable_postgresql_says_what_to_do():
    port = free_port()  # nothing listens there
    with pytest.raises(LaunchError, match="does not answer"):
        ensure_database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/guildhall")


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_make_serve_on_a_fresh_clone_migrates_serves_and_stops(tmp_path, throwaway_database, redis_url):
    port = free_port()
    instance = tmp_path / "instance"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "FLASK_APP", "GUILDHALL_CONFIG"} and not key.startswith("PYTEST")
    }
    env.update(
        GUILDHALL_INSTANCE=str(instance),
        DATABASE_URL=throwaway_database,
        SOCKETIO_MESSAGE_QUEUE=redis_url,
        SOCKETIO_CHANNEL=f"serve-{uuid.uuid4().hex}",
        RATELIMIT_STORAGE_URI=redis_url,
        PAGE_CACHE_REDIS_URL=redis_url,
        PAGE_CACHE_REDIS_PREFIX=f"serve-{uuid.uuid4().hex}",
        HOST="127.0.0.1",
        PORT=str(port),
    )
    log = (tmp_path / "serve.log").open("wb")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "app.production"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: healthy(base) or launcher.poll() is not None, timeout=180)
        assert launcher.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        status, body = _get(base + "/readyz")
        assert status == 200, body  # the database at the migrations' head, Redis answering
        assert {"database", "redis.ratelimit", "redis.socketio", "redis.pagecache"} <= set(
            json.loads(body)["checks"]
        )
        assert _get(base + "/")[0] == 200
        assert stat.S_IMODE((instance / SECRET_FILE).stat().st_mode) == 0o600
        children = subprocess.run(
            ["ps", "-o", "args=", "--ppid", str(launcher.pid)], capture_output=True, text=True, check=False
        ).stdout
        assert "gunicorn" in children
        assert " worker" in children  # the background worker, its own process
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            code = launcher.wait(timeout=40)
        except subprocess.TimeoutExpired:
            launcher.kill()
            raise
        log.close()
    assert code == 0
    assert not healthy(base)
