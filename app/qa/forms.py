"""Q&A forms: validate shape only; the services decide and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.params import MAX_ID, WholeNumberField
from app.forums.posting import BODY_MAX, TITLE_MAX, TITLE_MIN
from app.qa.comments import COMMENT_MAX
from app.qa.settings import LABELS, POINTS, THRESHOLDS
from app.qa.tags import DESCRIPTION_MAX


class AskForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    body = TextAreaField(
        "Your question", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )
    tags = StringField("Tags", validators=[DataRequired(), Length(max=200)])
    category = SelectField("Category", coerce=int, validators=[DataRequired()])


class AnswerForm(FlaskForm):
    body = TextAreaField(
        "Your answer", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )


class CommentForm(FlaskForm):
    body = StringField("Add a comment", validators=[DataRequired(), Length(max=COMMENT_MAX)])


class VoteForm(FlaskForm):
    value = HiddenField("Vote", validators=[DataRequired()])


class CloseForm(FlaskForm):
    reason = SelectField(
        "Close as",
        choices=[
            SelectChoice("duplicate", "Duplicate of another question"),
            SelectChoice("off-topic", "Off-topic"),
        ],
    )
    duplicate_of = WholeNumberField(
        "Duplicate of question number", validators=[Optional()], minimum=1, maximum=MAX_ID
    )


class EditForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    body = TextAreaField(
        "Text", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )


class TagDescriptionForm(FlaskForm):
    description = TextAreaField("Description", validators=[Optional(), Length(max=DESCRIPTION_MAX)])


class QACategoryForm(FlaskForm):
    category = SelectField("Category", coerce=int, validators=[DataRequired()])
    enabled = BooleanField("Q&A category", default=True)
    multiple_accepted = BooleanField("Allow several accepted answers")


class EmptyForm(FlaskForm):
    """CSRF only, for buttons that POST (accept, reopen, follow, delete comment)."""


def settings_form_class() -> type[FlaskForm]:
    """A form with one integer field per setting, built from the settings table."""
    fields = {
        key: WholeNumberField(LABELS[key], validators=[InputRequired()])
        for key, _, _ in (*POINTS, *THRESHOLDS)
    }
    return type("QASettingsForm", (FlaskForm,), fields)
