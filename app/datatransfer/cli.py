"""``flask export DIR``, ``flask import DIR`` and ``flask backup FILE``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

from app.datatransfer.backup import BackupFailed, backup_postgres, backup_sqlite
from app.datatransfer.export import export_database
from app.datatransfer.importer import ImportRefused, import_database


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(directory: Path) -> None:
    """Dump every content table as JSON lines into DIRECTORY (new or empty).

    Safe while the server runs: everything is read in one transaction."""
    try:
        manifest = export_database(current_app._get_current_object(), directory)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from error
    total = sum(entry["rows"] for entry in manifest.tables.values())
    click.echo(f"Exported {total} rows from {len(manifest.tables)} tables to {directory}.")
    click.echo("Left out (rebuilt on import): search index, sign-in sessions.")


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--no-reindex", is_flag=True, help="Skip the search rebuild (run `flask search reindex` later)."
)
def import_command(directory: Path, no_reindex: bool) -> None:
    """Restore a `flask export` dump into an EMPTY, migrated database (all or nothing)."""
    try:
        result = import_database(current_app._get_current_object(), directory, reindex=not no_reindex)
    except ImportRefused as error:
        raise click.ClickException(str(error)) from error
    except sa.exc.SQLAlchemyError as error:
        message = str(error).splitlines()[0]
        raise click.ClickException(
            f"The import failed and was rolled back, nothing was written: {message}"
        ) from error
    click.echo(f"Imported {sum(result.rows.values())} rows into {len(result.rows)} tables.")
    if result.indexed:
        click.echo(f"Search index rebuilt: {sum(result.indexed.values())} documents.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target: Path) -> None:
    """Copy the live database to TARGET (SQLite online backup; pg_dump on PostgreSQL)."""
    url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        if url.get_backend_name() == "sqlite":
            size = backup_sqlite(url, target)
            click.echo(f"Backed up {url.database} to {target} ({size} bytes, integrity_check ok).")
        elif url.get_backend_name() == "postgresql":
            backup_postgres(url, target)
            click.echo(f"pg_dump wrote {target}; restore with: pg_restore --no-owner -d NEWDB {target}")
        else:
            raise BackupFailed(f"No backup method for {url.get_backend_name()}.")
    except BackupFailed as error:
        raise click.ClickException(str(error)) from error


def register(app: Flask) -> None:
    for command in (export_command, import_command, backup_command):
        app.cli.add_command(command)
