"""``flask export DIR``: one consistent JSON-lines dump of every content table.

Consistent means one read transaction for every table and the manifest: on SQLite an
explicit ``BEGIN`` (the driver would otherwise run each SELECT in its own implicit
snapshot, and a write landing between two tables would tear the dump); on
PostgreSQL a ``REPEATABLE READ`` read-only transaction. The server may keep running.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.datatransfer import FORMAT_NAME, FORMAT_VERSION, MANIFEST
from app.datatransfer.tables import DERIVED_TABLES, content_tables, revisions
from app.extensions import db

BATCH = 1000


@dataclass
class Manifest:
    dialect: str
    revisions: list[str]
    tables: dict[str, dict] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "dialect": self.dialect,
            "revisions": self.revisions,
            "left_out": sorted(DERIVED_TABLES),
            "tables": self.tables,
        }


def encode(value: Any) -> Any:
    """A column value as JSON: ISO-8601 times, base64 bytes, decimals as strings."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _read_transaction(engine: sa.Engine) -> sa.Connection:
    """A connection inside one read snapshot (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.begin()
        return conn
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    return conn


def export_database(app: Flask, directory: Path) -> Manifest:
    """Write the dump into ``directory`` (created; it must be empty or new)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty: export into a new or empty directory.")
    with app.app_context():
        engine = db.engine
        conn = _read_transaction(engine)
        try:
            manifest = Manifest(dialect=engine.dialect.name, revisions=revisions(conn))
            for table in content_tables(app, conn):
                manifest.tables[table.name] = _export_table(conn, table, directory)
        finally:
            conn.rollback()
            conn.close()
    _write_atomically(directory / MANIFEST, json.dumps(manifest.as_json(), indent=2, sort_keys=True) + "\n")
    return manifest


def _export_table(conn: sa.Connection, table: sa.Table, directory: Path) -> dict:
    columns = [column.name for column in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    statement = sa.select(*table.columns).order_by(*order).execution_options(yield_per=BATCH)
    name = f"{table.name}.jsonl"
    rows = 0
    partial = directory / f".{name}.partial"
    with partial.open("w", encoding="utf-8") as out:
        for row in conn.execute(statement):
            record = {key: encode(value) for key, value in zip(columns, row, strict=True)}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            rows += 1
        out.flush()
        os.fsync(out.fileno())
    partial.rename(directory / name)
    return {"file": name, "rows": rows, "columns": columns}


def _write_atomically(path: Path, text: str) -> None:
    """The manifest is written last and atomically: a directory without one is not a dump."""
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    partial.rename(path)
