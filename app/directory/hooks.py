"""Directory listing: nav item, search documents for members, profile panels for custom fields."""

from __future__ import annotations

from typing import Any  # noqa: F401

from app.plugins import hookimpl  # noqa: F401
