"""Shared fixtures: a fresh app and database for every test.

SQLite (the default) gets a new database file per test, copied from a schema built
once per process. With ``TEST_DATABASE_URL`` set, each xdist worker gets its own
PostgreSQL database, created once, and every table is emptied after each test, so
tests stay isolated and can run in parallel.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from app import create_app
from app import models as _all_models  # noqa: F401 - complete metadata before the schema template is built
from app.extensions import db as _db
from tests.factories import browser_session_id, make_user

_pg_ready: set[str] = set()
_sqlite_template: list[Path] = []


def _sqlite_schema_copy(target: Path) -> None:
    """Copy an empty, fully built schema to ``target``: building sixty tables per test
    cost more than most tests."""
    if not _sqlite_template:
        folder = Path(tempfile.mkdtemp(prefix="guildhall-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "schema.sqlite"
        engine = sa.create_engine(f"sqlite:///{template}")
        _db.metadata.create_all(engine)
        engine.dispose()
        _sqlite_template.append(template)
    shutil.copyfile(_sqlite_template[0], target)


def _worker_database_url(base_url: str, worker: str) -> str:
    """Create (once) and return a database private to this worker of this run.

    The name carries the run's id, so two pytest runs on one machine (a developer's
    and CI's, or two xdist sessions) never truncate each other's tables; the database
    is dropped when the worker finishes.
    """
    url = sa.make_url(base_url)
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))[:8]
    name = f"{url.database}_{worker}_{run_id}"
    if name not in _pg_ready:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        _pg_ready.add(name)
        atexit.register(_drop_database, url, name)
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: sa.URL, name: str) -> None:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class FreshLoginClient(FlaskClient):
    """Test client that forgets the cached Flask-Login user before each request.

    The ``app`` fixture holds one app context for the whole test and Flask reuses it
    for every request, so ``g._login_user`` would otherwise survive from one request to
    the next: switching users, or checking that a revoked session stops working, would
    silently test the wrong user.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def _empty_postgres_tables() -> None:
    """Delete every row and restart every sequence: the next test starts from empty.

    DELETE in dependency order rather than one TRUNCATE of every table: TRUNCATE
    replaces each table's files, which cost ~0.4 s per test across fifty tables,
    while deleting the few rows a test wrote costs milliseconds.
    """
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(
            sa.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    overrides: dict = dict(getattr(request, "param", {}) or {})
    # iter_markers yields the closest marker first: apply them farthest first, so a
    # test's own app_config overrides its module's pytestmark.
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        overrides.update(marker.kwargs)
    pg_base = os.environ.get("TEST_DATABASE_URL")
    if pg_base:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        uri = _worker_database_url(pg_base, worker)
    else:
        _sqlite_schema_copy(tmp_path / "test.sqlite")
        uri = f"sqlite:///{tmp_path / 'test.sqlite'}"
    overrides.setdefault("SQLALCHEMY_DATABASE_URI", uri)
    instance = tmp_path / "instance"
    application = create_app("testing", instance_path=str(instance), **overrides)
    application.test_client_class = FreshLoginClient
    with application.app_context():
        if pg_base and uri not in _pg_ready:
            _db.drop_all()
            _db.create_all()
            _pg_ready.add(uri)
            _pg_ready.add(sa.make_url(uri).database)
        elif not pg_base:
            _db.create_all()  # only what the template lacks, e.g. a plug-in's tables
        try:
            yield application
        finally:
            _db.session.remove()
            if pg_base:
                _empty_postgres_tables()
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask):
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable:
    """Sign ``client`` in as a user without going through the login form; ``None``
    signs it out."""

    def _login(user) -> FlaskClient:
        if user is None:
            with client.session_transaction() as session:
                session.clear()
            return client
        with client.session_transaction() as session:
            session["_user_id"] = browser_session_id(user)
            session["_fresh"] = True
        return client

    return _login


@pytest.fixture
def sign_in(login_as) -> Callable:
    """Switch the test client's identity (a user, or ``None`` for a visitor)."""
    return login_as


@pytest.fixture
def hostile() -> Path:
    """The shared hostile-input corpora; tests that need them skip when absent (and
    fail in CI)."""
    from tests.hostile import _require

    return _require()


# --- people with a staff role (areas that need other names define their own) ------------


@pytest.fixture
def mentor(db):
    user = make_user(role="mentor", username="mira", display_name="Mira")
    db.session.commit()
    return user


@pytest.fixture
def moderator(db):
    user = make_user(role="moderator", username="mod", display_name="Mod")
    db.session.commit()
    return user


@pytest.fixture
def admin(db):
    user = make_user(role="admin", username="root", display_name="Root")
    db.session.commit()
    return user
