"""Notification forms: they validate input and never save."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField

from app.notifications.kinds import DELIVERY, PluginKind


class PreferencesForm(FlaskForm):
    email_replies = BooleanField("Email me when someone replies to my topics or posts")
    email_mentions = BooleanField("Email me when someone mentions me")
    notify_likes = BooleanField("Notify me when someone likes my post")
    notify_watching = BooleanField("Notify me about new posts in topics and categories I watch")


def kind_field_name(kind: PluginKind) -> str:
    return f"kind_{kind.name}"


def preferences_form_class(kinds: Iterable[PluginKind]) -> type[PreferencesForm]:
    """The preferences form with one delivery choice per kind the enabled plug-ins
    declare; built per request because the plug-ins are the app's, not the module's."""

    class Form(PreferencesForm):
        pass

    choices = [SelectChoice(value, label) for value, label, _in_app, _email in DELIVERY]
    for kind in kinds:
        setattr(Form, kind_field_name(kind), SelectField(kind.label, choices=choices))
    return Form


class EmptyForm(FlaskForm):
    """CSRF-only form for buttons (mark read, mark all read)."""
