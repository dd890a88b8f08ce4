"""Forum forms: validate shape only; the services decide and save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.core.params import WholeNumberField
from app.forums.posting import BODY_MAX, TITLE_MAX, TITLE_MIN

POLICY_HINT = "everyone, members, or a comma list of roles (member, mentor, moderator, admin)"


class TopicForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    body = TextAreaField(
        "Message", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )


class NewTopicAnyForm(TopicForm):
    category = SelectField("Category", coerce=int, validators=[DataRequired()])


class ReplyForm(FlaskForm):
    body = TextAreaField(
        "Your reply", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )
    reply_to = HiddenField()


class EditPostForm(FlaskForm):
    title = StringField("Title", validators=[Optional(), Length(min=TITLE_MIN, max=TITLE_MAX)])
    body = TextAreaField(
        "Message", validators=[DataRequired(), Length(max=BODY_MAX)], render_kw={"data-uploads": ""}
    )


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    slug = StringField("Slug", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    parent = SelectField("Parent category", coerce=int, default=0)
    position = WholeNumberField(
        "Position", default=0, validators=[Optional()], minimum=-1_000_000, maximum=1_000_000
    )
    view_policy = StringField("Who can see it", default="everyone", validators=[DataRequired()])
    topic_policy = StringField("Who can start topics", default="members", validators=[DataRequired()])
    reply_policy = StringField("Who can reply", default="members", validators=[DataRequired()])


class EmptyForm(FlaskForm):
    """CSRF only, for buttons that POST (like, watch, delete, restore)."""
