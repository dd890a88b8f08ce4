"""A plug-in's Alembic branch applies only while it is enabled; turning it off later
leaves its tables (and its recorded revision) alone and ``flask db upgrade`` still works."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.plugins.info import branch_heads, in_tree_migration_folders


def _upgrade(tmp_path: Path, database: Path, plugins: list[str]) -> tuple[set[str], set[str]]:
    app = create_app(
        "testing",
        instance_path=str(tmp_path / f"instance-{len(plugins)}"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        PLUGINS=plugins,
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            versions = {
                row[0] for row in connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            }
        db.engine.dispose()
    return {t for t in tables if t.startswith("council")}, versions


def test_enabled_applies_the_branch_and_disabling_leaves_it_alone(tmp_path):
    database = tmp_path / "guildhall.sqlite"
    tables, versions = _upgrade(tmp_path, database, ["councils"])
    assert "council" in tables and "council_membership" in tables
    head = branch_heads(in_tree_migration_folders("councils"))
    assert set(head) <= versions
    again, versions_off = _upgrade(tmp_path, database, [])
    assert again == tables and set(head) <= versions_off


def test_a_disabled_plugin_is_never_migrated(tmp_path):
    tables, versions = _upgrade(tmp_path, tmp_path / "core.sqlite", [])
    assert tables == set() and not any(v.startswith("council") for v in versions)
