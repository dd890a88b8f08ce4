"""``flask chat announce CHANNEL TEXT``: post a system message from outside the server.

The message is stored, then emitted. With ``SOCKETIO_MESSAGE_QUEUE`` set the emit goes
through a write-only Socket.IO client manager on that queue, so browsers connected to
any server process receive it; without a queue there is no way to reach another
process, and the message appears on the next load.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup

from app.chat import messages
from app.chat.models import ChatChannel
from app.chat.presence import state
from app.core.errors import DomainError
from app.extensions import db

chat_cli = AppGroup("chat", help="Live chat administration.")


@chat_cli.command("announce")
@click.argument("channel")
@click.argument("text")
def announce_command(channel: str, text: str) -> None:
    """Post TEXT to CHANNEL (its slug or id) as a system announcement."""
    # Only the emit command needs a Socket.IO client to the message queue.
    from flask_socketio import SocketIO

    query = sa.select(ChatChannel).where(ChatChannel.slug == channel)
    if channel.isascii() and channel.isdigit():
        query = sa.select(ChatChannel).where(
            sa.or_(ChatChannel.slug == channel, ChatChannel.id == int(channel))
        )
    target = db.session.scalar(query)
    if target is None or target.kind == "dm":
        raise click.ClickException(f"No channel {channel!r}.")
    queue = current_app.config.get("SOCKETIO_MESSAGE_QUEUE")
    if queue:
        state().emitter = SocketIO(
            message_queue=queue, channel=current_app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        )
    try:
        message = messages.announce(None, target, text)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    click.echo(
        f"Announced message {message.id} in #{target.slug}"
        + ("" if queue else " (no message queue: not live)")
    )


def register(app: Flask) -> None:
    app.cli.add_command(chat_cli)
