"""Every kind of message the site sends is well-formed RFC 5322: parsed back with
Python's ``email`` package it has no defects, and it carries ``Date`` and a unique
``Message-ID`` (RFC 5322 requires the first; mail clients thread by the second)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from app.accounts import organizations
from app.accounts import services as accounts
from app.notifications.mail import build_message
from app.plugins import fire
from app.qa.notices import new_answer
from tests.factories import make_org, make_post, make_topic, make_user

MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>")


def _send_every_kind(db) -> set[str]:
    """Send one message of each kind the site sends; returns the addressees."""
    accounts.register_user("new.member@example.com", "New Member", "a long enough password")
    db.session.commit()
    make_user(email="unconfirmed@example.com", confirmed_at=None)
    db.session.commit()
    accounts.resend_confirmation("unconfirmed@example.com")
    db.session.commit()
    make_user(email="forgetful@example.com")
    db.session.commit()
    accounts.request_password_reset("forgetful@example.com")
    db.session.commit()
    organizations.invite_colleague(
        make_user(role="admin"), make_org(name="Zürich Partners"), "colleague@example.com"
    )
    db.session.commit()

    author = make_user(email="author@example.com", display_name="Topic Author")
    replier = make_user(display_name="Rita “Quotes” Replier")
    topic = make_topic(author=author, title="Deal registration — non-ASCII “title”")
    reply = make_post(topic, author=replier, body="I have **thoughts** on this.")
    fire("post_created", post=reply, actor=replier)
    db.session.commit()
    mentioned = make_user(email="mentioned@example.com")
    fire(
        "user_mentioned",
        post=make_post(topic, author=replier, body="@someone look"),
        user=mentioned,
        actor=replier,
    )
    db.session.commit()
    asker = make_user(email="asker@example.com")
    question = make_topic(author=asker, title="How do I register a deal?")
    new_answer(make_post(question, author=replier, body="Like this."), replier)
    db.session.commit()
    return {
        "new.member@example.com",
        "unconfirmed@example.com",
        "forgetful@example.com",
        "colleague@example.com",
        "author@example.com",
        "mentioned@example.com",
        "asker@example.com",
    }


def _outbox(app) -> list[EmailMessage]:
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    return [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in sorted(folder.glob("*.eml"))
    ]


def _assert_well_formed(message: EmailMessage) -> None:
    assert message.defects == [], message.defects
    for name in message:
        assert message[name].defects == (), (name, message[name].defects)
    for name in ("Date", "Message-ID", "From", "To", "Subject"):
        assert len(message.get_all(name) or []) == 1, name
    sent = message["Date"].datetime
    assert sent.tzinfo is not None
    assert abs(datetime.now(UTC) - sent) < timedelta(days=1)
    assert MESSAGE_ID.fullmatch(str(message["Message-ID"]))
    assert message.get_content()


def test_every_kind_of_message_parses_without_defects_and_has_date_and_message_id(app, db):
    addressees = _send_every_kind(db)
    messages = _outbox(app)
    assert {str(m["To"]) for m in messages} == addressees
    for message in messages:
        _assert_well_formed(message)
    ids = [str(m["Message-ID"]) for m in messages]
    assert len(set(ids)) == len(ids)


@pytest.mark.app_config(MAIL_FROM="Gildehalle Büro <no-reply@partners.example.org>")
def test_message_ids_use_the_senders_domain_and_non_ascii_headers_encode_cleanly(app):
    message = build_message(app, "ada@example.com", "Grüße — “quoted”\r\nBcc: injected@example.com", "Hallo")
    parsed = BytesParser(policy=policy.default).parsebytes(bytes(message))
    _assert_well_formed(parsed)
    assert str(parsed["Message-ID"]).endswith("@partners.example.org>")
    assert parsed["Bcc"] is None
    assert str(parsed["From"]) == "Gildehalle Büro <no-reply@partners.example.org>"


@pytest.mark.app_config(MAIL_FROM="noreply", SERVER_BASE_URL="https://community.example.com/")
def test_without_a_sender_domain_message_ids_use_the_sites_host(app):
    assert str(build_message(app, "ada@example.com", "Hi", "Hi")["Message-ID"]).endswith(
        "@community.example.com>"
    )
