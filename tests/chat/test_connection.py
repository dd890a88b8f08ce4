"""Who may connect to /chat: signed-in, unsuspended members from an allowed origin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.db import utcnow
from tests.chat.conftest import NS, events, make_channel
from tests.factories import make_user


def test_anonymous_connection_is_refused(connect):
    client = connect(None)
    assert not client.is_connected(NS)


def test_signed_in_member_connects(connect, people):
    owner, *_ = people
    assert connect(owner).is_connected(NS)


def test_suspended_member_is_refused(connect, db):
    user = make_user(suspended_until=utcnow() + timedelta(days=1))
    db.session.commit()
    assert not connect(user).is_connected(NS)


def _handshake(client, origin: str | None):
    headers = {"Origin": origin} if origin else {}
    return client.get("/socket.io/?EIO=4&transport=polling", headers=headers)


def test_foreign_origin_is_refused_and_same_origin_accepted(client):
    # The test client's host is "localhost": that is the same origin.
    assert _handshake(client, "http://evil.example").status_code == 400
    assert _handshake(client, "http://localhost").status_code == 200


@pytest.mark.app_config(SOCKETIO_CORS_ORIGINS=["https://partners.example"])
def test_configured_origin_is_accepted_and_others_refused(client):
    assert _handshake(client, "https://partners.example").status_code == 200
    assert _handshake(client, "https://evil.example").status_code == 400


def test_cors_origins_are_never_a_wildcard(app):
    from app.extensions import socketio

    assert socketio.server.eio.cors_allowed_origins != "*"


def test_connect_joins_the_rooms_of_the_members_channels(connect, people, db):
    owner, member, *_ = people
    channel = make_channel("private", members=(member,), owner=owner)
    db.session.commit()
    alice, bob = connect(owner), connect(member)
    alice.emit("send", {"channel_id": channel.id, "body": "hello", "client_id": "c1"}, namespace=NS)
    [message] = events(bob, "new_message")
    assert message["body"] == "hello"
