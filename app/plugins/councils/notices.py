"""What the councils tell the core notification service about their notifications:
the kinds members choose delivery for, and whether an email may still go.

The council code calls ``notify`` for every recipient (only current members who
accepted the charter, or the invitee, the applicant's chairs); the core then sends
in-app and email per the member's choice, asking :func:`may_reach` as the email is
built, so a member removed in the same transaction gets nothing.
"""

from __future__ import annotations

import re
from typing import Any

from app.extensions import db
from app.plugins.councils import meetings, services
from app.plugins.councils.models import Council

GROUP = "Advisory councils"
# Council notices are few and each asks something of the member (accept, vote,
# respond), so they are emailed until the member says otherwise.
KINDS = {**services.NOTIFICATION_KINDS, **meetings.NOTIFICATION_KINDS}
_COUNCIL_URL = re.compile(r"^/councils/(\d+)(?:/|$)")


def notification_kinds() -> dict[str, dict]:
    return {
        kind: {"label": label, "group": GROUP, "in_app": True, "email": True} for kind, label in KINDS.items()
    }


def may_reach(user: Any, kind: str, url: str) -> bool | None:
    """``False`` when ``user`` may no longer see what a council notice is about.

    Meeting, motion, feedback and action notices speak of the private space: readers
    only. A seat or term notice needs the seat still held; an application notice a
    chair. An invitation (to ``/councils/``) goes to a non-member by design.
    """
    if kind not in KINDS:
        return None
    match = _COUNCIL_URL.match(url or "")
    if match is None:
        return None if kind == "council_invitation" else False
    council = db.session.get(Council, int(match.group(1)))
    if council is None:
        return False
    if kind in meetings.NOTIFICATION_KINDS:
        return meetings.may_read(user, council)
    if kind == "council_application":
        return services.may_manage(user, council)
    if kind in ("council_seat", "council_term_ending"):
        return services.is_current(services.membership_of(user, council))
    return None
