"""``flask backup FILE``: a consistent copy of the live database.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the pages under
SQLite's own locking, WAL content included, so it is safe while the server writes;
copying the file with ``cp`` is not (it can catch a half-applied checkpoint and
misses the ``-wal`` file). The copy is written beside the target and renamed into
place after ``PRAGMA integrity_check`` passes, so FILE is never a torn backup.

PostgreSQL: ``pg_dump`` is the tool; the command runs it in its custom format
(restore with ``pg_restore``) when it is installed, otherwise prints the command.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa


class BackupFailed(Exception):
    """The backup could not be made; FILE was not written."""


def sqlite_path(url: sa.URL) -> Path:
    if url.database in (None, "", ":memory:") or str(url.database).startswith("file:"):
        raise BackupFailed("Only a SQLite database file can be backed up (this one is in memory or a URI).")
    return Path(url.database)


def backup_sqlite(url: sa.URL, target: Path, pages_per_step: int = 1024) -> int:
    """Copy the database at ``url`` to ``target``; returns the copy's size in bytes.

    Steps of ``pages_per_step`` pages let the server's writers in between steps;
    a write during the copy makes SQLite restart it, which is what keeps it consistent.
    """
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupFailed(f"{source_path} does not exist.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"{source_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=pages_per_step)
        # A single file: the copy needs no -wal beside it to be complete.
        copy.execute("PRAGMA journal_mode=DELETE")
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"The copy failed PRAGMA integrity_check: {verdict}")
    os.replace(partial, target)
    return target.stat().st_size


def pg_dump_command(url: sa.URL, target: Path) -> tuple[list[str], dict[str, str]]:
    """``pg_dump`` arguments and environment for ``url``; the password goes in
    ``PGPASSWORD``, never on the command line where ``ps`` shows it."""
    libpq = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    ).render_as_string(hide_password=False)
    env = {"PGPASSWORD": url.password} if url.password else {}
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={libpq}"], env


def backup_postgres(url: sa.URL, target: Path) -> None:
    command, extra_env = pg_dump_command(url, target)
    if shutil.which("pg_dump") is None:
        raise BackupFailed("pg_dump is not installed. Run on a host that has it:\n  " + " ".join(command))
    done = subprocess.run(command, env=os.environ | extra_env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"pg_dump failed: {done.stderr.strip()}")
