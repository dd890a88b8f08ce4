"""``flask mail retry``: send queued email now, without waiting for its back-off."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.notifications.mail import make_all_due, send_queued

mail_cli = AppGroup("mail", help="Outgoing email queue.")


@mail_cli.command("retry")
def retry_command() -> None:
    """Send every unsent email now (after fixing the SMTP settings, say); exit status 1
    when some still failed (they stay queued for the worker's retries)."""
    app = current_app._get_current_object()
    waiting = make_all_due()
    result = send_queued(app)
    click.echo(f"{waiting} waiting: {result.sent} sent, {result.failed} failed.")
    if result.failed:
        click.echo(f"Last error: {result.last_error}", err=True)
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(mail_cli)
