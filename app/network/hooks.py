"""Connections and follows: the "Network" header entry, with waiting requests counted,
and the network's boxes on a member's profile (connect and follow buttons, accepted
answers), which the accounts feature below shows through panel slots."""

from __future__ import annotations

from typing import Any

from flask import render_template

from app.core.permissions import can
from app.network import connections, follows
from app.network.activity import recent_accepted_answers
from app.network.connections import incoming_request_count
from app.network.forms import ConnectForm
from app.notifications.links import post_url, profile_url
from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    if not can(actor, "network.use"):
        return []
    waiting = incoming_request_count(actor)
    label = f"Network ({waiting})" if waiting else "Network"
    return [{"label": label, "endpoint": "network.connections", "order": 45}]


def _network(viewer: Any, user: Any) -> dict:
    """Connection state, follow state and counts for the profile's buttons."""
    state = connections.state_between(viewer, user)
    may_act = can(viewer, "network.use") and state != connections.STATE_SELF
    return {
        "state": state,
        "may_act": may_act,
        "reachable": connections.is_reachable(user),
        "following": follows.is_following(viewer, user),
        "connection_count": connections.visible_connection_count(viewer, user),
        "follower_count": follows.follower_count(user),
        "following_count": follows.following_count(user),
        "connect_form": ConnectForm(formdata=None, data={"next": profile_url(user)}) if may_act else None,
    }


def _accepted_answers(viewer: Any, user: Any) -> list[dict]:
    """The member's accepted answers the viewer may see (questions in categories the
    viewer cannot read, and hidden or deleted answers, are left out)."""
    return [
        {"title": post.topic.title, "url": post_url(post), "created_at": post.created_at}
        for post in recent_accepted_answers(viewer, user, limit=10)
    ]


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """The profile's network box (``profile_header``) and accepted answers
    (``profile_answers``)."""
    user, viewer = context.get("user"), context.get("viewer")
    if user is None or name not in ("profile_header", "profile_answers"):
        return None
    if name == "profile_header":
        return render_template("network/_profile_panel.html", user=user, network=_network(viewer, user))
    return render_template("network/_profile_answers.html", accepted_answers=_accepted_answers(viewer, user))
