"""``flask uploads cleanup``: remove uploads nothing uses any more."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app

from app.extensions import db
from app.uploads import services


def register(app: Flask) -> None:
    @app.cli.group("uploads")
    def uploads_group() -> None:
        """Manage uploaded files."""

    @uploads_group.command("cleanup")
    @click.option(
        "--hours",
        type=click.IntRange(min=0),
        default=None,
        help="Only what is older than this (default: UPLOAD_ORPHAN_HOURS, 24).",
    )
    def cleanup_command(hours: int | None) -> None:
        """Remove attachments in no post, unused avatars and logos, and stored files
        with no row. Run it from cron or the job runner, e.g. daily."""
        if hours is None:
            hours = int(current_app.config["UPLOAD_ORPHAN_HOURS"])
        report = services.cleanup_orphans(timedelta(hours=hours))
        db.session.commit()
        click.echo(f"Removed {report.rows} unused upload(s) and {report.files} stray file(s).")
