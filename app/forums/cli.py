"""``flask seed-demo`` and forum maintenance commands."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Attach the commands to ``app.cli``."""
