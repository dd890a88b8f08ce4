"""Notification services."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Notification


def unread_count(actor: Any) -> int:
    """Unread in-app notifications for the header badge."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        )
        or 0
    )
