"""Sending, resending, editing and deleting messages over the socket."""

from __future__ import annotations

import sqlalchemy as sa

from app.chat.models import ChatMessage
from app.notifications.models import Notification
from tests.chat.conftest import NS, events, make_channel


def _room(db, people, kind="private"):
    owner, member, _outsider, _moderator = people
    channel = make_channel(kind, members=(member,), owner=owner)
    db.session.commit()
    return channel


def test_a_message_is_stored_before_it_is_broadcast(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    ack = alice.emit(
        "send",
        {"channel_id": channel.id, "body": "Hello **team**", "client_id": "a-1"},
        namespace=NS,
        callback=True,
    )
    assert ack["ok"] and ack["created"]
    [received] = events(bob, "new_message")
    stored = db.session.get(ChatMessage, received["id"])
    assert stored is not None and stored.body == "Hello **team**"
    assert "<strong>team</strong>" in received["body_html"]


def test_the_author_is_always_the_sessions_user(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    ack = alice.emit(
        "send",
        {"channel_id": channel.id, "body": "me", "author_id": member.id, "author": {"id": member.id}},
        namespace=NS,
        callback=True,
    )
    assert ack["message"]["author"]["id"] == owner.id


def test_a_resend_with_the_same_client_id_is_not_duplicated(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    payload = {"channel_id": channel.id, "body": "once", "client_id": "dup-1"}
    first = alice.emit("send", payload, namespace=NS, callback=True)
    second = alice.emit("send", payload, namespace=NS, callback=True)
    assert first["message"]["id"] == second["message"]["id"]
    assert second["created"] is False
    assert len(events(bob, "new_message")) == 1
    count = db.session.scalar(
        sa.select(sa.func.count(ChatMessage.id)).where(ChatMessage.client_id == "dup-1")
    )
    assert count == 1


def test_markdown_is_sanitized_and_links_are_safe(connect, people, db):
    owner, *_ = people
    channel = _room(db, people)
    ack = connect(owner).emit(
        "send",
        {
            "channel_id": channel.id,
            "body": "<script>alert(1)</script> [x](javascript:alert(1)) https://example.com",
        },
        namespace=NS,
        callback=True,
    )
    html = ack["message"]["body_html"]
    assert "<script" not in html and 'href="javascript:' not in html
    assert 'rel="nofollow ugc noopener"' in html


def test_an_oversized_message_gets_an_error_and_is_not_stored(connect, people, db):
    owner, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    ack = alice.emit("send", {"channel_id": channel.id, "body": "x" * 4001}, namespace=NS, callback=True)
    assert "at most 4,000" in ack["error"]
    assert events(alice, "error")[0]["event"] == "send"
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_an_outsider_cannot_post_into_a_private_room(connect, people, db):
    outsider = people[2]
    channel = _room(db, people)
    ack = connect(outsider).emit(
        "send", {"channel_id": channel.id, "body": "let me in"}, namespace=NS, callback=True
    )
    assert ack["error"] == "Not found."
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_members_edit_their_own_messages_and_everyone_sees_it(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    sent = alice.emit("send", {"channel_id": channel.id, "body": "typo"}, namespace=NS, callback=True)[
        "message"
    ]
    events(bob)
    ack = alice.emit("edit", {"message_id": sent["id"], "body": "fixed"}, namespace=NS, callback=True)
    assert ack["message"]["body"] == "fixed" and ack["message"]["edited_at"]
    [update] = events(bob, "message_updated")
    assert update["body"] == "fixed"
    refused = bob.emit("edit", {"message_id": sent["id"], "body": "hijack"}, namespace=NS, callback=True)
    assert refused["error"]


def test_members_delete_their_own_and_moderators_delete_any(connect, people, db):
    owner, member, _outsider, moderator = people
    channel = make_channel("public", members=(member, moderator), owner=owner)
    db.session.commit()
    alice, bob, mod = connect(owner), connect(member), connect(moderator)
    first = alice.emit("send", {"channel_id": channel.id, "body": "one"}, namespace=NS, callback=True)[
        "message"
    ]
    second = alice.emit("send", {"channel_id": channel.id, "body": "two"}, namespace=NS, callback=True)[
        "message"
    ]
    assert bob.emit("delete", {"message_id": first["id"]}, namespace=NS, callback=True)["error"]
    assert alice.emit("delete", {"message_id": first["id"]}, namespace=NS, callback=True)["message"][
        "deleted"
    ]
    deleted = mod.emit("delete", {"message_id": second["id"]}, namespace=NS, callback=True)["message"]
    assert deleted["deleted"] and deleted["body"] == "" and deleted["body_html"] == ""
    assert db.session.get(ChatMessage, second["id"]).deleted_by_id == moderator.id


def test_mentions_notify_members_but_not_outsiders_of_a_private_room(connect, people, db):
    owner, member, outsider, _ = people
    channel = _room(db, people)
    body = f"hi @{member.username} and @{outsider.username}"
    ack = connect(owner).emit("send", {"channel_id": channel.id, "body": body}, namespace=NS, callback=True)
    assert 'class="mention"' in ack["message"]["body_html"]
    notified = {n.user_id: n for n in db.session.scalars(sa.select(Notification))}
    assert set(notified) == {member.id}
    assert notified[member.id].kind == "mention" and f"channel={channel.id}" in notified[member.id].url


def test_posting_in_a_public_room_joins_it(connect, people, db):
    owner, _member, outsider, _ = people
    channel = make_channel("public", owner=owner)
    db.session.commit()
    ack = connect(outsider).emit(
        "send", {"channel_id": channel.id, "body": "hello all"}, namespace=NS, callback=True
    )
    assert ack["ok"]
    assert channel.has_member(outsider.id)


def test_typing_reaches_the_others_but_not_the_typist(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    events(alice), events(bob)
    alice.emit("typing", {"channel_id": channel.id}, namespace=NS)
    [typing] = events(bob, "typing")
    assert typing["user"]["id"] == owner.id
    assert events(alice, "typing") == []
