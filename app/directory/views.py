"""The directory pages: /directory, its JSON and CSV, the expert finder, directory settings, custom fields admin."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("directory", __name__)
