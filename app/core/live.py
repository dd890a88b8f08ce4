"""Live pages: server pushes to open pages over Socket.IO, for any feature.

The ``/live`` namespace rides on the same Socket.IO server and the same browser
connection as chat (the client multiplexes namespaces over one transport), but is its
own namespace so that opening any page does not make a member "online" in chat rooms.

* On connect, a signed-in member's socket joins their own room (``user:<id>``):
  per-user pushes (the header's notification count) go there and nowhere else.
* ``watch`` ``{"kind": "topic", "id": 12}`` joins a page's room only when the features
  agree the member may see it: the ``live_room`` hook (``app/plugins/hookspecs.py``)
  asks each feature, which answers with its own ``can(...)`` check. A refusal is an
  ``error`` event, never a silent join.
* Features push after their transaction commits (``emit_after_commit``), so a write
  that rolls back is never announced. With ``SOCKETIO_MESSAGE_QUEUE`` the emit goes
  through the queue and reaches sockets held by other processes.

Core never imports a feature here: features come to this module, through the hook
and the emit helpers.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g
from flask_login import current_user
from flask_socketio import Namespace, emit, join_room, leave_room
from sqlalchemy.orm import Session

from app.core.db import after_commit
from app.core.errors import DomainError, Invalid, PermissionDenied
from app.core.permissions import is_active_member
from app.extensions import db, socketio
from app.plugins import fire, hookimpl

NAMESPACE = "/live"
KIND_MAX = 20
log = logging.getLogger("guildhall.live")


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def page_room(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def emit_to_room(event: str, payload: dict, room: str) -> None:
    socketio.emit(event, payload, to=room, namespace=NAMESPACE)


def emit_to_user(event: str, payload: dict, user_id: int) -> None:
    emit_to_room(event, payload, user_room(user_id))


def emit_after_commit(session: Session, event: str, payload: dict, room: str) -> None:
    """Push ``event`` to ``room`` once the current transaction commits (never on rollback)."""
    after_commit(session, lambda: emit_to_room(event, payload, room))


def _actor() -> Any:
    """The session's user, loaded afresh for this event (a signed-out or suspended
    member is anonymous on their next event)."""
    g.pop("_login_user", None)
    return current_user._get_current_object()


def _target(args: tuple) -> tuple[str, int]:
    if len(args) != 1 or not isinstance(args[0], dict):
        raise Invalid("The event data must be one object.")
    kind, object_id = args[0].get("kind"), args[0].get("id")
    if not isinstance(kind, str) or not kind or len(kind) > KIND_MAX or not kind.isalpha():
        raise Invalid("kind must be a page kind such as 'topic'.", field="kind")
    if isinstance(object_id, bool) or not isinstance(object_id, int) or object_id <= 0:
        raise Invalid("id must be a positive integer.", field="id")
    return kind, object_id


def _refuse(event: str, error: DomainError) -> dict:
    body = {"event": event, "error": error.message, "field": error.field}
    emit("error", body)
    return {"error": error.message, "field": error.field}


def may_watch(actor: Any, kind: str, object_id: int) -> bool:
    """True when some feature owns ``kind`` and every feature that answered allows it."""
    answers = fire("live_room", actor=actor, kind=kind, object_id=object_id)
    return bool(answers) and all(answers)


class LiveNamespace(Namespace):
    """Events: ``watch`` and ``unwatch`` a page's room; pushes arrive as named events."""

    def on_connect(self, auth: Any = None) -> None:
        actor = _actor()
        if not is_active_member(actor):
            raise ConnectionRefusedError("Sign in for live updates.")
        join_room(user_room(actor.id))

    def on_watch(self, *args: Any) -> dict:
        try:
            actor = _actor()
            if not is_active_member(actor):
                raise PermissionDenied("Your session has ended; sign in again.")
            kind, object_id = _target(args)
            if not may_watch(actor, kind, object_id):
                raise PermissionDenied("You cannot follow this page.")
            join_room(page_room(kind, object_id))
            return {"ok": True, "kind": kind, "id": object_id}
        except DomainError as error:
            return _refuse("watch", error)
        except Exception:  # a bad event must never take the server down
            log.exception("live watch failed")
            return _refuse("watch", DomainError("Something went wrong; please reload the page."))
        finally:
            db.session.rollback()  # permission reads only: end the transaction

    def on_unwatch(self, *args: Any) -> dict:
        try:
            kind, object_id = _target(args)
        except DomainError as error:
            return _refuse("unwatch", error)
        leave_room(page_room(kind, object_id))
        return {"ok": True}


def forget_user(user_id: int) -> None:
    """Stop per-user pushes to a member who signed out or was suspended: their sockets
    (in every process, through the queue) leave their own room. A socket left open
    joins nothing new: ``watch`` re-checks the session on every call."""
    socketio.close_room(user_room(user_id), namespace=NAMESPACE)


@hookimpl
def user_logged_out(user: Any) -> None:
    user_id = getattr(user, "id", None)
    if user_id is not None:
        forget_user(user_id)


@hookimpl
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    user_id = user.id
    after_commit(db.session, lambda: forget_user(user_id))


def register(app: Any) -> None:
    """Serve the ``/live`` namespace on the app's Socket.IO server."""
    socketio.on_namespace(LiveNamespace(NAMESPACE))
