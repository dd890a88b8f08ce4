"""Notification forms: they validate input and never save."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField


class PreferencesForm(FlaskForm):
    email_replies = BooleanField("Email me when someone replies to my topics or posts")
    email_mentions = BooleanField("Email me when someone mentions me")
    notify_likes = BooleanField("Notify me when someone likes my post")
    notify_watching = BooleanField("Notify me about new posts in topics and categories I watch")


class EmptyForm(FlaskForm):
    """CSRF-only form for buttons (mark read, mark all read)."""
