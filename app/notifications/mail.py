"""Outgoing email: queued until the transaction commits, then sent.

With ``MAIL_SERVER`` unset (development, tests) each message is written to
``instance/outbox/`` as an ``.eml`` file and logged, so a developer can click the
confirmation link without an SMTP server. A failed send is logged, never raised: the
user's write has already landed.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from app.core.db import after_commit
from app.extensions import db

log = logging.getLogger("guildhall.mail")


def message_id_domain(app: Flask) -> str:
    """The right-hand side of our Message-IDs: the sender's domain, else the site's host.

    A fixed made-up name would let two installations mint clashing ids; the sender's
    own domain is what RFC 5322 suggests.
    """
    _name, address = parseaddr(app.config.get("MAIL_FROM") or "")
    domain = address.rpartition("@")[2].strip() if "@" in address else ""
    if domain and all(ch.isascii() and (ch.isalnum() or ch in ".-") for ch in domain):
        return domain
    return urlsplit(app.config.get("SERVER_BASE_URL") or "").hostname or "localhost"


def build_message(app: Flask, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """Every message the site sends, with the headers RFC 5322 requires (``Date``,
    ``From``) and a unique ``Message-ID`` that mail clients thread and deduplicate by.
    With ``html`` the text stays the first part, for clients that show plain text."""
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=message_id_domain(app))
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def deliver(app: Flask, message: EmailMessage) -> None:
    """Send now: SMTP when configured, else write to the outbox folder."""
    server = app.config.get("MAIL_SERVER")
    if server:
        with smtplib.SMTP(server, app.config["MAIL_PORT"], timeout=10) as smtp:
            if app.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if app.config.get("MAIL_USERNAME"):
                smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
            smtp.send_message(message)
        return
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    (outbox / name).write_bytes(bytes(message))
    log.info("mail to %s: %s (written to %s)", message["To"], message["Subject"], outbox / name)


def send_email(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Queue an email for after the current transaction commits."""
    app = current_app._get_current_object()
    message = build_message(app, to, subject, text, html)

    def _send() -> None:
        try:
            deliver(app, message)
        except Exception:
            log.exception("could not send mail to %s", to)

    after_commit(db.session(), _send)


def outbox_messages(app: Flask) -> list[EmailMessage]:
    """Messages in the development outbox, oldest first (used by tests and the CLI)."""
    # Only when re-reading a written outbox message.
    from email import policy
    from email.parser import BytesParser

    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    if not outbox.is_dir():
        return []
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
