"""Moderation forms: they validate input and never save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.moderation.models import FLAG_REASONS
from app.moderation.services import NOTE_MAX, REASON_MAX, RESOLUTIONS, SUSPEND_DAY_CHOICES


class FlagForm(FlaskForm):
    reason = SelectField(
        "Why should a moderator look at this post?",
        choices=[SelectChoice(value, label) for value, label in FLAG_REASONS],
    )
    note = TextAreaField("Anything the moderators should know? (optional)", validators=[Length(max=NOTE_MAX)])


class ResolveFlagForm(FlaskForm):
    resolution = SelectField("Decision", choices=[SelectChoice(r, r.capitalize()) for r in RESOLUTIONS])
    # "Hide and suspend the author for N days": empty for the plain outcomes.
    days = SelectField(
        "Suspend the author for",
        choices=[SelectChoice("", "—")]
        + [SelectChoice(str(n), f"{n} day{'s' if n != 1 else ''}") for n in SUSPEND_DAY_CHOICES],
        validators=[Optional()],
    )


class HidePostForm(FlaskForm):
    reason = StringField(
        "Reason (shown to the author)",
        validators=[DataRequired("Please give a reason."), Length(max=REASON_MAX)],
    )
    next = HiddenField()


class ReasonForm(FlaskForm):
    """For actions where a reason is optional (unhide, lock, pin, unsuspend)."""

    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=REASON_MAX)])
    next = HiddenField()


class MoveTopicForm(FlaskForm):
    category_id = SelectField(
        "Move to category", coerce=int, validators=[InputRequired("Choose a category.")]
    )
    reason = StringField("Reason (optional)", validators=[Optional(), Length(max=REASON_MAX)])


class SuspendForm(FlaskForm):
    until = DateField(
        "Suspended until (UTC date)", validators=[InputRequired("Enter the date the suspension ends.")]
    )
    reason = TextAreaField(
        "Reason (shown to the member when they try to sign in)",
        validators=[DataRequired("Please give a reason."), Length(max=REASON_MAX)],
    )


class SilenceForm(FlaskForm):
    until = DateField(
        "Silenced until (UTC date)", validators=[InputRequired("Enter the date the silence ends.")]
    )
    reason = TextAreaField(
        "Reason (shown to the member when they try to post)",
        validators=[DataRequired("Please give a reason."), Length(max=REASON_MAX)],
    )
