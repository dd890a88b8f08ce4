"""``flask user …`` and ``flask org …`` commands."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the command groups to ``app.cli``."""
