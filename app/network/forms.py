"""Forms for connections, follows and "Message": they validate shape, never save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from app.network.connections import MESSAGE_MAX


class NetworkActionForm(FlaskForm):
    """A POST button (accept, decline, remove, follow, message) with its CSRF token and
    the local page to return to."""

    next = HiddenField()


class ConnectForm(NetworkActionForm):
    message = TextAreaField(
        "Add a note (optional)",
        validators=[
            Optional(),
            Length(max=MESSAGE_MAX, message=f"Keep the note under {MESSAGE_MAX} characters."),
        ],
    )
