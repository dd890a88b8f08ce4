"""Notifications page and preferences."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
def index():
    abort(404)
