"""``/readyz`` names ``migrations`` while the database is behind the migration heads
(core and plug-in branches), and is ready once every head is applied."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app, health
from app.extensions import db


@pytest.fixture
def file_app(tmp_path: Path) -> Flask:
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'g.sqlite'}",
        READYZ_MIGRATIONS=True,
        PLUGINS=[],  # the core's own branch; plug-in branches below
    )
    with application.app_context():
        db.create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


def _stamp(app: Flask, revisions: list[str]) -> None:
    """Record ``revisions`` as the database's applied heads (what ``flask db stamp`` writes)."""
    with app.app_context(), db.engine.begin() as connection:
        version = sa.table("alembic_version", sa.column("version_num"))
        connection.execute(
            sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        )
        connection.execute(sa.delete(version))
        for revision in revisions:
            connection.execute(sa.insert(version).values(version_num=revision))


def _heads(app: Flask) -> list[str]:
    with app.app_context():
        return sorted(health._script_directory(app).get_heads())


def test_a_database_at_every_head_is_ready(file_app):
    _stamp(file_app, _heads(file_app))
    response = file_app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["checks"]["migrations"] == {"ok": True}


def test_a_database_behind_head_is_not_ready_and_says_migrations(file_app):
    heads = _heads(file_app)
    with file_app.app_context():
        script = health._script_directory(file_app)
        behind = next(h for h in heads if isinstance(script.get_revision(h).down_revision, str))
        older = script.get_revision(behind).down_revision
    _stamp(file_app, [older if head == behind else head for head in heads])
    response = file_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["migrations"]
    assert body["checks"]["migrations"] == {"ok": False, "error": "MigrationsBehind"}


def test_a_database_never_migrated_is_not_ready(file_app):
    response = file_app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["down"] == ["migrations"]


def test_every_enabled_plug_in_branch_counts(tmp_path):
    """A plug-in's own branch is a head too: core alone at head is not enough."""
    plugins = sorted(p.parent.name for p in (health.ROOT / "app" / "plugins").glob("*/migrations"))
    if not plugins:
        pytest.skip("no in-tree plug-in brings its own migrations")
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'g.sqlite'}",
        READYZ_MIGRATIONS=True,
        PLUGINS=plugins,
    )
    heads = _heads(application)
    with application.app_context():
        db.create_all()
        script = health._script_directory(application)
        core = [
            h for h in heads if Path(script.get_revision(h).path).parent == health.MIGRATIONS / "versions"
        ]
    if len(heads) == len(core):
        pytest.skip("no enabled plug-in brings its own migrations")
    try:
        _stamp(application, core)
        assert application.test_client().get("/readyz").get_json()["down"] == ["migrations"]
        _stamp(application, heads)
        assert application.test_client().get("/readyz").status_code == 200
    finally:
        with application.app_context():
            db.engine.dispose()


def test_a_database_migrated_by_a_newer_release_stays_ready(file_app):
    """Mid rolling deploy the database may already carry a revision this code does
    not know; this process cannot judge it and must not take itself out of rotation."""
    _stamp(file_app, ["ffffffffffff_from_the_future"])
    assert file_app.test_client().get("/readyz").status_code == 200


def test_the_check_is_off_in_tests_by_default(client):
    assert "migrations" not in client.get("/readyz").get_json()["checks"]
