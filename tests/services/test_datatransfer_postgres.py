"""``flask export`` from SQLite, ``flask import`` into PostgreSQL: the move the README describes.

The demo data goes SQLite → dump → a fresh PostgreSQL database → dump again, and the
two dumps must be equal table for table. Then a new row goes into the restored
database: the import moved each sequence past the restored ids.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.datatransfer import MANIFEST
from app.datatransfer.export import export_database
from app.datatransfer.importer import ImportRefused, import_database
from app.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.services


@pytest.fixture
def postgres_app(postgres_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on a new, empty PostgreSQL database of its own (dropped afterwards)."""
    base = sa.make_url(postgres_url)
    name = f"{base.database}_import_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    app = create_app("testing", instance_path=str(tmp_path / "pg-instance"), SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def tables_in(directory: Path) -> dict[str, list[dict]]:
    manifest = json.loads((directory / MANIFEST).read_text())
    return {
        name: [json.loads(line) for line in (directory / entry["file"]).read_text().splitlines()]
        for name, entry in manifest["tables"].items()
    }


def test_demo_moves_from_sqlite_to_postgresql_table_for_table(postgres_app, tmp_path):
    source = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'source.sqlite'}",
    )
    with source.app_context():
        db.create_all()
    seeded = source.test_cli_runner().invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    export_database(source, tmp_path / "from-sqlite")
    with source.app_context():
        db.engine.dispose()

    result = import_database(postgres_app, tmp_path / "from-sqlite")
    assert result.indexed
    export_database(postgres_app, tmp_path / "from-postgres")

    before, after = tables_in(tmp_path / "from-sqlite"), tables_in(tmp_path / "from-postgres")
    assert set(before) == set(after)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after SQLite -> PostgreSQL"

    with postgres_app.app_context():
        highest = db.session.scalar(sa.text("SELECT max(id) FROM user_account"))
        newcomer = make_user(email="after-import@example.com")
        db.session.commit()
        assert newcomer.id > highest

    with pytest.raises(ImportRefused, match="not empty"):
        import_database(postgres_app, tmp_path / "from-sqlite", reindex=False)
