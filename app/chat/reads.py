"""Read markers and unread counts.

A member's marker is the id of the newest message they have seen in a room; ids only
grow, so "unread" is a range query over the ``(channel_id, id)`` index. Own messages
and deleted ones never count.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.chat.models import ChatChannel, ChatMembership, ChatMessage
from app.core.errors import NotFound
from app.core.permissions import is_active_member, require
from app.extensions import db


def mark_read(actor: Any, channel: ChatChannel, message_id: Any) -> int:
    """Move the actor's marker forward to ``message_id`` (never back, never past the
    newest message); returns the marker."""
    require(actor, "chat.view", channel, hide=True)
    membership = channel.membership_of(actor.id)
    if membership is None:
        raise NotFound()
    if isinstance(message_id, bool) or not isinstance(message_id, int) or message_id < 0:
        raise NotFound()
    newest = db.session.scalar(
        sa.select(sa.func.max(ChatMessage.id)).where(ChatMessage.channel_id == channel.id)
    )
    target = min(message_id, newest or 0)
    if target > membership.last_read_message_id:
        membership.last_read_message_id = target
        db.session.flush()
    return membership.last_read_message_id


def unread_counts(actor: Any) -> dict[int, int]:
    """``{channel_id: unread}`` for every room the actor belongs to, in one query."""
    if not is_active_member(actor):
        return {}
    query = (
        sa.select(ChatMembership.channel_id, sa.func.count(ChatMessage.id))
        .join(
            ChatMessage,
            sa.and_(
                ChatMessage.channel_id == ChatMembership.channel_id,
                ChatMessage.id > ChatMembership.last_read_message_id,
            ),
        )
        .where(
            ChatMembership.user_id == actor.id,
            ChatMembership.removed_at.is_(None),
            ChatMessage.deleted_at.is_(None),
            sa.or_(ChatMessage.author_id.is_(None), ChatMessage.author_id != actor.id),
        )
        .group_by(ChatMembership.channel_id)
    )
    return {channel_id: count for channel_id, count in db.session.execute(query)}


def total_unread(actor: Any) -> int:
    """The header's number: unread messages across all the actor's rooms."""
    return sum(unread_counts(actor).values())
