"""Directory forms: custom field definitions (admins) and a member's directory settings.

Forms check shape only; ``fields`` and ``profiles`` services decide and save. The
settings form gains one input per custom field at request time (``cf_<key>``, plus
``hide_<key>`` to keep that value off the directory).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from app.directory.fields import (
    CHOICE_MAX,
    HELP_MAX,
    KIND_LABELS,
    LABEL_MAX,
    MAX_CHOICES,
    TEXT_VALUE_MAX,
    URL_VALUE_MAX,
    VISIBILITY_LABELS,
)
from app.directory.models import FIELD_KINDS, FIELD_VISIBILITIES, HIDEABLE_FIELDS, ProfileField
from app.directory.profiles import FIELD_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FieldForm(FlaskForm):
    key = StringField(
        "Key (used in directory links; cannot change later)", validators=[Optional(), Length(max=40)]
    )
    label = StringField("Label", validators=[DataRequired(), Length(max=LABEL_MAX)])
    kind = SelectField("Kind", choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in FIELD_KINDS])
    choices = TextAreaField(
        "Choices (one per line; for single and multiple choice)",
        validators=[Optional(), Length(max=MAX_CHOICES * (CHOICE_MAX + 2))],
    )
    help_text = StringField("Help text", validators=[Optional(), Length(max=HELP_MAX)])
    required = BooleanField("Required: members must fill it in")
    searchable = BooleanField("Searchable: matched by the directory's free-text search")
    in_directory = BooleanField("Shown in the directory (and offered as a filter for choice fields)")
    visibility = SelectField(
        "Visible to", choices=[SelectChoice(value, VISIBILITY_LABELS[value]) for value in FIELD_VISIBILITIES]
    )


class ActionForm(FlaskForm):
    """No inputs: a POST button with its CSRF token (delete, move)."""


class DirectorySettingsForm(FlaskForm):
    hidden = BooleanField("Hide me from the directory (my profile page stays reachable)")
    hidden_fields = MultiCheckboxField(
        "Keep these details out of the directory, search and exports",
        choices=[SelectChoice(name, FIELD_LABELS[name]) for name in HIDEABLE_FIELDS],
        validate_choice=False,  # the service names an unknown choice
    )
    certifications = StringField("Certifications", validators=[Optional(), Length(max=2000)])
    industries = StringField("Industries you work in", validators=[Optional(), Length(max=2000)])


def settings_form_class(fields: list[ProfileField]) -> type[DirectorySettingsForm]:
    """A settings form with inputs for the current custom fields."""

    class SettingsForm(DirectorySettingsForm):
        pass

    for custom in fields:
        label = custom.label + ("" if custom.required else " (optional)")
        description = custom.help_text or ""
        if custom.kind == "text":
            control = StringField(label, validators=[Length(max=TEXT_VALUE_MAX)], description=description)
        elif custom.kind == "url":
            control = StringField(label, validators=[Length(max=URL_VALUE_MAX)], description=description)
        elif custom.kind == "choice":
            control = SelectField(
                label,
                choices=[SelectChoice("", "—")] + [SelectChoice(choice, choice) for choice in custom.choices],
                validate_choice=False,
                description=description,
            )
        else:
            control = MultiCheckboxField(
                label,
                choices=[SelectChoice(choice, choice) for choice in custom.choices],
                validate_choice=False,
                description=description,
            )
        setattr(SettingsForm, f"cf_{custom.key}", control)
        setattr(SettingsForm, f"hide_{custom.key}", BooleanField(f"Keep {custom.label} out of the directory"))
    return SettingsForm
