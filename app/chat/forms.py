"""Forms on the chat page (validation only; the page's script submits them as JSON)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length


class NewChannelForm(FlaskForm):
    name = StringField("Channel name", validators=[DataRequired(), Length(max=80)])
    topic = StringField("Topic (optional)", validators=[Length(max=300)])
    kind = SelectField(
        "Who can join",
        choices=[SelectChoice("public", "Any member"), SelectChoice("private", "Invited members only")],
    )


class DirectMessageForm(FlaskForm):
    usernames = StringField("Usernames (up to 19, separated by spaces)", validators=[DataRequired()])
