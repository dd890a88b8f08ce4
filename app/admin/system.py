"""The admin's pages about the running system: site settings (with the audit trail),
email (the SMTP settings in effect, a test message, the development outbox) and the
plug-ins the manager has loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from flask import current_app

from app.core import settings as core_settings
from app.core.errors import Invalid
from app.core.permissions import require
from app.extensions import db
from app.moderation.services import record_audit
from app.notifications.mail import FailingMail, failing_mail, send_email
from app.plugins import plugin_manager
from app.plugins.info import PluginInfo, describe_plugins
from app.uploads.models import SCOPE_PUBLIC, Upload
from app.uploads.services import upload_url

OUTBOX_LIMIT = 50
HIDDEN = "•••••• (set)"


def _check_logo(raw: dict[str, Any]) -> None:
    """The logo must be an existing public image (an upload core cannot look up)."""
    value = raw.get("logo_upload_id")
    if value in (None, "", "none"):
        return
    upload_id = core_settings.DEFINITIONS["logo_upload_id"].clean(value)
    upload = db.session.get(Upload, upload_id)
    if upload is None or upload.scope != SCOPE_PUBLIC or not upload.content_type.startswith("image/"):
        raise Invalid("That is not the number of a public uploaded image.", field="logo_upload_id")


def logo_url() -> str | None:
    """Where the current site logo is served, for the settings page's preview."""
    upload_id = core_settings.get_setting("logo_upload_id")
    upload = db.session.get(Upload, upload_id) if upload_id else None
    return upload_url(upload) if upload is not None else None


def save_settings(actor: Any, raw: dict[str, Any], reason: str = "") -> dict[str, tuple[Any, Any]]:
    """Store site settings and log one audit entry naming each changed key with its old
    and new value; returns the changes (empty when nothing changed: no entry then)."""
    require(actor, "settings.manage")
    try:
        _check_logo(raw)
    except Invalid as error:
        raise Invalid(error.message, field="logo_upload_id") from None
    changes = core_settings.update_settings(actor, raw)
    if changes:
        record_audit(
            actor,
            "settings.update",
            "site",
            0,
            reason=reason,
            details={key: {"from": old, "to": new} for key, (old, new) in changes.items()},
        )
    return changes


@dataclass
class MailSetting:
    name: str
    value: str


def mail_settings(actor: Any) -> list[MailSetting]:
    """The mail settings in effect; the password is never shown, only whether it is set."""
    require(actor, "admin.email")
    config = current_app.config
    server = config.get("MAIL_SERVER")
    rows = [
        MailSetting(
            "Delivery", f"SMTP via {server}" if server else "Development outbox (MAIL_SERVER is not set)"
        ),
        MailSetting("MAIL_FROM", str(config.get("MAIL_FROM") or "")),
    ]
    if server:
        rows += [
            MailSetting("MAIL_SERVER", str(server)),
            MailSetting("MAIL_PORT", str(config.get("MAIL_PORT"))),
            MailSetting("MAIL_USE_TLS", "yes" if config.get("MAIL_USE_TLS") else "no"),
            MailSetting("MAIL_USERNAME", str(config.get("MAIL_USERNAME") or "(none)")),
            MailSetting("MAIL_PASSWORD", HIDDEN if config.get("MAIL_PASSWORD") else "(none)"),
        ]
    else:
        rows.append(MailSetting("MAIL_OUTBOX_DIR", str(config.get("MAIL_OUTBOX_DIR"))))
    return rows


def send_test_email(actor: Any) -> str:
    """Send a test message to the acting admin's own address after the commit; returns
    the address. A delivery failure is logged by the mail module, as for every email."""
    require(actor, "admin.email")
    site = core_settings.get_setting("site_name")
    send_email(
        actor.email,
        f"Test email from {site}",
        f"Hello {actor.display_name},\n\nThis is a test message sent from the admin area of {site}.\n"
        "If you can read it, outgoing email works.\n",
    )
    record_audit(actor, "email.test", "user", actor.id, details={"to": actor.email})
    return actor.email


def failing_email(actor: Any) -> FailingMail:
    """Email whose send failed and waits in the queue for a retry (newest first)."""
    require(actor, "admin.email")
    return failing_mail()


@dataclass
class OutboxMessage:
    filename: str
    to: str
    subject: str
    sent_at: datetime
    body: str


def outbox(actor: Any, limit: int = OUTBOX_LIMIT) -> list[OutboxMessage] | None:
    """The newest messages in the development outbox, or None when mail goes by SMTP."""
    require(actor, "admin.email")
    if current_app.config.get("MAIL_SERVER"):
        return None
    folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns, reverse=True)[:limit]
    messages = []
    for path in files:
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        part = message.get_body(("plain",))
        messages.append(
            OutboxMessage(
                filename=path.name,
                to=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
                sent_at=datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None),
                body=part.get_content() if part is not None else "",
            )
        )
    return messages


def plugins(actor: Any) -> list[PluginInfo]:
    """Plug-ins the manager knows (enabled, or in-tree but disabled) with their
    migration head, and core listeners, which are always on: the same rows as
    ``flask plugins list``."""
    require(actor, "admin.plugins")
    return describe_plugins(current_app, plugin_manager(), engine=db.engine)
