"""The audit log as the admin reads it: names and links instead of "user #13", filters
by actor, action and date, and the same rows as CSV for an auditor's spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import url_for

from app.accounts.models import User
from app.core.pagination import PageLinks
from app.core.permissions import require
from app.extensions import db
from app.moderation import audit_names
from app.moderation.audit_names import Named
from app.moderation.models import AuditEntry

PER_PAGE = 50
CSV_LIMIT = 50_000


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> AuditFilters:
        """Lenient: an unreadable date is ignored rather than refused."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat((args.get(name) or "").strip()[:10])
            except ValueError:
                return None

        return cls(
            actor=(args.get("actor") or "").replace("\x00", "").strip()[:40],
            action=(args.get("action") or "").replace("\x00", "").strip()[:40],
            since=day("since"),
            until=day("until"),
        )

    def as_args(self) -> dict[str, str]:
        values = {
            "actor": self.actor,
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class AuditRow:
    entry: AuditEntry
    target: Named


@dataclass
class AuditView(PageLinks):
    rows: list[AuditRow]
    page: int
    pages: int
    total: int
    actions: list[str] = field(default_factory=list)


def _query(filters: AuditFilters) -> sa.Select:
    query = sa.select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor:
        query = query.join(User, User.id == AuditEntry.actor_id).where(
            sa.or_(User.username == filters.actor, User.display_name == filters.actor)
        )
    if filters.since:
        query = query.where(AuditEntry.created_at >= datetime.combine(filters.since, time.min))
    if filters.until:
        query = query.where(
            AuditEntry.created_at < datetime.combine(filters.until + timedelta(days=1), time.min)
        )
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def _admin_link(target_type: str, obj: Any) -> str | None:
    """Members, organizations, categories and profile fields link to their admin pages;
    posts and topics to where they are read."""
    if target_type == "user":
        return url_for("admin.user_detail", username=obj.username)
    if target_type == "organization":
        return url_for("admin.organization_edit", org_id=obj.id)
    if target_type == "category":
        return url_for("forums.admin_edit_category", category_id=obj.id)
    if target_type == "directory_field":
        return url_for("directory.admin_edit_field", field_id=obj.id)
    return audit_names.public_link(target_type, obj)


def _rows(entries: list[AuditEntry]) -> list[AuditRow]:
    targets = audit_names.name_targets(entries, _admin_link)
    return [AuditRow(entry, targets[entry.target_type, entry.target_id]) for entry in entries]


def audit_view(actor: Any, filters: AuditFilters, page: int = 1) -> AuditView:
    """One page of the log, newest first, with every target named."""
    require(actor, "admin.view")
    result = db.paginate(_query(filters), page=max(page, 1), per_page=PER_PAGE, error_out=False, count=True)
    actions = list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return AuditView(
        rows=_rows(list(result.items)),
        page=result.page,
        pages=max(result.pages, 1),
        total=result.total or 0,
        actions=actions,
    )


def _cell(value: Any) -> str:
    """Spreadsheets run a cell that starts with = + - @ as a formula: prefix a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def audit_csv(actor: Any, filters: AuditFilters) -> Iterator[str]:
    """The filtered log as CSV lines (at most ``CSV_LIMIT`` rows, newest first)."""
    require(actor, "admin.view")
    entries = list(db.session.scalars(_query(filters).limit(CSV_LIMIT)))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["when_utc", "actor", "action", "target_type", "target_id", "target", "reason", "details"]
    )
    yield buffer.getvalue()
    for start in range(0, len(entries), 500):
        batch = _rows(entries[start : start + 500])
        buffer.seek(0)
        buffer.truncate()
        for row in batch:
            entry = row.entry
            writer.writerow(
                [
                    _cell(entry.created_at.isoformat()),
                    _cell(entry.actor.username if entry.actor else "system"),
                    _cell(entry.action),
                    _cell(entry.target_type),
                    entry.target_id,
                    _cell(row.target.label),
                    _cell(entry.reason),
                    _cell(entry.details),
                ]
            )
        yield buffer.getvalue()
