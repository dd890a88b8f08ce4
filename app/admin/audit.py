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

from app.accounts.models import Organization, User
from app.core.pagination import PageLinks
from app.core.permissions import require
from app.directory.models import ProfileField
from app.extensions import db
from app.forums.models import Category, Post, Topic
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
class Target:
    """What an entry is about, as a label and (when it still exists) a link."""

    label: str
    url: str | None = None


@dataclass
class AuditRow:
    entry: AuditEntry
    target: Target


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


def _targets(entries: list[AuditEntry]) -> dict[tuple[str, int], Target]:
    """Resolve every target of a page in one query per kind (not one per row)."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, int], Target] = {}
    if ids := wanted.get("user"):
        for user in db.session.scalars(sa.select(User).where(User.id.in_(ids))):
            found["user", user.id] = Target(
                f"{user.display_name} (@{user.username})",
                url_for("admin.user_detail", username=user.username),
            )
    if ids := wanted.get("post"):
        for post in db.session.scalars(sa.select(Post).where(Post.id.in_(ids))):
            found["post", post.id] = Target(
                f"Post {post.number} in “{post.topic.title}”",
                url_for("forums.topic", topic_id=post.topic_id, _anchor=f"post-{post.number}"),
            )
    if ids := wanted.get("topic"):
        for topic in db.session.scalars(sa.select(Topic).where(Topic.id.in_(ids))):
            found["topic", topic.id] = Target(f"“{topic.title}”", url_for("forums.topic", topic_id=topic.id))
    if ids := wanted.get("organization"):
        for org in db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids))):
            found["organization", org.id] = Target(
                org.name, url_for("admin.organization_edit", org_id=org.id)
            )
    if ids := wanted.get("category"):
        for category in db.session.scalars(sa.select(Category).where(Category.id.in_(ids))):
            found["category", category.id] = Target(
                category.name, url_for("forums.admin_edit_category", category_id=category.id)
            )
    if ids := wanted.get("directory_field"):
        for profile_field in db.session.scalars(sa.select(ProfileField).where(ProfileField.id.in_(ids))):
            found["directory_field", profile_field.id] = Target(
                f"Profile field “{profile_field.label}”",
                url_for("directory.admin_edit_field", field_id=profile_field.id),
            )
    return found


def _rows(entries: list[AuditEntry]) -> list[AuditRow]:
    targets = _targets(entries)
    rows = []
    for entry in entries:
        target = targets.get((entry.target_type, entry.target_id))
        if target is None:
            label = (
                entry.target_type
                if entry.target_type == "site"
                else f"{entry.target_type} #{entry.target_id}"
            )
            target = Target(label + ("" if entry.target_type == "site" else " (deleted)"))
        rows.append(AuditRow(entry, target))
    return rows


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
