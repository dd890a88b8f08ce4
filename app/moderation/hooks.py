"""Core hook implementations of the moderation feature (nav items, event listeners)."""

from __future__ import annotations

from app.plugins import hookimpl  # noqa: F401
