"""The socket's security rules: malformed events, rate limit, and people who must stop
receiving a room (removed, suspended, signed out)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.chat import channels
from app.core.db import utcnow
from app.moderation.services import suspend_user
from tests.chat.conftest import NS, events, make_channel, signed_in_http


def _room(db, people, kind="private"):
    owner, member, *_ = people
    channel = make_channel(kind, members=(member,), owner=owner)
    db.session.commit()
    return channel


def test_malformed_events_get_an_error_event_and_the_socket_survives(connect, people, db):
    owner, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    bad = [
        ("send", ["not an object"]),
        ("send", [{"channel_id": "1", "body": "x"}]),
        ("send", [{"channel_id": channel.id}]),
        ("send", [{"channel_id": channel.id, "body": 42}]),
        ("send", [{"channel_id": channel.id, "body": "x", "client_id": "bad id with spaces"}]),
        ("send", [{"channel_id": channel.id, "body": "x", "client_id": ["list"]}]),
        ("send", [{"channel_id": True, "body": "x"}]),
        ("send", [{"channel_id": -1, "body": "x"}]),
        ("send", [{f"k{i}": i for i in range(50)}]),
        ("send", [{"channel_id": channel.id, "body": "x" * 100_000}]),
        ("send", []),
        ("send", [{"channel_id": channel.id, "body": "x"}, "extra"]),
        ("join", [None]),
        ("edit", [{"message_id": "1", "body": "x"}]),
        ("delete", [{"message_id": None}]),
        ("read", [{"channel_id": channel.id, "message_id": "x"}]),
        ("history", [{"channel_id": channel.id, "before": "abc"}]),
        ("history", [{"channel_id": channel.id, "limit": {"a": 1}}]),
        ("no_such_event", [{}]),
        (123, [{}]),
        (None, [{}]),
    ]
    for name, args in bad:
        events(alice)
        alice.emit(name, *args, namespace=NS)
        errors = events(alice, "error")
        assert len(errors) == 1 and errors[0]["error"], (name, args)
        assert alice.is_connected(NS)
    ok = alice.emit("send", {"channel_id": channel.id, "body": "still fine"}, namespace=NS, callback=True)
    assert ok["ok"]


@pytest.mark.app_config(CHAT_RATE_LIMIT="3 per 10 seconds")
def test_sending_too_fast_is_refused_with_an_error(connect, people, db):
    owner, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    answers = [
        alice.emit("send", {"channel_id": channel.id, "body": f"m{i}"}, namespace=NS, callback=True)
        for i in range(4)
    ]
    assert [bool(a.get("ok")) for a in answers] == [True, True, True, False]
    assert "too quickly" in answers[3]["error"]


def test_a_client_cannot_join_a_room_it_may_not_read_by_naming_it(connect, people, db):
    owner, _member, outsider, _ = people
    channel = _room(db, people)
    eve = connect(outsider)
    ack = eve.emit("join", {"channel_id": channel.id}, namespace=NS, callback=True)
    assert ack["error"] == "Not found."
    connect(owner).emit("send", {"channel_id": channel.id, "body": "secret"}, namespace=NS)
    assert events(eve, "new_message") == []


def test_a_removed_member_stops_receiving_the_room(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    channels.remove_member(owner, channel, member)
    db.session.commit()
    assert events(bob, "channel_removed") == [{"channel_id": channel.id}]
    alice.emit("send", {"channel_id": channel.id, "body": "after removal"}, namespace=NS)
    assert events(bob, "new_message") == []
    assert bob.emit("join", {"channel_id": channel.id}, namespace=NS, callback=True)["error"] == "Not found."


def test_a_suspended_member_is_disconnected(connect, people, db):
    owner, member, _outsider, moderator = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    suspend_user(moderator, member, utcnow() + timedelta(days=2), "spam")
    db.session.commit()
    assert "force_logout" in [e["name"] for e in bob.queue]
    assert not bob.is_connected(NS)
    bob.queue.clear()
    alice.emit("send", {"channel_id": channel.id, "body": "bye"}, namespace=NS)
    assert bob.queue == []


def test_signing_out_disconnects_the_users_sockets(app, connect, people, db):
    from app.extensions import socketio

    _owner, member, *_ = people
    _room(db, people)
    http = signed_in_http(app, member)
    bob = socketio.test_client(app, namespace=NS, flask_test_client=http)
    assert bob.is_connected(NS)
    assert http.post("/logout").status_code == 302
    assert "force_logout" in [e["name"] for e in bob.queue]
    assert not bob.is_connected(NS)


def test_a_session_whose_token_was_rotated_cannot_emit(connect, people, db):
    owner, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    owner.session_token = "rotated"
    db.session.commit()
    ack = alice.emit("send", {"channel_id": channel.id, "body": "x"}, namespace=NS, callback=True)
    assert "session has ended" in ack["error"]
