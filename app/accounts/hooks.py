"""Core hook implementations of the accounts feature (nav items).

Register in ``create_app`` alongside the other features' hooks:
``build_plugin_manager(app, internal=[..., accounts_hooks])``.
"""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    """Partner organizations are public, so everyone sees the link."""
    return [{"label": "Organizations", "endpoint": "accounts.organizations", "order": 60, "more": True}]
