"""The ``/chat`` page and the HTTP API behind it (history, channels, DMs, members).

The API answers JSON, errors included (``{"error": …}`` with the status), and every
POST needs the CSRF token (``X-CSRFToken`` from the page's meta tag). Private rooms
and DMs answer 404 to anyone who is not in them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user, login_required

from app.accounts.models import User
from app.chat import channels, messages, reads
from app.chat.forms import DirectMessageForm, NewChannelForm
from app.chat.models import ChatChannel
from app.core.errors import DomainError, Invalid
from app.core.permissions import can, is_active_member
from app.extensions import db

bp = Blueprint("chat", __name__, url_prefix="/chat")


def actor() -> Any:
    return current_user._get_current_object()


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    db.session.rollback()
    return jsonify(error=error.message, field=error.field), error.status_code


def api(view: Callable) -> Callable:
    """JSON endpoint for signed-in, unsuspended members; commits once on success."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if not is_active_member(actor()):
            return jsonify(error="Sign in to use chat."), 401
        result = view(*args, **kwargs)
        if request.method == "POST":
            db.session.commit()
        return result

    return wrapper


def _json() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise Invalid("Send a JSON object.")
    return data


def channel_json(channel: ChatChannel, unread: dict[int, int] | None = None) -> dict:
    viewer = actor()
    return {
        "id": channel.id,
        "kind": channel.kind,
        "name": channels.display_name(channel, viewer),
        "slug": channel.slug,
        "topic": channel.topic,
        "member": channel.has_member(viewer.id),
        "can_manage": can(viewer, "chat.manage", channel),
        "unread": (unread or {}).get(channel.id, 0),
    }


@bp.get("/")
@login_required
def index():
    return render_template(
        "chat/index.html", channel_form=NewChannelForm(), dm_form=DirectMessageForm(), me=actor()
    )


@bp.get("/api/channels")
@api
def api_channels():
    found = channels.list_channels(actor())
    db.session.commit()  # plug-in rooms may have been created or synced
    unread = reads.unread_counts(actor())
    return jsonify(
        channels=[channel_json(channel, unread) for channel in found], total_unread=sum(unread.values())
    )


@bp.get("/api/channels/<int:channel_id>")
@api
def api_channel(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    result = channel_json(channel, reads.unread_counts(actor()))
    result["members"] = [
        {"id": user.id, "username": user.username, "display_name": user.display_name}
        for user in channels.members(actor(), channel)
    ]
    db.session.commit()
    return jsonify(result)


@bp.get("/api/channels/<int:channel_id>/messages")
@api
def api_messages(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    limit = messages.history_limit(request.args.get("limit"))
    rows = messages.history(actor(), channel, request.args.get("before"), limit)
    db.session.commit()
    return jsonify(
        channel_id=channel.id,
        messages=[messages.serialize(m) for m in rows],
        has_more=bool(rows) and len(rows) >= limit,
    )


@bp.post("/api/channels")
@api
def api_create_channel():
    data = _json()
    kind = "private" if data.get("kind") == "private" else "public"
    channel = channels.create_channel(actor(), data.get("name"), kind=kind, topic=data.get("topic") or "")
    return jsonify(channel_json(channel)), 201


@bp.post("/api/dms")
@api
def api_open_dm():
    data = _json()
    names = data.get("usernames")
    if isinstance(names, str):
        names = [part for part in names.replace(",", " ").split() if part]
    if not isinstance(names, list) or not names or len(names) > channels.DM_MAX_PARTICIPANTS:
        raise Invalid("Name between one and nineteen members.", field="usernames")
    users = [channels.find_user(name) for name in names]
    channel = channels.open_dm(actor(), users)
    return jsonify(channel_json(channel)), 201


@bp.post("/api/channels/<int:channel_id>/join")
@api
def api_join(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    channels.join_channel(actor(), channel)
    return jsonify(channel_json(channel))


@bp.post("/api/channels/<int:channel_id>/leave")
@api
def api_leave(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    channels.leave_channel(actor(), channel)
    return jsonify(ok=True)


@bp.post("/api/channels/<int:channel_id>/members")
@api
def api_invite(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    user = channels.find_user(_json().get("username"))
    channels.invite_member(actor(), channel, user)
    return jsonify(ok=True, user_id=user.id), 201


@bp.post("/api/channels/<int:channel_id>/members/<int:user_id>/remove")
@api
def api_remove(channel_id: int, user_id: int):
    channel = channels.get_channel(actor(), channel_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise Invalid("There is no such member.")
    channels.remove_member(actor(), channel, user)
    return jsonify(ok=True)


@bp.post("/api/channels/<int:channel_id>/read")
@api
def api_read(channel_id: int):
    channel = channels.get_channel(actor(), channel_id)
    marker = reads.mark_read(actor(), channel, _json().get("message_id"))
    return jsonify(ok=True, last_read_message_id=marker)
