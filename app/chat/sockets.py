"""The ``/chat`` Socket.IO namespace: a thin boundary over the chat services.

Authentication is the Flask-Login session: Flask-SocketIO runs with
``manage_session=False``, so every handler sees the cookie session the socket
connected with, and Flask-Login reloads the user from it for each event. A suspended
user (or one whose session token was rotated) is therefore anonymous on their very
next event, and sign-out and suspension also disconnect their sockets outright
(``live.disconnect_user``).

Each handler validates the payload's shape, calls one service, commits, and answers
through the acknowledgement; every failure becomes an ``error`` event (and an
``{"error": …}`` acknowledgement), never an exception in the server.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room

from app.chat import channels, live, messages, presence, reads
from app.chat.presence import state
from app.chat.writes import WriteQueue
from app.core.errors import DomainError, Invalid, PermissionDenied
from app.core.params import parse_id
from app.core.permissions import can, is_active_member
from app.core.textcheck import check_text
from app.extensions import db, socketio

log = logging.getLogger("guildhall.chat")

EVENTS = frozenset({"join", "send", "edit", "delete", "typing", "read", "history", "presence"})
MAX_PAYLOAD_KEYS = 10


def _actor() -> Any:
    """The session's user, loaded afresh for this event (never a cached one)."""
    g.pop("_login_user", None)
    return current_user._get_current_object()


def _payload(args: tuple) -> dict:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise Invalid("The event data must be one object.")
    data = args[0]
    if len(data) > MAX_PAYLOAD_KEYS:
        raise Invalid("The event data has too many fields.")
    check_text(data)
    return data


def _int(data: dict, name: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{name} must be a non-negative integer.", field=name)
    return parse_id(value, name=name)


def _error(event: str, message: str, field: str | None = None) -> dict:
    body = {"event": event if isinstance(event, str) else None, "error": message, "field": field}
    emit("error", body)
    return {"error": message, "field": field}


def handler(event: str) -> Callable:
    """Wrap an event handler: fresh actor, shape checks, one commit, errors as events."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(self: ChatNamespace, *args: Any) -> Any:
            try:
                actor = _actor()
                if not is_active_member(actor):
                    raise PermissionDenied("Your session has ended; sign in again.")
                result = fn(self, actor, _payload(args))
                db.session.commit()
                return result
            except DomainError as error:
                db.session.rollback()
                return _error(event, error.message, error.field)
            except Exception:  # a bad event must never take the server down
                db.session.rollback()
                log.exception("chat event %r failed", event)
                return _error(event, "Something went wrong; please try again.")

        return wrapper

    return decorate


def _online(channel_id: int) -> list[int]:
    return sorted(state().registry.online(channels.member_ids(channel_id)))


class ChatNamespace(Namespace):
    """Events: join, send, edit, delete, typing, read, history, presence."""

    def __init__(self, namespace: str = live.NAMESPACE) -> None:
        super().__init__(namespace)
        # Socket id -> user id for this process's sockets: on disconnect the session
        # may already be gone (signed out), but we still know whose socket it was.
        self._users: dict[str, int] = {}
        # A send's write (membership-guarded INSERT, read marker, COMMIT, broadcast)
        # runs one at a time in this process; its reads (session user, channel,
        # permission) and the Markdown rendering do not. Every event runs in its own
        # thread, and when a busy room made sends overlap they queued on SQLite's
        # write lock, whose busy handler sleeps in steps of up to 100 ms, while
        # competing for the GIL with the delivery threads. Queued on this lock, the
        # next write starts the moment the previous one commits, and messages go out
        # in the order they were stored.
        self.write_lock = threading.Lock()
        # Sends that queue behind a write are stored together, in one transaction
        # under the same lock (group commit, see app/chat/writes.py): one at a time,
        # a process stored at most 25–40 messages a second into a 200-member room.
        self.writes = WriteQueue(self.write_lock)

    def trigger_event(self, event: Any, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        if not isinstance(event, str) or event not in EVENTS:
            return self.socketio._handle_event(self._unknown_event, "error", self.namespace, *args)
        return super().trigger_event(event, *args)

    def _unknown_event(self, *args: Any) -> dict:
        return _error("unknown", "Unknown event.")

    # --- connection --------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> None:
        actor = _actor()
        if not is_active_member(actor) or not can(actor, "chat.use"):
            raise ConnectionRefusedError("Sign in to use chat.")
        registry = state().registry
        self._users[request.sid] = actor.id
        came_online = registry.add(actor.id, request.sid)
        join_room(live.user_room(actor.id))
        # A plug-in room that no longer admits them is left here (the commit tells their
        # sockets) and never joined.
        try:
            channel_ids = channels.connect_channel_ids(actor)
            db.session.commit()  # usually reads only; ends the transaction
        except Exception:  # a failing plug-in or database refuses this connection only
            db.session.rollback()
            self._users.pop(request.sid, None)
            registry.remove(actor.id, request.sid)
            log.exception("chat connect of user %s failed", actor.id)
            raise ConnectionRefusedError("Chat is unavailable; try again.") from None
        for channel_id in channel_ids:
            join_room(live.channel_room(channel_id))
        if came_online:
            for channel_id in channel_ids:
                state().presence.change(channel_id, actor.id, True)

    def on_disconnect(self, reason: Any = None) -> None:
        # No database here: this also runs inside another request's after-commit
        # (sign-out, suspension), whose session cannot be used any more. The socket's
        # own rooms say which channels to tell, and whose socket it was is remembered.
        user_id = self._users.pop(request.sid, None)
        if user_id is None:
            return
        rooms = [room for room in self.rooms(request.sid) if room.startswith("channel:")]
        if state().registry.remove(user_id, request.sid):
            for room in rooms:
                state().presence.change(int(room.split(":", 1)[1]), user_id, False)

    # --- events --------------------------------------------------------------------
    @handler("join")
    def on_join(self, actor: Any, data: dict) -> dict:
        """Open a room: join it (public rooms), receive it, and get what was missed."""
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        channels.join_channel(actor, channel)
        join_room(live.channel_room(channel.id))
        missed = messages.missed(actor, channel, _int(data, "last_seen_id", required=False))
        return {
            "channel_id": channel.id,
            "missed": [messages.serialize(m) for m in missed],
            "online": _online(channel.id),
        }

    @handler("send")
    def on_send(self, actor: Any, data: dict) -> dict:
        if not state().allow_send(actor.id):
            raise Invalid("You are sending messages too quickly; wait a few seconds.")
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        draft = messages.prepare_message(actor, channel, data.get("body"), data.get("client_id"))
        stored = self.writes.store(actor, draft)  # committed (perhaps in a batch) on return
        return {"ok": True, "created": stored.created, "message": stored.payload}

    @handler("edit")
    def on_edit(self, actor: Any, data: dict) -> dict:
        message = messages.get_message(actor, _int(data, "message_id"))
        messages.edit_message(actor, message, data.get("body"))
        return {"ok": True, "message": messages.serialize(message)}

    @handler("delete")
    def on_delete(self, actor: Any, data: dict) -> dict:
        message = messages.get_message(actor, _int(data, "message_id"))
        messages.delete_message(actor, message)
        return {"ok": True, "message": messages.serialize(message)}

    @handler("typing")
    def on_typing(self, actor: Any, data: dict) -> dict:
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        if not can(actor, "chat.post", channel):
            raise PermissionDenied()
        payload = {"channel_id": channel.id, "user": {"id": actor.id, "display_name": actor.display_name}}
        # Sent when the handler commits; in a plug-in room only to members it still admits.
        channels.broadcast(channel, "typing", payload, skip_sid=request.sid)
        return {"ok": True}

    @handler("read")
    def on_read(self, actor: Any, data: dict) -> dict:
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        marker = reads.mark_read(actor, channel, _int(data, "message_id"))
        counts = reads.unread_counts(actor)
        return {"ok": True, "last_read_message_id": marker, "unread": counts.get(channel.id, 0)}

    @handler("history")
    def on_history(self, actor: Any, data: dict) -> dict:
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        rows = messages.history(actor, channel, _int(data, "before", required=False), data.get("limit"))
        return {"channel_id": channel.id, "messages": [messages.serialize(m) for m in rows]}

    @handler("presence")
    def on_presence(self, actor: Any, data: dict) -> dict:
        channel = channels.get_channel(actor, _int(data, "channel_id"))
        return {"channel_id": channel.id, "online": _online(channel.id)}


def register(app: Any) -> None:
    """Create the app's chat state and serve the ``/chat`` namespace on its server."""

    presence.init_app(app)
    socketio.on_namespace(ChatNamespace(live.NAMESPACE))
