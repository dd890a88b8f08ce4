"""Admin changes made through other features' own pages (categories, Q&A on a
category, directory profile fields) reach the audit log here, through their domain
events, so those features need not know the audit log exists."""

from __future__ import annotations

from typing import Any

from app.moderation.services import record_audit
from app.plugins import hookimpl


def _is_person(actor: Any) -> bool:
    """Only changes someone made are logged (not the demo seeder or a migration)."""
    return getattr(actor, "id", None) is not None


@hookimpl
def category_created(category: Any, actor: Any) -> None:
    if _is_person(actor):
        record_audit(actor, "category.create", "category", category.id, details={"name": category.name})


@hookimpl
def category_updated(category: Any, actor: Any) -> None:
    if _is_person(actor):
        record_audit(actor, "category.update", "category", category.id, details={"name": category.name})


@hookimpl
def profile_field_changed(field: Any, actor: Any, deleted: bool) -> None:
    if _is_person(actor):
        action = "directory_field.delete" if deleted else "directory_field.update"
        record_audit(actor, action, "directory_field", field.id, details={"label": field.label})


@hookimpl
def qa_settings_changed(changes: dict, actor: Any) -> None:
    if _is_person(actor):
        details = {key: {"from": old, "to": new} for key, (old, new) in changes.items()}
        record_audit(actor, "qa_settings.update", "site", 0, details=details)
