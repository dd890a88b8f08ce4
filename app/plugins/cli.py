"""``flask plugins list``: each plug-in's version, state and migration head."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.plugins.info import EXTENSION_KEY, describe_plugins

plugins_cli = AppGroup("plugins", help="Inspect Guildhall plug-ins.")


@plugins_cli.command("list")
@click.option("--core", is_flag=True, help="Also list the core listeners (always on).")
def list_plugins(core: bool) -> None:
    """List in-tree and external plug-ins with version, state and migration head."""
    manager = current_app.extensions[EXTENSION_KEY]
    rows = describe_plugins(current_app, manager, engine=db.engine, include_core=core)
    if not rows:
        click.echo("No plug-ins.")
        return
    header = ("NAME", "VERSION", "STATE", "KIND", "MIGRATION HEAD")
    table = [header]
    for row in rows:
        if row.migration_head:
            applied = {True: " (applied)", False: " (not applied)", None: ""}[row.migration_applied]
            head = row.migration_head + applied
        else:
            head = "-"
        table.append((row.name, row.version, row.state, row.kind, head))
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
