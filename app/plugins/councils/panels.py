"""The council seats shown on profile and organization pages.

A seat is confidential like everything else in a council: a viewer sees the seats
held on councils whose roster they may read themselves (fellow members who accepted
the charter, and admins, as ``services.members`` allows), and nothing otherwise, so
the panel cannot tell an outsider that a council or a seat exists.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template

from app.core.permissions import is_admin, is_authenticated
from app.extensions import db
from app.plugins.councils import services
from app.plugins.councils.models import CouncilMembership

PANEL_ORDER = 40


def _visible_seats(viewer: Any, where: Any) -> list[CouncilMembership]:
    """Current seats matching ``where`` on councils whose roster ``viewer`` may read."""
    if not is_authenticated(viewer):
        return []
    on = services.today()
    seats = db.session.scalars(
        sa.select(CouncilMembership)
        .where(
            where,
            CouncilMembership.status == "active",
            CouncilMembership.term_start <= on,
            CouncilMembership.term_end > on,
        )
        .order_by(CouncilMembership.council_id, CouncilMembership.id)
    ).all()
    readable: dict[int, bool] = {}
    for seat in seats:
        if seat.council_id not in readable:
            readable[seat.council_id] = is_admin(viewer) or services.may_enter(viewer, seat.council)
    return [seat for seat in seats if readable[seat.council_id]]


def profile_panels(user: Any, viewer: Any) -> list[dict]:
    seats = _visible_seats(viewer, CouncilMembership.user_id == user.id)
    if not seats:
        return []
    html = render_template("councils/_seats_panel.html", seats=seats, show_person=False)
    return [{"title": "Advisory councils", "html": html, "order": PANEL_ORDER}]


def organization_panels(organization: Any, viewer: Any) -> list[dict]:
    seats = _visible_seats(viewer, CouncilMembership.organization_id == organization.id)
    if not seats:
        return []
    html = render_template("councils/_seats_panel.html", seats=seats, show_person=True)
    return [{"title": "Advisory council seats", "html": html, "order": PANEL_ORDER}]
