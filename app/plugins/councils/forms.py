"""Council forms: they validate; services decide and write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.plugins.councils.models import ROLE_LABELS


class CouncilForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    scope = SelectField(
        "Scope", choices=[SelectChoice("global", "Global"), SelectChoice("region", "A region")]
    )
    region = StringField("Region (for a regional council)", validators=[Optional(), Length(max=80)])
    seats = IntegerField("Seats", default=12, validators=[DataRequired(), NumberRange(min=1, max=200)])
    term_months = IntegerField(
        "Term (months)", default=24, validators=[DataRequired(), NumberRange(min=1, max=120)]
    )
    rules = TextAreaField(
        "Seat rules, one per line: kind, value, max seats (kind is tier, type or region)",
        validators=[Optional(), Length(max=2000)],
    )
    applications_open_from = DateField("Applications open from", validators=[Optional()])
    applications_open_until = DateField("Applications open until", validators=[Optional()])
    charter = TextAreaField("Charter and confidentiality terms (Markdown)", validators=[DataRequired()])


class ApplicationForm(FlaskForm):
    statement = TextAreaField(
        "Why you, and what you would bring", validators=[DataRequired(), Length(max=4000)]
    )


class InviteForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    role = SelectField("Role", choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()], default="member")


class DecisionForm(FlaskForm):
    note = StringField("Note", validators=[Optional(), Length(max=1000)])
    override_reason = StringField(
        "Admin override reason (one seat per organization)", validators=[Optional(), Length(max=1000)]
    )


class AcceptForm(FlaskForm):
    version = IntegerField("Version", validators=[DataRequired()])


class CharterForm(FlaskForm):
    charter = TextAreaField("Charter and confidentiality terms (Markdown)", validators=[DataRequired()])


class DocumentForm(FlaskForm):
    """A link or a note: the service decides which, and refuses both or neither."""

    title = StringField("Title", validators=[Optional(), Length(max=200)])
    url = StringField("Link (http:// or https://)", validators=[Optional(), Length(max=500)])
    body = TextAreaField(
        "Or a note (Markdown)", validators=[Optional(), Length(max=20_000)], render_kw={"rows": 6}
    )
