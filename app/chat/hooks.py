"""Core hook implementations of the chat feature: the nav item with the unread count,
and ending live connections when someone signs out or is suspended."""

from __future__ import annotations

from typing import Any

from app.chat import live
from app.chat.reads import total_unread
from app.core.db import after_commit
from app.core.permissions import is_active_member
from app.extensions import db
from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    if not is_active_member(actor):
        return []

    unread = total_unread(actor)
    label = f"Chat ({unread})" if unread else "Chat"
    return [{"label": label, "endpoint": "chat.index", "order": 40}]


@hookimpl
def user_logged_out(user: Any) -> None:
    user_id = getattr(user, "id", None)
    if user_id is None:
        return

    live.disconnect_user(user_id, "signed-out")


@hookimpl
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    user_id = user.id
    after_commit(db.session, lambda: live.disconnect_user(user_id, "suspended"))
