"""``flask backup FILE``: SQLite's online backup, safe beside a writing server."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import sqlalchemy as sa

from app.datatransfer.backup import BackupFailed, backup_sqlite, pg_dump_command
from app.extensions import db
from tests.factories import make_user


@pytest.fixture
def sqlite_url(app):
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("flask backup on SQLite; PostgreSQL backups are pg_dump's")
    return url


def test_backup_copies_a_consistent_database_while_another_connection_writes(
    app, runner, sqlite_url, tmp_path
):
    make_user(email="first@example.com")
    db.session.commit()
    stop = threading.Event()

    def write() -> None:
        writer = sqlite3.connect(sqlite_url.database, timeout=30)
        writer.execute("PRAGMA journal_mode=WAL")
        number = 0
        while not stop.is_set():
            writer.execute(
                "INSERT INTO site_setting (key, value, updated_at) VALUES (?, ?, ?)",
                (f"k{number}", '"v"', "2026-01-01 00:00:00"),
            )
            writer.commit()
            number += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "integrity_check ok" in result.output
    copy = sqlite3.connect(tmp_path / "copy.sqlite")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT email FROM user_account").fetchall() == [("first@example.com",)]
    copy.close()
    assert not (tmp_path / "copy.sqlite-wal").exists()


def test_backup_of_an_in_memory_database_is_refused(tmp_path):
    with pytest.raises(BackupFailed):
        backup_sqlite(sa.make_url("sqlite://"), tmp_path / "copy.sqlite")


def test_pg_dump_gets_the_password_from_the_environment_not_the_command_line(tmp_path):
    url = sa.make_url("postgresql+psycopg://guild:s3cret@db.internal:5432/guildhall")
    command, env = pg_dump_command(url, tmp_path / "guildhall.dump")
    assert command[0] == "pg_dump" and "--format=custom" in command
    assert "s3cret" not in " ".join(command)
    assert "--dbname=postgresql://guild@db.internal:5432/guildhall" in command
    assert env == {"PGPASSWORD": "s3cret"}
