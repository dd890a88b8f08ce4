"""``flask import DIR``: restore a dump into an empty database, all or nothing.

The target must already be at the dump's migration head (``flask db upgrade`` on a
fresh database) and hold no content rows: merging a dump into live data would
collide on primary keys, and a half-matching schema would restore some columns and
drop others silently. Rows go in parents first (tables sorted by foreign key), in one
transaction, so an error leaves the database as empty as it was. Afterwards the
PostgreSQL sequences are moved past the restored ids and the search index is rebuilt
(the dump leaves derived data out, see the package docstring).

Run it with the server stopped: sessions and the page cache of the empty site are
not worth keeping, and nobody should write while the rows land.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.datatransfer import FORMAT_NAME, FORMAT_VERSION, MANIFEST
from app.datatransfer.tables import content_tables, revisions
from app.extensions import db
from app.search import rebuild

BATCH = 500


class ImportRefused(Exception):
    """The dump cannot go into this database; nothing was written. The message says why."""


@dataclass
class ImportResult:
    rows: dict[str, int]
    indexed: dict[str, int]


def read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    if not path.is_file():
        raise ImportRefused(f"{path} is missing: {directory} is not a complete `flask export` dump.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ImportRefused(f"{path} is not readable JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise ImportRefused(f"{path} is not a Guildhall export manifest.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(
            f"The dump has format version {manifest.get('format_version')!r}; this Guildhall reads "
            f"version {FORMAT_VERSION}."
        )
    return manifest


def import_database(app: Flask, directory: Path, reindex: bool = True) -> ImportResult:
    """Insert the dump in ``directory`` into the app's (empty) database and commit."""
    manifest = read_manifest(directory)
    with app.app_context():
        session = db.session()
        try:
            conn = session.connection()
            if conn.dialect.name == "sqlite":
                # Take the write lock before checking emptiness, and check foreign keys
                # at commit so rows referring to later rows of their own table load.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            tables = _check_target(app, conn, manifest, directory)
            later = _cycle_columns(tables)
            counts: dict[str, int] = {}
            for table in tables:
                entry = manifest["tables"][table.name]
                counts[table.name] = _insert_table(
                    session, table, directory, entry, later.get(table.name, ())
                )
            _set_later_columns(session)
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
            session.commit()
        except BaseException:
            session.info.pop(_LATER_KEY, None)
            session.rollback()
            raise
        finally:
            session.close()
    indexed: dict[str, int] = {}
    if reindex:
        indexed = rebuild.reindex(app)
    return ImportResult(rows=counts, indexed=indexed)


def _check_target(app: Flask, conn: sa.Connection, manifest: dict, directory: Path) -> list[sa.Table]:
    """The target's tables for the dump, parents first; refuse anything that would not fit."""
    here = revisions(conn)
    theirs = sorted(manifest.get("revisions") or [])
    if here != theirs:
        raise ImportRefused(
            f"The dump was made at migration revision(s) {', '.join(theirs) or '(none: create_all)'}, "
            f"this database is at {', '.join(here) or '(none)'}. Create the database with the release "
            "that made the dump and run `flask db upgrade`, then import again."
        )
    tables = {table.name: table for table in content_tables(app, conn)}
    dumped: dict[str, dict] = manifest.get("tables") or {}
    unknown = sorted(set(dumped) - set(tables))
    if unknown:
        raise ImportRefused(
            f"This database has no table for {', '.join(unknown)}: enable the plug-ins that own them "
            "and migrate (`flask db upgrade`), then import again."
        )
    for name, entry in dumped.items():
        missing = sorted(set(entry.get("columns") or []) - {column.name for column in tables[name].columns})
        if missing:
            raise ImportRefused(f"Table {name} has no column(s) {', '.join(missing)} in this database.")
        if not (directory / entry.get("file", "")).is_file():
            raise ImportRefused(f"{directory / str(entry.get('file'))} is missing from the dump.")
    occupied = [
        name
        for name, table in tables.items()
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]
    if occupied:
        raise ImportRefused(
            f"The database is not empty ({', '.join(sorted(occupied))} hold rows). `flask import` "
            "restores into an empty database only: create a new database, run `flask db upgrade`, "
            "and import into it."
        )
    return [table for table in sa.schema.sort_tables(tables.values()) if table.name in dumped]


def _cycle_columns(tables: list[sa.Table]) -> dict[str, tuple[str, ...]]:
    """Nullable foreign-key columns that close a cycle between tables, by table.

    Parents-first has no answer for a cycle (``organization.logo_upload_id`` points
    at ``upload``, whose rows point back at organizations and members), and
    PostgreSQL checks a non-deferrable foreign key at once. SQLAlchemy names the
    constraints it had to leave out of the order; their columns are inserted as NULL
    and set by an UPDATE once every table holds its rows.
    """
    cycles: dict[str, set[str]] = {}
    for table, constraints in sa.schema.sort_tables_and_constraints(tables):
        if table is not None:
            continue
        for constraint in constraints:
            if isinstance(constraint, sa.ForeignKeyConstraint) and all(
                c.nullable for c in constraint.columns
            ):
                cycles.setdefault(constraint.table.name, set()).update(c.name for c in constraint.columns)
    return {name: tuple(sorted(columns)) for name, columns in cycles.items()}


def _decoder(column: sa.Column) -> Any:
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return None
    if kind is datetime:
        return datetime.fromisoformat
    if kind is date:
        return date.fromisoformat
    if kind is time:
        return time.fromisoformat
    if kind is bytes:
        return base64.b64decode
    if kind is Decimal:
        return Decimal
    return None


def _rows(path: Path, table: sa.Table) -> Iterator[dict]:
    decoders = {column.name: _decoder(column) for column in table.columns}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
                for key, value in record.items():
                    decode = decoders[key]
                    if decode is not None and value is not None:
                        record[key] = decode(value)
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise ImportRefused(f"{path.name} line {number}: {error!r}; nothing was imported.") from error
            yield record


def _insert_table(
    session: sa.orm.Session, table: sa.Table, directory: Path, entry: dict, later: tuple[str, ...]
) -> int:
    """Insert the table's rows; the ``later`` columns (see ``_cycle_columns``) go in as
    NULL and are queued, with the row's key, for ``_set_later_columns``."""
    count = 0
    batch: list[dict] = []
    keys = [column.name for column in table.primary_key.columns]
    pending: list[dict] = []
    # The UPDATE must not fire ``onupdate`` defaults (``updated_at``): it restates them.
    kept = tuple(c.name for c in table.columns if c.onupdate is not None and c.name not in later)
    for record in _rows(directory / entry["file"], table):
        if later and any(record.get(name) is not None for name in later):
            values = {f"v_{c}": record.get(c) for c in later + kept}
            pending.append({**{f"k_{k}": record[k] for k in keys}, **values})
            record = {**record, **dict.fromkeys(later)}
        batch.append(record)
        if len(batch) >= BATCH:
            session.execute(table.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        session.execute(table.insert(), batch)
        count += len(batch)
    if count != entry.get("rows"):
        raise ImportRefused(
            f"{entry['file']} holds {count} rows, the manifest says {entry.get('rows')}: the dump is "
            "incomplete; nothing was imported."
        )
    if pending:
        session.info.setdefault(_LATER_KEY, []).append((table, later + kept, pending))
    return count


_LATER_KEY = "datatransfer_later_columns"


def _set_later_columns(session: sa.orm.Session) -> None:
    """Fill in the cycle-closing columns now that every row they point at exists."""
    for table, later, pending in session.info.pop(_LATER_KEY, []):
        statement = (
            table.update()
            .where(*(column == sa.bindparam(f"k_{column.name}") for column in table.primary_key.columns))
            .values({name: sa.bindparam(f"v_{name}") for name in later})
        )
        for start in range(0, len(pending), BATCH):
            session.execute(statement, pending[start : start + BATCH])


def _reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Move each serial/identity sequence past the restored ids, so new rows do not collide."""
    quote = conn.dialect.identifier_preparer
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, sa.Integer):
                continue
            conn.execute(
                sa.text(
                    f"SELECT setval(seq, COALESCE((SELECT MAX({quote.quote(column.name)}) "
                    f"FROM {quote.format_table(table)}), 0) + 1, false) "
                    "FROM pg_get_serial_sequence(:table, :column) AS seq WHERE seq IS NOT NULL"
                ),
                {"table": quote.format_table(table), "column": column.name},
            )
