"""What meetings, motions, feedback and action items add to the plug-in's hooks; the
hook implementations in ``__init__`` call these."""

from __future__ import annotations

import re
from typing import Any

from app.extensions import db
from app.plugins.councils import actions, motions
from app.plugins.councils.meetings import NOTIFICATION_KINDS, may_read
from app.plugins.councils.models import Council

_COUNCIL_URL = re.compile(r"^/councils/(\d+)/")


def periodic_jobs() -> list[dict]:
    return [
        {
            "name": "councils.motions",
            "func": motions_job,
            "every": 60,
            "description": "Close council motions at their closing time; announce opened and closing-soon votes.",
        },
        {
            "name": "councils.action-reminders",
            "func": actions.send_reminders,
            "cron": "0 7 * * *",
            "description": "Remind owners of council action items due within three days.",
        },
    ]


def motions_job() -> None:
    motions.close_due()
    motions.announce_due()


def notification_text(notification: Any, viewer: Any) -> str | None:
    """A council notification keeps its text only while ``viewer`` may still read the
    council: a former or removed member sees a neutral line instead."""
    if notification.kind not in NOTIFICATION_KINDS:
        return None
    match = _COUNCIL_URL.match(notification.url or "")
    council = db.session.get(Council, int(match.group(1))) if match else None
    if council is None or not may_read(viewer, council):
        return "An update from a council you no longer sit on."
    return None
