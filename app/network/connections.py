"""Connections between members, like a professional network.

One ``Connection`` row per pair, whoever asked first (``requester``). A request is
``pending`` until the addressee accepts (``accepted``) or declines (``declined``).
Removing a connection, or cancelling a request you sent, deletes the row. If B asks A
while A's request to B is still standing, B has in effect accepted it: they connect.

Declines are quiet, as on LinkedIn. The requester is never told: to them a declined
request keeps looking pending (on the profile, in ``/connections`` and its JSON), and
asking again answers "request sent" without writing or notifying anything for
``DECLINE_COOLDOWN`` after the decline. So that cancelling cannot restart the clock,
cancelling a declined request within that period keeps the row and sets its
``withdrawn_at``. Once the period is over the row no longer holds
anyone back: asking again makes it a fresh pending request that notifies the
addressee, and cancelling deletes it.

Only confirmed, unsuspended members take part, on both sides.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from app.accounts.models import User
from app.accounts.services import clean_text
from app.chat.channels import open_dm
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import can, is_active_member, is_staff
from app.directory.models import DirectoryProfile
from app.directory.profiles import get_profile, is_hidden_member
from app.extensions import db
from app.network.models import Connection
from app.notifications.links import profile_url
from app.notifications.models import Notification
from app.notifications.services import notify
from app.plugins import fire

MESSAGE_MAX = 300
DECLINE_COOLDOWN = timedelta(days=30)

# What a connection looks like from one member's side (see ``state_between``).
STATE_SELF = "self"
STATE_NONE = "none"
STATE_OUTGOING = "outgoing"  # the viewer asked and waits (also a quietly declined request)
STATE_INCOMING = "incoming"  # the other member asked the viewer
STATE_CONNECTED = "connected"


# --- who may take part -------------------------------------------------------------


def require_network_actor(actor: Any, doing: str = "connect with members") -> None:
    """Refuse anonymous, suspended and unconfirmed actors with a message that says why."""
    if can(actor, "network.use"):
        return
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(f"Sign in to {doing}.")
    if getattr(actor, "is_suspended", False):
        raise PermissionDenied("Your account is suspended.")
    raise PermissionDenied(f"Confirm your email address before you {doing}.")


def is_reachable(user: Any) -> bool:
    """Whether ``user`` can be connected with, followed or messaged: a confirmed,
    unsuspended account."""
    return is_active_member(user) and bool(getattr(user, "is_confirmed", False))


def require_other_member(actor: Any, user: User, what: str) -> None:
    if user.id == actor.id:
        raise Invalid(f"You cannot {what} yourself.")
    if not is_reachable(user):
        raise Invalid(f"That member cannot be reached right now, so you cannot {what} them.")


# --- directory privacy the network respects ----------------------------------------


def _hidden_user_ids() -> sa.Select:
    return sa.select(DirectoryProfile.user_id).where(DirectoryProfile.hidden.is_(True))


def may_see_connections(viewer: Any, user: Any) -> bool:
    """Signed-in members see each other's connections; a member hidden from the
    directory shows theirs only to themselves and to staff."""
    if not is_active_member(viewer):
        return False
    if viewer.id == user.id or is_staff(viewer):
        return True
    return not is_hidden_member(get_profile(user))


# --- reading -------------------------------------------------------------------------


def _row(user_id: int, other_id: int) -> Connection | None:
    """The pair's row, whichever of the two asked."""
    return db.session.scalar(
        sa.select(Connection).where(
            sa.or_(
                sa.and_(Connection.requester_id == user_id, Connection.addressee_id == other_id),
                sa.and_(Connection.requester_id == other_id, Connection.addressee_id == user_id),
            )
        )
    )


def _withdrawn(row: Connection) -> bool:
    """A declined request its requester cancelled within the cool-down (see module doc)."""
    return row.status == "declined" and row.withdrawn_at is not None


def _cooling_down(row: Connection, now: datetime) -> bool:
    return (
        row.status == "declined"
        and row.responded_at is not None
        and now - row.responded_at < DECLINE_COOLDOWN
    )


def state_between(viewer: Any, user: Any) -> str:
    """The connection between ``viewer`` and ``user`` as the viewer may know it."""
    if getattr(viewer, "id", None) is None:
        return STATE_NONE
    if viewer.id == user.id:
        return STATE_SELF
    row = _row(viewer.id, user.id)
    if row is None:
        return STATE_NONE
    if row.status == "accepted":
        return STATE_CONNECTED
    if row.requester_id == viewer.id:
        return STATE_NONE if _withdrawn(row) else STATE_OUTGOING
    return STATE_INCOMING if row.status == "pending" else STATE_NONE


def _other_side(user_id: int) -> sa.Case:
    return sa.case(
        (Connection.requester_id == user_id, Connection.addressee_id), else_=Connection.requester_id
    )


def _connections_query(viewer: Any, user: Any) -> sa.Select:
    partner_ids = sa.select(_other_side(user.id)).where(
        Connection.status == "accepted",
        sa.or_(Connection.requester_id == user.id, Connection.addressee_id == user.id),
    )
    query = sa.select(User).where(User.id.in_(partner_ids))
    if not (is_staff(viewer) or viewer.id == user.id):
        # Someone else's list: members hidden from the directory stay out (bar the viewer).
        query = query.where(sa.or_(User.id == viewer.id, User.id.not_in(_hidden_user_ids())))
    return query


def connections_of(viewer: Any, user: Any) -> list[User]:
    """``user``'s connections as ``viewer`` may see them, by name; NotFound when the
    viewer may not see the list at all."""
    if not may_see_connections(viewer, user):
        raise NotFound("No member with that name.")
    query = _connections_query(viewer, user).order_by(User.display_name, User.id)
    return list(db.session.scalars(query))


def visible_connection_count(viewer: Any, user: Any) -> int | None:
    """How many connections ``viewer`` would find in ``user``'s list, or ``None``
    when the list is not theirs to see."""
    if not may_see_connections(viewer, user):
        return None
    count = sa.select(sa.func.count()).select_from(_connections_query(viewer, user).subquery())
    return db.session.scalar(count) or 0


def incoming_requests(actor: Any) -> list[Connection]:
    """Requests waiting for the actor's answer, newest first."""
    if getattr(actor, "id", None) is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Connection)
            .where(Connection.addressee_id == actor.id, Connection.status == "pending")
            .order_by(Connection.created_at.desc(), Connection.id.desc())
        )
    )


def incoming_request_count(actor: Any) -> int:
    """Requests waiting for the actor's answer, for the header (one indexed count)."""
    if getattr(actor, "id", None) is None:
        return 0
    query = sa.select(sa.func.count()).where(
        Connection.addressee_id == actor.id, Connection.status == "pending"
    )
    return db.session.scalar(query) or 0


def outgoing_requests(actor: Any) -> list[Connection]:
    """Requests the actor sent that look pending to them (quiet declines included)."""
    if getattr(actor, "id", None) is None:
        return []
    standing_decline = sa.and_(Connection.status == "declined", Connection.withdrawn_at.is_(None))
    return list(
        db.session.scalars(
            sa.select(Connection)
            .where(
                Connection.requester_id == actor.id,
                sa.or_(Connection.status == "pending", standing_decline),
            )
            .order_by(Connection.id.desc())
        )
    )


# --- writing -------------------------------------------------------------------------


def _connections_url() -> str:
    try:
        return url_for("network.connections")
    except (BuildError, RuntimeError):  # RuntimeError: no request (CLI, tests)
        return "/connections"


def _notify_request(actor: Any, user: User) -> None:
    """Tell the addressee, once: asking, cancelling and asking again does not pile up
    unread notifications from the same person."""
    url = _connections_url()
    waiting = db.session.scalar(
        sa.select(Notification.id).where(
            Notification.user_id == user.id,
            Notification.actor_id == actor.id,
            Notification.kind == "connection",
            Notification.url == url,
            Notification.read_at.is_(None),
        )
    )
    if waiting is None:
        notify(user, "connection", f"{actor.display_name} asked to connect with you.", url, actor=actor)


def _start_request(row: Connection, actor: Any, user: User, message: str, now: datetime) -> Connection:
    row.requester_id, row.addressee_id = actor.id, user.id
    row.status = "pending"
    row.message = message
    row.created_at = now
    row.responded_at = None
    row.withdrawn_at = None
    db.session.flush()
    _notify_request(actor, user)
    return row


def _accept(row: Connection, actor: Any, requester: User) -> Connection:
    row.status = "accepted"
    row.responded_at = utcnow()
    db.session.flush()
    notify(
        requester,
        "connection",
        f"{actor.display_name} accepted your connection request.",
        profile_url(actor),
        actor=actor,
    )
    fire("connection_accepted", connection=row, actor=actor)
    return row


def request_connection(actor: Any, user: User, message: str = "") -> Connection:
    """Ask ``user`` to connect, with an optional short note.

    Asking again while a request stands changes nothing (the first note stays). If
    ``user`` had already asked the actor, the two are connected at once. A quietly
    declined request stays as it is during the cool-down (see the module docstring);
    read the outcome with ``state_between``.
    """
    require_network_actor(actor)
    require_other_member(actor, user, "connect with")
    message = clean_text(message, MESSAGE_MAX, "The note")
    now = utcnow()
    row = _row(actor.id, user.id)
    if row is None:
        row = Connection(requester_id=actor.id, addressee_id=user.id, message=message, created_at=now)
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError:  # a double click raced us; the caller rolls back
            raise Conflict("That request was just sent; reload the page.")
        return _start_request(row, actor, user, message, now)
    if row.status == "accepted":
        return row
    if row.requester_id == actor.id:
        if row.status == "pending":
            return row
        if _cooling_down(row, now):
            if _withdrawn(row):
                row.withdrawn_at = None  # standing (and "pending" to them) again
                db.session.flush()
            return row
        return _start_request(row, actor, user, message, now)
    # ``user`` asked first: their request still standing means they want this.
    if row.status == "pending" or not _withdrawn(row):
        return _accept(row, actor, user)
    return _start_request(row, actor, user, message, now)


def accept_request(actor: Any, user: User) -> Connection:
    """Accept ``user``'s request to the actor; accepting twice changes nothing."""
    require_network_actor(actor)
    row = _row(actor.id, user.id)
    if row is not None and row.status == "accepted":
        return row
    if row is None or row.addressee_id != actor.id or _withdrawn(row):
        raise NotFound("There is no connection request from that member.")
    require_other_member(actor, user, "connect with")
    return _accept(row, actor, user)


def decline_request(actor: Any, user: User) -> Connection:
    """Decline ``user``'s request, quietly: the requester is not told (module doc)."""
    require_network_actor(actor)
    row = _row(actor.id, user.id)
    if row is None or row.addressee_id != actor.id or _withdrawn(row):
        raise NotFound("There is no connection request from that member.")
    if row.status == "accepted":
        raise Conflict("You are already connected; remove the connection instead.")
    if row.status == "pending":
        row.status = "declined"
        row.responded_at = utcnow()
        db.session.flush()
    return row


def remove_connection(actor: Any, user: User) -> None:
    """End a connection, or cancel a request the actor sent (either side may act).

    The addressee "removing" a pending request declines it. Nothing to remove is not
    an error: a second click changes nothing.
    """
    require_network_actor(actor, "manage your connections")
    row = _row(actor.id, user.id)
    if row is None:
        return
    now = utcnow()
    if row.status == "accepted":
        db.session.delete(row)
        db.session.flush()
        fire("connection_removed", user=actor, other=user, actor=actor)
    elif row.requester_id != actor.id:
        if row.status == "pending":
            decline_request(actor, user)
    elif row.status == "pending" or not _cooling_down(row, now):
        db.session.delete(row)
        db.session.flush()
    elif not _withdrawn(row):
        row.withdrawn_at = now  # after the decline: withdrawn, the cool-down still holds
        db.session.flush()


# --- contact -------------------------------------------------------------------------


def open_direct_message(actor: Any, user: User) -> Any:
    """The chat DM between the actor and ``user``, opened or reused: "Message" on a
    profile, under the same rules as connecting (no self, only reachable members)."""

    require_network_actor(actor, "send messages")
    require_other_member(actor, user, "message")
    return open_dm(actor, [user])
