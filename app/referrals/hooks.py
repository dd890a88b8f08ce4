"""Referrals: search principals for organization staff, referral search documents, the
nav item, the organization-page panel and ``flask referrals expire``."""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from flask import render_template
from flask_login import current_user

from app.core.permissions import can, is_active_member
from app.extensions import db
from app.plugins import hookimpl
from app.referrals import notices
from app.referrals.models import Referral
from app.referrals.notices import search_document
from app.referrals.services import expire_overdue


@hookimpl
def search_principals(actor: Any) -> list[str]:
    """``org:<id>`` for members of an organization: referral documents carry the
    principals of their two organizations, so a member who leaves loses them at once."""
    org_id = getattr(actor, "organization_id", None)
    if org_id is None or not is_active_member(actor):
        return []
    return [f"org:{org_id}"]


@hookimpl
def search_documents(since: Any) -> list[dict]:
    """Every referral (changed after ``since``) for a rebuild of the index."""

    query = sa.select(Referral).order_by(Referral.id)
    if since is not None:
        query = query.where(Referral.updated_at > since)
    return [search_document(referral) for referral in db.session.scalars(query)]


@hookimpl
def notification_text(notification: Any, viewer: Any) -> str | None:
    """Name the referral's summary in its notifications, for readers who may see it."""
    return notices.notification_text(notification, viewer)


@hookimpl
def nav_items(actor: Any) -> list[dict]:
    if not can(actor, "referral.use"):
        return []
    return [{"label": "Referrals", "endpoint": "referrals.index", "order": 65, "more": True}]


@hookimpl
def template_panel(name: str, context: dict) -> str | None:
    """On an organization's page: its referral history for those who may see it, and
    "Send a referral" for members of other organizations."""
    if name != "organization_page" or context.get("org") is None:
        return None

    org = context["org"]
    viewer = context.get("viewer") or current_user
    show_history = can(viewer, "referral.history", org)
    may_send = can(viewer, "referral.send") and getattr(viewer, "organization_id", None) != org.id
    if not (show_history or may_send):
        return None
    return render_template("referrals/_org_panel.html", org=org, show_history=show_history, may_send=may_send)


@hookimpl
def register_cli(cli: Any) -> None:
    @cli.group("referrals")
    def referrals_group() -> None:
        """Partner-to-partner referrals."""

    @referrals_group.command("expire")
    def expire_command() -> None:
        """Expire referrals still waiting for an answer after their expiry date."""

        count = expire_overdue()
        db.session.commit()
        click.echo(f"Expired {count} referral{'' if count == 1 else 's'}.")


def expire_overdue_referrals() -> None:
    """Expire referrals still waiting for an answer after their expiry date."""
    expire_overdue()


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    # Expiry used to wait for someone to read the referral or for a cron job; the worker
    # now expires them on time, so the sender side is told without anyone looking.
    return [{"name": "referrals.expire-overdue", "func": expire_overdue_referrals, "cron": "*/15 * * * *"}]
