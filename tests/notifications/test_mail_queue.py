"""Outgoing email is durable: queued in the caller's transaction, sent after the commit,
kept with its error when the send fails, and retried by the worker until it goes."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.pagecache import BOOKKEEPING_TABLES
from app.core.pagecache.store import PageCache
from app.jobs.definitions import collect_jobs
from app.notifications import mail
from app.notifications.mail import outbox_messages, send_email
from app.notifications.models import QueuedMail


def queued(db) -> list[QueuedMail]:
    db.session.rollback()  # read what is committed, not this session's leftovers
    return list(db.session.scalars(sa.select(QueuedMail).order_by(QueuedMail.id)))


@pytest.fixture
def smtp_down(app, monkeypatch):
    """SMTP configured at a loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    return port


def smtp_fixed(app, monkeypatch) -> None:
    """Mail goes to the development outbox again (stands in for a working server)."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)


def test_a_rolled_back_transaction_queues_and_sends_nothing(app, db):
    send_email("ada@example.com", "Hello", "Body")
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert queued(db) == []
    assert outbox_messages(app) == []


def test_a_committed_email_is_sent_right_after_the_commit_and_marked_sent(app, db):
    send_email("ada@example.com", "Hello", "Body")
    assert outbox_messages(app) == []
    db.session.commit()
    (message,) = outbox_messages(app)
    (row,) = queued(db)
    assert message["Message-ID"] == row.message_id and message["To"] == "ada@example.com"
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert row.claim_token is None


def test_smtp_down_keeps_the_email_and_the_request_still_succeeds(app, db, login_as, admin, smtp_down):
    client = login_as(admin)
    response = client.post("/admin/email/test")
    assert response.status_code == 302  # no 500: the admin's action landed
    (row,) = queued(db)
    assert row.recipient == admin.email and row.sent_at is None
    assert row.attempts == 1 and "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # backing off
    assert row.claim_token is None
    assert b"Return-Path" not in row.message and b"Subject: Test email from" in row.message
    page = client.get("/admin/").get_data(as_text=True)
    assert "<strong>1</strong> email not sent yet" in page and "ConnectionRefusedError" in page
    email_page = client.get("/admin/email").get_data(as_text=True)
    assert admin.email in email_page and "1 attempt" in email_page


def test_the_worker_job_retries_a_failed_email_and_sends_it_once_smtp_works(app, db, smtp_down, monkeypatch):
    job = collect_jobs(app)["mail.retry"]
    assert job.schedule == "every 60s"
    send_email("ada@example.com", "Hello", "Body")
    db.session.commit()
    (row,) = queued(db)
    first_retry = row.next_attempt_at
    job.call(app)  # not due yet: nothing is tried, nothing fails
    assert queued(db)[0].attempts == 1

    db.session.execute(sa.update(QueuedMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(mail.MailRetryFailed, match="ConnectionRefusedError"):
        job.call(app)  # still down: the run fails (flask jobs list shows it), the row stays
    (row,) = queued(db)
    assert row.attempts == 2 and row.sent_at is None
    assert row.next_attempt_at - utcnow() > first_retry - row.created_at  # the back-off grew

    smtp_fixed(app, monkeypatch)
    db.session.execute(sa.update(QueuedMail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    job.call(app)
    job.call(app)
    (message,) = outbox_messages(app)  # sent once
    (row,) = queued(db)
    assert message["Message-ID"] == row.message_id
    assert row.sent_at is not None and row.attempts == 3 and row.last_error == ""


def test_the_back_off_doubles_and_is_capped(app):
    delays = [mail.retry_delay(app, attempts).total_seconds() for attempts in (1, 2, 3, 10, 100)]
    assert delays == [60, 120, 240, 3600, 3600]


def test_two_senders_claiming_the_same_email_send_it_once(app, db, smtp_down, monkeypatch):
    send_email("ada@example.com", "Hello", "Body")
    db.session.commit()
    smtp_fixed(app, monkeypatch)
    (row,) = queued(db)
    later = utcnow() + timedelta(hours=2)  # past the back-off
    first = mail.claim(now=later)
    # Another worker that read the same due row before the first claim landed: its
    # conditional UPDATE names the row and matches nothing.
    second = mail.claim([row.message_id], now=later)
    assert mail.send_claimed(app, second).sent == 0
    assert mail.send_claimed(app, first).sent == 1
    assert len(outbox_messages(app)) == 1
    assert mail.send_queued(app, now=later + timedelta(hours=1)).sent == 0  # sent rows stay sent
    assert len(outbox_messages(app)) == 1


def test_a_sender_killed_mid_send_leaves_the_email_to_be_claimed_after_its_lease(app, db, smtp_down):
    send_email("ada@example.com", "Hello", "Body")
    db.session.commit()
    later = utcnow() + timedelta(hours=2)
    abandoned = mail.claim(now=later)  # claimed, then the process died before sending
    assert mail.claim(now=later + timedelta(seconds=mail.CLAIM_SECONDS - 1)) != abandoned
    (row,) = queued(db)
    assert row.claim_token == abandoned  # still leased: nobody else took it
    retaken = mail.claim(now=later + timedelta(seconds=mail.CLAIM_SECONDS + 1))
    (row,) = queued(db)
    assert row.claim_token == retaken and row.attempts == 3


def test_sent_email_is_pruned_after_the_configured_days(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_KEEP_DAYS", 7)
    now = utcnow()
    for number, sent_at in enumerate((now - timedelta(days=8), now - timedelta(days=1), None)):
        db.session.add(
            QueuedMail(
                message_id=f"<{number}@example.com>",
                recipient="ada@example.com",
                subject=f"Message {number}",
                message=b"Subject: x\r\n\r\nbody\r\n",
                created_at=now - timedelta(days=30),
                sent_at=sent_at,
            )
        )
    db.session.commit()
    assert mail.prune_sent(app) == 1
    db.session.commit()
    assert [row.subject for row in queued(db)] == ["Message 1", "Message 2"]  # unsent mail is kept


def test_flask_mail_retry_sends_waiting_email_now(app, db, runner, smtp_down, monkeypatch):
    send_email("ada@example.com", "Hello", "Body")
    db.session.commit()
    failed = runner.invoke(args=["mail", "retry"])
    assert failed.exit_code == 1 and "1 waiting: 0 sent, 1 failed" in failed.output
    smtp_fixed(app, monkeypatch)
    result = runner.invoke(args=["mail", "retry"])
    assert result.exit_code == 0 and "1 waiting: 1 sent, 0 failed" in result.output
    assert len(outbox_messages(app)) == 1


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_queueing_and_sending_email_invalidates_no_cached_page(app, db, monkeypatch):
    assert "mail_queue" in BOOKKEEPING_TABLES
    bumped: list = []
    monkeypatch.setattr(PageCache, "bump_viewers", lambda self, users: bumped.append(set(users)))
    monkeypatch.setattr(PageCache, "bump", lambda self: bumped.append("shared"))
    send_email("ada@example.com", "Hello", "Body")
    db.session.commit()  # the queueing commit, then the send's own commit
    assert len(outbox_messages(app)) == 1
    mail.prune_sent(app, now=utcnow() + timedelta(days=30))
    db.session.commit()
    assert bumped == []
