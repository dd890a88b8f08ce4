"""Which tables a dump holds, shared by export and import."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from app import models as _core_models  # noqa: F401 - the whole core metadata
from app.extensions import db
from app.plugins import plugin_manager

# Derived data rebuilt after an import instead of restored (see the package docstring).
DERIVED_TABLES = frozenset({"search_pending", "search_document", "user_session"})


def is_derived(table: sa.Table) -> bool:
    return table.name in DERIVED_TABLES or table.info.get("export") is False


def content_tables(app: Flask, connection: sa.Connection) -> list[sa.Table]:
    """Content tables that exist in the connected database, parents before children.

    The core metadata plus every ``export_tables`` hook answer (a plug-in with its own
    ``MetaData`` is found only that way). A model imported but not migrated, e.g. a
    disabled plug-in's, has no table in the database and is skipped.
    """
    known: dict[str, sa.Table] = {table.name: table for table in db.metadata.sorted_tables}
    for answer in plugin_manager(app).hook.export_tables():
        for table in answer or []:
            known.setdefault(table.name, table)
    present = set(sa.inspect(connection).get_table_names())
    wanted = [table for name, table in known.items() if name in present and not is_derived(table)]
    return sa.schema.sort_tables(wanted)


def revisions(connection: sa.Connection) -> list[str]:
    """The database's Alembic heads (empty for a schema made by ``create_all``)."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return []
    rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
    return sorted(row[0] for row in rows)
