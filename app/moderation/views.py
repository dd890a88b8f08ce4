"""Moderation pages: review queue, actions, suspensions, audit log."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/mod")
