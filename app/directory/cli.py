"""``flask directory rebuild-facets``: derive every facet row again from the tables."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.directory.facets import rebuild_all
from app.extensions import db

directory_cli = AppGroup("directory", help="Member and organization directory.")


@directory_cli.command("rebuild-facets")
def rebuild_facets_command() -> None:
    """Rebuild the directory's facet rows (after a bulk import or a restore)."""

    counts = rebuild_all()
    db.session.commit()
    click.echo(f"Rebuilt directory facets: {counts['user']} member rows, {counts['org']} organization rows.")
