"""Hostile input through the network's text (connection notes, display names, the
``next`` field): it stays inert on every page that shows it and never causes a 500."""

from __future__ import annotations

import os

import pytest

from app.accounts import services
from app.core.errors import DomainError
from app.extensions import db
from app.network import connections, follows
from app.network.models import Connection
from tests.factories import make_user
from tests.hostile import naughty_strings, page_script_vectors_in, xss_vectors
from tests.network.conftest import count

# Hundreds of commits per test: an in-memory SQLite database keeps them cheap. With
# TEST_DATABASE_URL set the tests run against PostgreSQL as usual (NUL bytes and all).
if not os.environ.get("TEST_DATABASE_URL"):
    pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://")

PAGES = ("/connections", "/u/sender", "/following", "/notifications/")


def test_xss_vectors_in_notes_and_names_stay_inert(client, sign_in, hostile, bob):
    sender = make_user(username="sender", display_name="Sender")
    db.session.commit()
    follows.follow(bob, sender)
    db.session.commit()
    sign_in(bob)
    for vector in xss_vectors(limit=80):
        try:
            services.update_profile(sender, sender, display_name=vector[:80])
        except DomainError:
            db.session.rollback()
        connections.request_connection(sender, bob, vector[:300])
        db.session.commit()
        for url in PAGES:
            response = client.get(url)
            assert response.status_code == 200, (url, vector)
            assert page_script_vectors_in(response.get_data(as_text=True)) == [], (url, vector)
        assert client.get("/connections.json").get_json()["incoming"][0]["message"] == " ".join(
            vector[:300].replace("\x00", "").split()
        )
        connections.remove_connection(sender, bob)
        db.session.commit()


def test_naughty_strings_as_notes_never_cause_a_server_error(client, sign_in, hostile, alice, bob):
    sign_in(alice)
    for text in naughty_strings():
        response = client.post("/u/bob/connect", data={"message": text, "next": text})
        assert response.status_code in (302, 400), text
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/"), text
        client.post("/u/bob/disconnect")
    assert count(Connection) == 0
