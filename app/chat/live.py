"""Server-side pushes to browsers, run after a commit from any process.

Views, sockets, hooks and the CLI all change chat state through services; the
services schedule these with ``after_commit``. Emits go through Flask-SocketIO, which
with ``SOCKETIO_MESSAGE_QUEUE`` publishes to the queue so the process that holds a
socket delivers to it. Room changes for another process's sockets travel the same way
(python-socketio's queue manager forwards ``leave_room``/``disconnect`` for socket
ids it does not hold).
"""

from __future__ import annotations

from typing import Any

from app.chat.presence import state
from app.extensions import socketio

NAMESPACE = "/chat"
# A room's new message, and several of a room's new messages stored together.
NEW_MESSAGE = "new_message"
NEW_MESSAGES = "new_messages"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def channel_room(channel_id: int) -> str:
    return f"channel:{channel_id}"


def _emitter() -> Any:
    return state().emitter or socketio


def emit_to_channel(event: str, payload: dict, channel_id: int, skip_sid: str | None = None) -> None:
    _emitter().emit(event, payload, to=channel_room(channel_id), skip_sid=skip_sid, namespace=NAMESPACE)


def emit_to_users(event: str, payload: dict, user_ids: list[int], skip_sid: str | None = None) -> None:
    """Send ``event`` to every socket of these users, each once (python-socketio's
    ``emit`` takes a list of rooms and delivers to their union), and to nobody else.

    Nothing is sent for no users: ``to=[]`` would mean "everyone" to python-socketio.
    """
    if not user_ids:
        return
    rooms = [user_room(user_id) for user_id in user_ids]
    _emitter().emit(event, payload, to=rooms, skip_sid=skip_sid, namespace=NAMESPACE)


def emit_new_messages(payloads: list[dict]) -> None:
    """Tell each room about its new messages: one ``new_message`` event for a room
    with one, one ``new_messages`` event (``{"channel_id", "messages": [...]}``, in
    id order) for a room with several.

    The batches come from the group commit (``app/chat/writes.py``), which stores
    what queued while the previous batch was being written and broadcast, so they
    grow only when a room is busier than one event per message can serve. Delivery
    dominates a busy room's cost (one send per member's socket per event), so one
    event per batch costs each socket one delivery however many messages the batch
    holds. A quiet room's messages still leave one at a time, as soon as each is
    stored.

    Each room's event goes through Flask-SocketIO's ``emit``: with a message queue,
    python-socketio delivers to this process's sockets and publishes to the others,
    one PUBLISH per room. A batch spanning several rooms once went out in one Redis
    pipeline through python-socketio's private ``_handle_emit``/``_publish``; the
    public path costs one round trip per room instead (``bench/CHAT.md``, eighth
    session), which only batches covering several rooms pay.
    """
    for channel_id, batch in _by_channel(payloads):
        event, payload = _new_messages_event(channel_id, batch)
        emit_to_channel(event, payload, channel_id)


def _by_channel(payloads: list[dict]) -> list[tuple[int, list[dict]]]:
    """The payloads grouped by room, rooms in order of first appearance, each room's
    messages in the order given."""
    rooms: dict[int, list[dict]] = {}
    for payload in payloads:
        rooms.setdefault(payload["channel_id"], []).append(payload)
    return list(rooms.items())


def _new_messages_event(channel_id: int, batch: list[dict]) -> tuple[str, dict]:
    if len(batch) == 1:
        return NEW_MESSAGE, batch[0]
    return NEW_MESSAGES, {"channel_id": channel_id, "messages": batch}


def emit_to_user(event: str, payload: dict, user_id: int) -> None:
    _emitter().emit(event, payload, to=user_room(user_id), namespace=NAMESPACE)


def add_to_channel(user_id: int, channel_id: int) -> None:
    """A new member's open sockets join the room and learn about it."""
    for sid in state().registry.sids(user_id):
        _emitter().server.enter_room(sid, channel_room(channel_id), namespace=NAMESPACE)
    emit_to_user("channel_added", {"channel_id": channel_id}, user_id)
    state().presence.change(channel_id, user_id, True)


def remove_from_channel(user_id: int, channel_id: int) -> None:
    """A removed member's sockets, in every process, leave the room at once."""
    for sid in state().registry.sids(user_id):
        _emitter().server.leave_room(sid, channel_room(channel_id), namespace=NAMESPACE)
    emit_to_user("channel_removed", {"channel_id": channel_id}, user_id)
    state().presence.change(channel_id, user_id, False)


def disconnect_user(user_id: int, reason: str) -> None:
    """End every chat connection of a user who signed out or was suspended."""
    emit_to_user("force_logout", {"reason": reason}, user_id)
    for sid in state().registry.sids(user_id):
        _emitter().server.disconnect(sid, namespace=NAMESPACE)
