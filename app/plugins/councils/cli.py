"""``flask councils …``: run the term expiry by hand (the worker runs it daily)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.plugins.councils import services

councils_cli = AppGroup("councils", help="Advisory councils.")


@councils_cli.command("expire-terms")
def expire_terms_command() -> None:
    """End every council term that is over (idempotent)."""
    ended = services.expire_terms()
    db.session.commit()
    click.echo(f"Ended {len(ended)} council term(s).")
