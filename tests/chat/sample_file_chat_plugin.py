"""A sample plug-in whose groups live in a JSON file, so that several server processes
see one membership (the two-process chat test, ``tests/services/test_chat_redis.py``).

``SAMPLE_CHAT_GROUPS_FILE`` names the file: ``{"<group id>": [<user id>, ...]}``. A test
that rewrites it changes the membership without telling chat, as a council term that
lapses at midnight does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import current_app

from app.plugins import hookimpl

SCOPE_TYPE = "sample_file_group"


def _groups() -> dict[int, set[int]]:
    path = current_app.config.get("SAMPLE_CHAT_GROUPS_FILE")
    if not path or not Path(path).exists():
        return {}
    return {
        int(group): {int(user) for user in users}
        for group, users in json.loads(Path(path).read_text()).items()
    }


@hookimpl
def chat_channels_for(actor: Any) -> list[dict]:
    user_id = getattr(actor, "id", None)
    return [
        {"scope_type": SCOPE_TYPE, "scope_id": group, "name": f"File group {group}", "topic": "Members only"}
        for group, members in sorted(_groups().items())
        if user_id in members
    ]


@hookimpl
def chat_channel_members(scope_type: str, scope_id: int) -> list[int] | None:
    if scope_type != SCOPE_TYPE:
        return None
    return sorted(_groups().get(scope_id, set()))
