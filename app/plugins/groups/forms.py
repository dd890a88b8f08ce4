"""Group forms: they validate; services decide and write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.plugins.groups.models import (
    JOIN_POLICY_LABELS,
    KIND_LABELS,
    LEADER_ROLE_LABELS,
    RULE_KIND_LABELS,
    VISIBILITY_LABELS,
)


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    region = StringField("Region (for a regional group)", validators=[Optional(), Length(max=80)])
    country = StringField("Country (for a regional group)", validators=[Optional(), Length(max=80)])
    topic_tags = StringField(
        "Topic tags, separated by commas (for a topic group)", validators=[Optional(), Length(max=500)]
    )
    description = TextAreaField(
        "Description (Markdown)", validators=[Optional(), Length(max=10_000)], render_kw={"rows": 5}
    )
    visibility = SelectField("Visibility", choices=[SelectChoice(k, v) for k, v in VISIBILITY_LABELS.items()])
    join_policy = SelectField("Joining", choices=[SelectChoice(k, v) for k, v in JOIN_POLICY_LABELS.items()])
    watch_on_join = BooleanField("Members watch the group's forum when they join", default=True)
    organizer = StringField(
        "Organizer's username (a mentor or an admin; optional)", validators=[Optional(), Length(max=80)]
    )


class RequestForm(FlaskForm):
    note = TextAreaField(
        "A note for the leaders (optional)", validators=[Optional(), Length(max=1000)], render_kw={"rows": 2}
    )


class NoteForm(FlaskForm):
    """A leader's decision or ban, with an optional note."""

    note = StringField("Note (optional)", validators=[Optional(), Length(max=1000)])


class InviteForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])


class LeaderForm(FlaskForm):
    username = StringField("Username (a mentor or an admin)", validators=[DataRequired(), Length(max=80)])
    role = SelectField(
        "Role", choices=[SelectChoice(k, v) for k, v in LEADER_ROLE_LABELS.items()], default="co_organizer"
    )


class RuleForm(FlaskForm):
    kind = SelectField("Members whose", choices=[SelectChoice(k, v) for k, v in RULE_KIND_LABELS.items()])
    value = StringField(
        "is (a region, a country, or an organization's address)", validators=[DataRequired(), Length(max=120)]
    )


class AnnouncementForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        "Announcement (Markdown)", validators=[DataRequired(), Length(max=20_000)], render_kw={"rows": 5}
    )
