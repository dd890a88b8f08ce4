"""Connections and follows: profile panels and notifications."""

from __future__ import annotations

from typing import Any  # noqa: F401

from app.plugins import hookimpl  # noqa: F401
