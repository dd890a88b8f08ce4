"""Outgoing email: queued in the caller's transaction, sent after it commits, retried.

``send_email`` adds a ``mail_queue`` row (:class:`~app.notifications.models.QueuedMail`)
to the current transaction, so the email exists exactly when the write that caused it
lands: a rollback leaves no mail. Once the transaction has committed (and given its
connection back) the rows it queued are sent at once, so a confirmation link arrives
right after the request as before. A failed send never reaches the request: the row
keeps the error and waits out a capped exponential back-off, and the worker's
``mail.retry`` periodic job (every minute) sends due rows until they go, then prunes
sent rows after ``MAIL_KEEP_DAYS``. The admin dashboard counts the failing rows.

With ``MAIL_SERVER`` unset (development, tests) each message is written to
``instance/outbox/`` as an ``.eml`` file and logged, so a developer can click the
confirmation link without an SMTP server.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app

from app.core.db import after_commit_released, utcnow
from app.extensions import db
from app.notifications.models import QueuedMail

log = logging.getLogger("guildhall.mail")
# How long a claimed row stays with its sender before another may take it (a sender
# killed mid-send); well above the SMTP timeout.
CLAIM_SECONDS = 300
RETRY_BATCH = 200
MAX_ERROR = 2000


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
    """Queue an email in the current transaction; it is sent once that commits."""
    app = current_app._get_current_object()
    message = build_message(app, to, subject, text, html)
    session = db.session()
    session.add(
        QueuedMail(
            message_id=message["Message-ID"],
            recipient=to[:320],
            subject=str(message["Subject"])[:300],
            message=bytes(message),
        )
    )
    # Released: the delivery reads and writes the queue on a connection of its own.
    after_commit_released(session, lambda: send_queued(app, message_ids=[message["Message-ID"]]))


def retry_delay(app: Flask, attempts: int) -> timedelta:
    """Wait after failed attempt number ``attempts``: doubling from
    ``MAIL_RETRY_SECONDS``, never more than ``MAIL_RETRY_MAX_SECONDS``."""
    base = float(app.config.get("MAIL_RETRY_SECONDS", 60))
    ceiling = float(app.config.get("MAIL_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(base * 2 ** min(max(attempts - 1, 0), 30), ceiling))


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    last_error: str = ""


def claim(message_ids: list[str] | None = None, now: datetime | None = None, limit: int = RETRY_BATCH) -> str:
    """Claim due unsent rows (those of ``message_ids``, else the oldest due) for this
    sender and commit; returns the claim token naming them.

    The claim is one conditional UPDATE: only a row still unsent and due is moved a
    lease ahead under the new token. Two senders racing for a row both run it, and the
    database lets one win (SQLite serializes writers; PostgreSQL re-checks the WHERE on
    the row the first one updated), so the loser's UPDATE matches nothing.
    """
    now = now or utcnow()
    session = db.session()
    due = sa.and_(QueuedMail.sent_at.is_(None), QueuedMail.next_attempt_at <= now)
    if message_ids is None:
        ids = list(
            session.scalars(
                sa.select(QueuedMail.id).where(due).order_by(QueuedMail.next_attempt_at).limit(limit)
            )
        )
        which = QueuedMail.id.in_(ids)
    else:
        which = QueuedMail.message_id.in_(message_ids)
    token = secrets.token_hex(16)
    session.execute(
        sa.update(QueuedMail)
        .where(which, due)
        .values(
            claim_token=token,
            next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS),
            attempts=QueuedMail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return token


def send_claimed(app: Flask, token: str) -> SendResult:
    """Deliver the rows claimed under ``token``, recording each outcome as it goes."""
    session = db.session()
    result = SendResult()
    rows = session.execute(
        sa.select(QueuedMail.id, QueuedMail.message, QueuedMail.attempts)
        .where(QueuedMail.claim_token == token)
        .order_by(QueuedMail.id)
    ).all()
    session.rollback()
    for row_id, raw, attempts in rows:
        mine = sa.update(QueuedMail).where(QueuedMail.id == row_id, QueuedMail.claim_token == token)
        try:
            deliver(app, BytesParser(policy=policy.default).parsebytes(raw))
        except Exception as error:  # SMTP down, refused, bad TLS: keep the row for a retry
            error_text = f"{error.__class__.__name__}: {error}"[:MAX_ERROR]
            log.warning(
                "could not send queued mail %d (attempt %d): %s", row_id, attempts, error_text, exc_info=True
            )
            result.failed += 1
            result.last_error = error_text
            values = {"last_error": error_text, "next_attempt_at": utcnow() + retry_delay(app, attempts)}
        else:
            result.sent += 1
            values = {"sent_at": utcnow(), "last_error": ""}
        session.execute(mine.values(claim_token=None, **values).execution_options(synchronize_session=False))
        session.commit()
    return result


def send_queued(app: Flask, message_ids: list[str] | None = None, now: datetime | None = None) -> SendResult:
    """Claim and send due rows (those of ``message_ids``, else up to a batch of the
    oldest). Never raises: a failure stays recorded on the rows.

    Runs in an app context of its own, so the caller's session and transaction are left
    alone (it is called after the caller's commit).
    """
    with app.app_context():
        try:
            return send_claimed(app, claim(message_ids, now))
        except Exception as error:  # the queue itself unreachable (database down)
            log.exception("could not read or update the mail queue")
            db.session.rollback()
            return SendResult(failed=1, last_error=f"{error.__class__.__name__}: {error}"[:MAX_ERROR])


def make_all_due(now: datetime | None = None) -> int:
    """Make every unsent, unclaimed row due now (``flask mail retry``); commits and
    returns how many rows wait."""
    now = now or utcnow()
    result = db.session.execute(
        sa.update(QueuedMail)
        .where(QueuedMail.sent_at.is_(None), QueuedMail.claim_token.is_(None))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


class MailRetryFailed(RuntimeError):
    """Queued mail still could not be sent; the worker records the run as failed."""


def retry_queued_mail(app: Flask) -> None:
    """Send queued email that is due (a failed send whose back-off is over, or a row a
    killed process never sent), then prune old sent rows: the ``mail.retry`` periodic
    job. Raises when a send failed, so the run shows as failed in ``flask jobs list``;
    the rows keep their own back-off."""
    prune_sent(app)
    db.session.commit()
    result = send_queued(app)
    if result.failed:
        raise MailRetryFailed(f"{result.failed} email(s) kept for retry: {result.last_error[:500]}")


def prune_sent(app: Flask, now: datetime | None = None) -> int:
    """Delete rows sent more than ``MAIL_KEEP_DAYS`` ago (the caller commits)."""
    cutoff = (now or utcnow()) - timedelta(days=int(app.config.get("MAIL_KEEP_DAYS", 7)))
    result = db.session.execute(
        sa.delete(QueuedMail)
        .where(QueuedMail.sent_at.is_not(None), QueuedMail.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass
class FailingMail:
    count: int
    newest_error: str
    rows: list[QueuedMail]


def failing_mail(limit: int = 20) -> FailingMail:
    """Unsent email whose last send failed (``attempts`` > 0 with an error), for the
    admin dashboard and email page: how many, the newest error, the newest rows."""
    failing = sa.and_(QueuedMail.sent_at.is_(None), QueuedMail.attempts > 0, QueuedMail.last_error != "")
    count = db.session.scalar(sa.select(sa.func.count(QueuedMail.id)).where(failing)) or 0
    rows = list(
        db.session.scalars(sa.select(QueuedMail).where(failing).order_by(QueuedMail.id.desc()).limit(limit))
    )
    return FailingMail(count=count, newest_error=rows[0].last_error if rows else "", rows=rows)


def outbox_messages(app: Flask) -> list[EmailMessage]:
    """Messages in the development outbox, oldest first (used by tests and the CLI)."""
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    if not outbox.is_dir():
        return []
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [BytesParser(policy=policy.default).parsebytes(f.read_bytes()) for f in files]
