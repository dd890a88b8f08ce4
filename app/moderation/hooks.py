"""Core hook implementations of the moderation feature (nav items, event listeners)."""

from __future__ import annotations

from typing import Any

from app.core.permissions import can
from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    """Staff see "Review (N)" with the number of open flags."""
    if not can(actor, "moderation.review"):
        return []
    from app.moderation.services import open_flag_count

    return [{"label": f"Review ({open_flag_count()})", "endpoint": "moderation.queue", "order": 90}]
