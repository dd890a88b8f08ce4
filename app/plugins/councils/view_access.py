"""What every council page starts with: who is asking, and the council they may read.

Shared by the council, meeting and document blueprints so the rule for a reader (404
for outsiders, the charter first for a member who has not accepted it) lives once.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, url_for
from flask_login import current_user

from app.plugins.councils import meetings, services
from app.plugins.councils.models import Council


def current_actor() -> Any:
    """The signed-in member (or the anonymous user) as the services take it."""
    return current_user._get_current_object()


def reader_council(council_id: int) -> Council:
    """The council for a reader; a member who has not accepted the current charter is
    sent to accept it first (the council page shows the charter): ``abort`` with the
    redirect, so each route need not check what it got back."""
    actor = current_actor()
    council = services.council_for(actor, council_id)
    if not meetings.may_read(actor, council):
        abort(redirect(url_for("councils.show", council_id=council.id)))
    return council
