"""What the mentor's leaders' page adds to the member list: who joined this month, who
has not been seen for 60 days, and the member list as CSV.

The CSV is for the group's leaders only and holds what the group's member list shows
them, with each member's region left out where the member hid it (the directory's
privacy choice, asked through the ``profile_hidden_fields`` hook). A cell a
spreadsheet would read as a formula gets a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from app.core.db import utcnow
from app.plugins import fire
from app.plugins.groups import services
from app.plugins.groups.models import Group, GroupMembership

QUIET_DAYS = 60
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("name", "organization", "region", "joined")


def month_start(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def member_facts(actor: Any, group: Group, now: datetime | None = None) -> dict[str, list[GroupMembership]]:
    """New members this month, and members not seen for ``QUIET_DAYS`` (or never)."""
    services.require_leader(actor, group)
    now = now or utcnow()
    rows = services.members(actor, group)
    quiet_since = now - timedelta(days=QUIET_DAYS)
    return {
        "new_this_month": [m for m in rows if m.joined_at is not None and m.joined_at >= month_start(now)],
        "quiet": [m for m in rows if m.user.last_seen_at is None or m.user.last_seen_at < quiet_since],
    }


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _hidden_fields(user: Any, viewer: Any) -> set[str]:
    hidden: set[str] = set()
    for answer in fire("profile_hidden_fields", user=user, viewer=viewer):
        hidden.update(answer or [])
    return hidden


def export_csv(actor: Any, group: Group) -> str:
    """The member list for the group's leaders: name, organization, region, joined date."""
    services.require_leader(actor, group)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for membership in services.members(actor, group):
        user = membership.user
        region = "" if "region" in _hidden_fields(user, actor) else user.region
        joined = membership.joined_at.date().isoformat() if membership.joined_at else ""
        organization = user.organization.name if user.organization else ""
        writer.writerow([safe_cell(v) for v in (user.display_name, organization, region, joined)])
    return buffer.getvalue()
