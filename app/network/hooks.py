"""Connections and follows: the "Network" header entry, with waiting requests counted."""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    from app.core.permissions import can
    from app.network.connections import incoming_request_count

    if not can(actor, "network.use"):
        return []
    waiting = incoming_request_count(actor)
    label = f"Network ({waiting})" if waiting else "Network"
    return [{"label": label, "endpoint": "network.connections", "order": 45}]
