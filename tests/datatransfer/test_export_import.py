"""``flask export`` / ``flask import``: a dump of the demo restores table for table."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.datatransfer import MANIFEST
from app.datatransfer.export import export_database
from app.datatransfer.importer import ImportRefused, import_database
from app.extensions import db as _db
from app.plugins import hookimpl, plugin_manager
from tests.factories import make_user

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="SQLite round trip; tests/services/test_datatransfer_postgres.py covers PostgreSQL",
)


def fresh_app(path: Path) -> Flask:
    """A second, empty SQLite database with the same schema, as a restore target."""
    app = create_app(
        "testing",
        instance_path=str(path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path / 'target.sqlite'}",
    )
    with app.app_context():
        _db.create_all()
    return app


def tables_in(directory: Path) -> dict[str, list[dict]]:
    manifest = json.loads((directory / MANIFEST).read_text())
    return {
        name: [json.loads(line) for line in (directory / entry["file"]).read_text().splitlines()]
        for name, entry in manifest["tables"].items()
    }


def seed_demo(runner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


def test_demo_round_trips_export_import_export(app, runner, tmp_path):
    seed_demo(runner)
    first = tmp_path / "first"
    result = runner.invoke(args=["export", str(first)])
    assert result.exit_code == 0, result.output

    # The target's commands are called directly: inside the ``app`` fixture's context
    # Flask's CLI runner would hand them the source app.
    target = fresh_app(tmp_path / "restore")
    restored = import_database(target, first)
    assert restored.indexed, "the search index is rebuilt after the import"
    second = tmp_path / "second"
    export_database(target, second)

    before, after = tables_in(first), tables_in(second)
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    # The demo fills the tables people see; the derived ones are left out.
    assert len(before["forum_post"]) > 50 and before["chat_message"] and before["qa_vote"]
    assert not {"search_pending", "search_document", "user_session"} & set(before)
    with target.app_context():
        _db.engine.dispose()


def test_manifest_names_format_revisions_and_row_counts(app, runner, tmp_path):
    seed_demo(runner)
    manifest = export_database(app, tmp_path / "dump")
    written = json.loads((tmp_path / "dump" / MANIFEST).read_text())
    assert written["format"] == "guildhall-export" and written["format_version"] == 1
    assert written["revisions"] == manifest.revisions
    with app.app_context():
        users = _db.session.scalar(sa.text("SELECT count(*) FROM user_account"))
    assert written["tables"]["user_account"]["rows"] == users
    assert "search_document" in written["left_out"]


def test_values_are_iso_times_and_json(app, runner, tmp_path):
    seed_demo(runner)
    export_database(app, tmp_path / "dump")
    user = json.loads((tmp_path / "dump" / "user_account.jsonl").read_text().splitlines()[0])
    datetime.fromisoformat(user["created_at"])
    org = json.loads((tmp_path / "dump" / "organization.jsonl").read_text().splitlines()[0])
    assert isinstance(org["regions"], list)


def test_import_refuses_a_database_that_holds_rows(app, runner, tmp_path):
    seed_demo(runner)
    export_database(app, tmp_path / "dump")
    result = runner.invoke(args=["import", str(tmp_path / "dump")])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_import_refuses_another_migration_revision(app, runner, tmp_path):
    seed_demo(runner)
    export_database(app, tmp_path / "dump")
    manifest_path = tmp_path / "dump" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["revisions"] = ["0000deadbeef"]
    manifest_path.write_text(json.dumps(manifest))
    target = fresh_app(tmp_path / "restore")
    with pytest.raises(ImportRefused) as refused:
        import_database(target, tmp_path / "dump")
    assert "0000deadbeef" in str(refused.value) and "flask db upgrade" in str(refused.value)
    with target.app_context():
        _db.engine.dispose()


def test_a_broken_dump_imports_nothing(app, runner, tmp_path):
    seed_demo(runner)
    export_database(app, tmp_path / "dump")
    posts = tmp_path / "dump" / "forum_post.jsonl"
    posts.write_text(posts.read_text() + "{not json\n")
    target = fresh_app(tmp_path / "restore")
    with pytest.raises(ImportRefused, match=r"forum_post\.jsonl line"):
        import_database(target, tmp_path / "dump", reindex=False)
    with target.app_context():
        # Every table before forum_post was inserted and then rolled back.
        assert _db.session.scalar(sa.text("SELECT count(*) FROM user_account")) == 0
        assert _db.session.scalar(sa.text("SELECT count(*) FROM forum_topic")) == 0
        _db.engine.dispose()


def test_export_refuses_a_non_empty_directory(app, runner, tmp_path):
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "keep.txt").write_text("mine")
    result = runner.invoke(args=["export", str(tmp_path / "dump")])
    assert result.exit_code != 0 and "not empty" in result.output


class NotesPlugin:
    """A plug-in keeping its table on its own MetaData: found only through the hook."""

    metadata = sa.MetaData()
    notes = sa.Table(
        "notes_note",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey(_db.metadata.tables["user_account"].c.id)),
        sa.Column("blob", sa.LargeBinary),
        sa.Column("at", sa.DateTime),
    )

    @hookimpl
    def export_tables(self) -> list[sa.Table]:
        return [self.notes]


def test_plugin_tables_come_through_the_export_tables_hook(app, runner, tmp_path):
    seed_demo(runner)
    plugin_manager(app).register(NotesPlugin())
    with app.app_context():
        NotesPlugin.metadata.create_all(_db.engine)
        user_id = _db.session.scalar(sa.text("SELECT min(id) FROM user_account"))
        _db.session.execute(
            NotesPlugin.notes.insert(),
            {"user_id": user_id, "blob": b"\x00\xffbinary", "at": datetime(2026, 1, 2, 3, 4, 5)},
        )
        _db.session.commit()
    export_database(app, tmp_path / "dump")
    assert "notes_note" in tables_in(tmp_path / "dump")

    target = fresh_app(tmp_path / "restore")
    plugin_manager(target).register(NotesPlugin())
    with target.app_context():
        NotesPlugin.metadata.create_all(_db.engine)
    import_database(target, tmp_path / "dump", reindex=False)
    with target.app_context():
        row = _db.session.execute(sa.select(NotesPlugin.notes)).one()
        assert row.blob == b"\x00\xffbinary" and row.at == datetime(2026, 1, 2, 3, 4, 5)
        _db.engine.dispose()


def migrated_app(path: Path) -> Flask:
    """A fresh SQLite database built by the migrations, as `flask db upgrade` builds it."""
    from flask_migrate import upgrade

    app = create_app(
        "testing",
        instance_path=str(path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path / 'db.sqlite'}",
    )
    with app.app_context():
        upgrade()
    return app


def test_a_migrated_database_round_trips_at_its_alembic_head(tmp_path):
    source = migrated_app(tmp_path / "source")
    with source.app_context():
        make_user(email="migrated@example.com")
        _db.session.commit()
    manifest = export_database(source, tmp_path / "dump")
    assert manifest.revisions, "a migrated database names its Alembic head(s)"

    target = migrated_app(tmp_path / "target")
    result = import_database(target, tmp_path / "dump", reindex=False)
    assert result.rows["user_account"] == 1
    with target.app_context():
        assert _db.session.scalar(sa.text("SELECT email FROM user_account")) == "migrated@example.com"
    for app in (source, target):
        with app.app_context():
            _db.engine.dispose()
