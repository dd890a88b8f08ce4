"""A stand-in plug-in for the tests: documents in a private council and a public event,
and the ``council:1`` principal for the member called ``councillor``."""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl


@hookimpl
def search_documents(since: Any) -> list[dict]:
    return [
        {
            "kind": "council_minutes",
            "id": 1,
            "title": "Council minutes",
            "body": "needle councilword agenda",
            "url": "/councils/1/minutes",
            "principals": ["council:1"],
        },
        {
            "kind": "event",
            "id": 7,
            "title": "Partner summit",
            "body": "needle eventword keynote",
            "url": "/events/7",
            "principals": ["public"],
        },
        {"kind": "event", "id": 8, "title": "No principals", "body": "needle orphanword", "url": "/events/8"},
    ]


@hookimpl
def search_principals(actor: Any) -> list[str]:
    return ["council:1"] if getattr(actor, "username", None) == "councillor" else []
