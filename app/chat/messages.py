"""Message services: post (idempotent per client id), edit, delete, history, catch-up.

Every write serialises the message while the session still holds it and hands the
payload to ``after_commit``: a message is broadcast only once it is stored, and a
rolled-back write is never seen by anyone.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.chat import channels
from app.chat.models import ChatChannel, ChatMessage
from app.core.db import after_commit, utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.permissions import can, require
from app.core.sanitize import plain_text, render_markdown
from app.extensions import db
from app.forums.mentions import link_mentions

BODY_MAX = 4000
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
HISTORY_DEFAULT = 50
HISTORY_MAX = 100
CATCH_UP_MAX = 500


def serialize(message: ChatMessage) -> dict:
    """The JSON shape shared by the socket events and the HTTP history API."""
    author = message.author
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "channel_id": message.channel_id,
        "client_id": message.client_id,
        "author": None
        if author is None
        else {"id": author.id, "username": author.username, "display_name": author.display_name},
        "body": "" if deleted else message.body,
        "body_html": "" if deleted else message.body_html,
        "created_at": message.created_at.isoformat() + "Z",
        "edited_at": message.edited_at.isoformat() + "Z" if message.edited_at else None,
        "deleted": deleted,
    }


def _clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise Invalid("A message is text.", field="body")
    body = body.strip()
    if not body:
        raise Invalid("Write a message first.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"A message can be at most {BODY_MAX:,} characters.", field="body")
    return body


def _clean_client_id(client_id: Any) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise Invalid("The client id must be 1–64 letters, digits or - _ . :", field="client_id")
    return client_id


def _render(body: str) -> tuple[str, list[User]]:
    return link_mentions(render_markdown(body))


def _broadcast(event: str, payload: dict) -> None:
    from app.chat import live

    after_commit(db.session, lambda: live.emit_to_channel(event, payload, payload["channel_id"]))


def post_message(
    actor: Any, channel: ChatChannel, body: Any, client_id: Any = None
) -> tuple[ChatMessage, bool]:
    """Store a message from ``actor`` (always the author) and broadcast it after commit.

    Returns ``(message, created)``: a resend with a client id already used by this
    author returns the stored message and broadcasts nothing new.
    """
    body = _clean_body(body)
    client_id = _clean_client_id(client_id)
    if client_id is not None:
        existing = _by_client_id(actor, client_id)
        if existing is not None:
            return _same_message(existing, channel), False
    if channel.kind == "public" and can(actor, "chat.join", channel) and not channel.has_member(actor.id):
        channels.join_channel(actor, channel)
    require(actor, "chat.post", channel, hide=True)
    html, mentioned = _render(body)
    message = ChatMessage(
        channel_id=channel.id, author_id=actor.id, client_id=client_id, body=body, body_html=html
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        # Two resends raced: the other one stored it; answer with that one.
        existing = _by_client_id(actor, client_id) if client_id else None
        if existing is None:
            raise
        return _same_message(existing, channel), False
    membership = channel.membership_of(actor.id)
    if membership is not None:
        membership.last_read_message_id = max(membership.last_read_message_id, message.id)
    _notify_mentions(actor, channel, message, mentioned)
    db.session.flush()
    _broadcast("new_message", serialize(message))
    return message, True


def _by_client_id(actor: Any, client_id: str) -> ChatMessage | None:
    return db.session.scalar(
        sa.select(ChatMessage).where(ChatMessage.author_id == actor.id, ChatMessage.client_id == client_id)
    )


def _same_message(existing: ChatMessage, channel: ChatChannel) -> ChatMessage:
    if existing.channel_id != channel.id:
        raise Conflict("That client id was already used for another message.", field="client_id")
    return existing


def _notify_mentions(actor: Any, channel: ChatChannel, message: ChatMessage, users: list[User]) -> None:
    """Mentioned people who can read the room hear about it; nobody else learns of it."""
    from app.notifications.services import notify

    if not users:
        return
    where = channels.display_name(channel, None) if channel.kind != "dm" else "a direct message"
    text = f"{actor.display_name} mentioned you in {where}: {plain_text(message.body, limit=120)}"
    url = f"/chat?channel={channel.id}#message-{message.id}"
    for user in users:
        if user.id != actor.id and can(user, "chat.view", channel):
            notify(user, "mention", text, url, actor=actor)


def get_message(actor: Any, message_id: Any) -> ChatMessage:
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise NotFound()
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        raise NotFound()
    channels.get_channel(actor, message.channel_id)
    return message


def edit_message(actor: Any, message: ChatMessage, body: Any) -> ChatMessage:
    require(actor, "chat.message.edit", message)
    body = _clean_body(body)
    if body == message.body:
        return message
    message.body = body
    message.body_html, _ = _render(body)
    message.edited_at = utcnow()
    db.session.flush()
    _broadcast("message_updated", serialize(message))
    return message


def delete_message(actor: Any, message: ChatMessage) -> ChatMessage:
    """Soft delete: the text stays for moderators' records but is never served again."""
    require(actor, "chat.message.delete", message)
    message.deleted_at = utcnow()
    message.deleted_by_id = actor.id
    db.session.flush()
    _broadcast("message_updated", serialize(message))
    return message


def _cursor(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"{name} must be a message id.", field=name)
    return value


def history(
    actor: Any, channel: ChatChannel, before: Any = None, limit: Any = HISTORY_DEFAULT
) -> list[ChatMessage]:
    """Up to ``limit`` messages older than ``before`` (newest page when absent), oldest first."""
    require(actor, "chat.view", channel, hide=True)
    before = _cursor(before, "before")
    limit = _cursor(limit, "limit") or HISTORY_DEFAULT
    query = sa.select(ChatMessage).where(ChatMessage.channel_id == channel.id)
    if before is not None:
        query = query.where(ChatMessage.id < before)
    rows = list(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(min(limit, HISTORY_MAX))))
    rows.reverse()
    return rows


def missed(actor: Any, channel: ChatChannel, after: Any, limit: int = CATCH_UP_MAX) -> list[ChatMessage]:
    """Messages after ``after`` in order: what a reconnecting client did not see."""
    require(actor, "chat.view", channel, hide=True)
    after = _cursor(after, "last_seen_id") or 0
    query = (
        sa.select(ChatMessage)
        .where(ChatMessage.channel_id == channel.id, ChatMessage.id > after)
        .order_by(ChatMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def announce(actor: Any, channel: ChatChannel, body: Any) -> ChatMessage:
    """A message from the system (CLI) rather than a member: no author."""
    if actor is not None:
        require(actor, "chat.announce")
    body = _clean_body(body)
    html, _ = _render(body)
    message = ChatMessage(channel_id=channel.id, author_id=None, body=body, body_html=html)
    db.session.add(message)
    db.session.flush()
    _broadcast("new_message", serialize(message))
    return message
