"""Core hook implementations of the moderation feature (nav items, the staff box on profiles)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from app.core.permissions import can
from app.moderation import audit_names, members, services
from app.notifications.links import post_url
from app.plugins import hookimpl


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    """Staff see "Review (N)" with the number of open flags."""
    if not can(actor, "moderation.review"):
        return []
    return [{"label": f"Review ({services.open_flag_count()})", "endpoint": "moderation.queue", "order": 90}]


@hookimpl
def audit_event(
    actor: Any, action: str, target_type: str, target_id: int, reason: str, details: dict
) -> None:
    """Log a lower feature's staff action (accounts: role changes, join requests)."""
    services.record_audit(actor, action, target_type, target_id, reason, details)


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """The staff box on a member's profile: suspend, silence, lift, and their history.

    Only staff see it; the controls themselves are offered by the same ladder the
    actions enforce (``may_suspend`` / ``may_silence``).
    """
    user, viewer = context.get("user"), context.get("viewer")
    if name != "profile_sidebar" or user is None or not can(viewer, "moderation.review"):
        return None
    history = members.member_history(viewer, user)
    return render_template(
        "moderation/_profile_staff.html",
        user=user,
        history=history,
        may_suspend=services.may_suspend(viewer, user),
        may_silence=members.may_silence(viewer, user),
        reason_labels=services.FLAG_REASON_LABELS,
        post_url=post_url,
        person=audit_names.person,
        targets=audit_names.name_targets(history.actions),
    )
