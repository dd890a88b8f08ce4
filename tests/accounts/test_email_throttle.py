"""Password-reset and confirmation emails are limited per client and per address, and
the answers are the same whether or not the address has an account."""

from __future__ import annotations

import pytest

from app.notifications.mail import outbox_messages
from tests.accounts.conftest import links_sent_to
from tests.factories import make_user

pytestmark = pytest.mark.app_config(
    RATELIMIT_ENABLED=True,
    ACCOUNT_EMAIL_RATE_LIMIT="10 per hour",
    ACCOUNT_EMAIL_ADDRESS_RATE_LIMIT="3 per hour",
)
PER_ADDRESS, PER_CLIENT = 3, 10


def client_at(app, address: str):
    """A visitor's browser at this client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def answers(client, path: str, emails: list[str]) -> list[tuple[int, str | None, bytes]]:
    """What a visitor sees for each request: status, redirect target, and the page."""
    seen = []
    for email in emails:
        response = client.post(path, data={"email": email})
        seen.append((response.status_code, response.headers.get("Location"), response.data))
    return seen


def test_fifteen_reset_requests_for_one_address_send_at_most_the_per_address_allowance(app, db):
    make_user(email="ada@example.com")
    db.session.commit()
    seen = answers(client_at(app, "10.0.0.1"), "/password/forgot", ["ada@example.com"] * 15)
    assert len(links_sent_to(app, "ada@example.com")) == PER_ADDRESS
    assert [status for status, _, _ in seen] == [302] * PER_ADDRESS + [429] * (15 - PER_ADDRESS)


def test_the_per_address_limit_ignores_case_and_spacing_and_other_clients(app, db):
    make_user(email="ada@example.com")
    db.session.commit()
    variants = ["ada@example.com", "ADA@Example.com", "  ada@EXAMPLE.com ", "Ada@example.COM"]
    for number, email in enumerate(variants * 3):
        client_at(app, f"10.0.1.{number}").post("/password/forgot", data={"email": email})
    assert len(links_sent_to(app, "ada@example.com")) == PER_ADDRESS


def test_reset_and_confirmation_requests_share_one_budget_per_address(app, db):
    make_user(email="ada@example.com", confirmed_at=None)
    db.session.commit()
    client = client_at(app, "10.0.2.1")
    statuses = [client.post(path, data={"email": "ada@example.com"}).status_code for path in ["/confirm"] * 2]
    statuses += [
        client.post("/password/forgot", data={"email": "ada@example.com"}).status_code for _ in range(3)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert len(links_sent_to(app, "ada@example.com")) == PER_ADDRESS


def test_fifteen_requests_from_one_client_for_many_addresses_send_at_most_the_per_client_allowance(app, db):
    emails = [make_user().email for _ in range(15)]
    db.session.commit()
    seen = answers(client_at(app, "10.0.3.1"), "/password/forgot", emails)
    assert len(outbox_messages(app)) == PER_CLIENT
    assert [status for status, _, _ in seen] == [302] * PER_CLIENT + [429] * (15 - PER_CLIENT)


@pytest.mark.parametrize("path", ["/password/forgot", "/confirm"])
def test_known_and_unknown_addresses_get_the_same_answers_all_the_way_to_the_limit(app, db, path):
    make_user(email="ada@example.com", confirmed_at=None)
    db.session.commit()
    known = answers(client_at(app, "10.0.4.1"), path, ["ada@example.com"] * 15)
    unknown = answers(client_at(app, "10.0.4.2"), path, ["ghost@example.com"] * 15)
    assert known == unknown
    assert len(links_sent_to(app, "ada@example.com")) == PER_ADDRESS
    assert links_sent_to(app, "ghost@example.com") == []


def test_reading_the_forms_is_not_limited(app, db):
    client = client_at(app, "10.0.5.1")
    assert all(client.get("/password/forgot").status_code == 200 for _ in range(15))
