"""Connections, follows and "Message" between members.

Every action is a POST button with a CSRF token that calls one service, commits once
and goes back to the (local) page it came from. A refused action (self, suspended,
no such request) shows the service's message as an error page and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.accounts.services import get_user_by_username
from app.core.errors import Invalid
from app.core.params import page_number
from app.core.permissions import is_active_member
from app.extensions import db
from app.network import activity, connections, follows
from app.network.forms import ConnectForm, NetworkActionForm
from app.notifications.links import profile_url
from app.web import safe_next_url

bp = Blueprint("network", __name__)


def actor() -> Any:
    return current_user._get_current_object()


def _member(username: str) -> User:
    return get_user_by_username(username)


def _checked(form: NetworkActionForm) -> None:
    """Refuse a POST whose form did not validate (missing CSRF token, note too long)."""
    if not form.validate_on_submit():
        errors = [message for messages in form.errors.values() for message in messages]
        raise Invalid(errors[0] if errors else "The form could not be read; reload the page and try again.")


def _back(form: NetworkActionForm, user: User):
    return redirect(safe_next_url(form.next.data, profile_url(user)))


def _act(username: str, service: Callable[[Any, User], Any], message: str, category: str = "success"):
    """One button: check the form, call the service, commit, say so and go back.
    ``message`` may name the member as ``{name}``."""
    user = _member(username)
    form = NetworkActionForm()
    _checked(form)
    service(actor(), user)
    db.session.commit()
    flash(message.format(name=user.display_name), category)
    return _back(form, user)


# --- connections ---------------------------------------------------------------------


@bp.post("/u/<username>/connect")
@login_required
def connect(username: str):
    user = _member(username)
    form = ConnectForm()
    _checked(form)
    connections.request_connection(actor(), user, form.message.data or "")
    db.session.commit()
    if connections.state_between(actor(), user) == connections.STATE_CONNECTED:
        flash(f"You are connected with {user.display_name}.", "success")
    else:
        flash(f"Connection request sent to {user.display_name}.", "success")
    return _back(form, user)


@bp.post("/u/<username>/accept")
@login_required
def accept(username: str):
    return _act(username, connections.accept_request, "You are connected with {name}.")


@bp.post("/u/<username>/decline")
@login_required
def decline(username: str):
    return _act(username, connections.decline_request, "Request declined.", "info")


@bp.post("/u/<username>/disconnect")
@login_required
def disconnect(username: str):
    """Remove a connection or cancel a request you sent."""
    user = _member(username)
    form = NetworkActionForm()
    _checked(form)
    before = connections.state_between(actor(), user)
    connections.remove_connection(actor(), user)
    db.session.commit()
    if before == connections.STATE_OUTGOING:
        flash("Request cancelled.", "info")
    elif before == connections.STATE_CONNECTED:
        flash(f"You are no longer connected with {user.display_name}.", "info")
    return _back(form, user)


def _person(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "url": profile_url(user),
        "organization": user.organization.name if user.organization else None,
    }


@bp.get("/connections", endpoint="connections")
@login_required
def connections_page():
    me = actor()
    return render_template(
        "network/connections.html",
        people=connections.connections_of(me, me),
        incoming=connections.incoming_requests(me),
        outgoing=connections.outgoing_requests(me),
    )


@bp.get("/connections.json")
def connections_json():
    """The signed-in member's connections and requests. Quietly declined requests are
    listed as pending, as they are on the pages."""
    me = actor()
    if not is_active_member(me):
        return jsonify(error="Sign in to see your connections."), 401
    return jsonify(
        connections=[_person(user) for user in connections.connections_of(me, me)],
        incoming=[
            {
                **_person(row.requester),
                "message": row.message,
                "requested_at": row.created_at.isoformat() + "Z",
            }
            for row in connections.incoming_requests(me)
        ],
        outgoing=[
            {**_person(row.addressee), "status": "pending"} for row in connections.outgoing_requests(me)
        ],
    )


@bp.get("/u/<username>/connections")
@login_required
def member_connections(username: str):
    user = _member(username)
    people = connections.connections_of(actor(), user)
    return render_template("network/member_connections.html", user=user, people=people)


# --- follows -------------------------------------------------------------------------


@bp.post("/u/<username>/follow")
@login_required
def follow(username: str):
    return _act(username, follows.follow, "You are following {name}.")


@bp.post("/u/<username>/unfollow")
@login_required
def unfollow(username: str):
    return _act(username, follows.unfollow, "You no longer follow {name}.", "info")


def _page_number() -> int:
    return page_number(request.args.get("page"), maximum=activity.FEED_MAX_PAGE)


@bp.get("/following")
@login_required
def following():
    me = actor()
    return render_template(
        "network/following.html",
        feed=activity.followed_activity(me, page=_page_number()),
        people=follows.followed_members(me),
    )


# --- message -------------------------------------------------------------------------


@bp.post("/u/<username>/message")
@login_required
def message(username: str):
    """Open (or reuse) the direct message with this member and go to it in chat."""
    user = _member(username)
    form = NetworkActionForm()
    _checked(form)
    channel = connections.open_direct_message(actor(), user)
    db.session.commit()
    return redirect(url_for("chat.index", channel=channel.id))
