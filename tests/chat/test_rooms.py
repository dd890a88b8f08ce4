"""Reconnect catch-up, presence, unread counts and read markers, DMs and plug-in rooms."""

from __future__ import annotations

import pytest

from app.chat import channels, reads
from tests.chat import sample_chat_plugin
from tests.chat.conftest import NS, events, make_channel
from tests.factories import make_user


def _room(db, people, kind="private"):
    owner, member, *_ = people
    channel = make_channel(kind, members=(member,), owner=owner)
    db.session.commit()
    return channel


def test_reconnecting_with_the_last_seen_id_returns_what_was_missed_in_order(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    seen = alice.emit("send", {"channel_id": channel.id, "body": "seen"}, namespace=NS, callback=True)[
        "message"
    ]
    bob.disconnect(NS)
    sent = [
        alice.emit("send", {"channel_id": channel.id, "body": f"missed {i}"}, namespace=NS, callback=True)[
            "message"
        ]
        for i in range(3)
    ]
    bob = connect(member)
    ack = bob.emit(
        "join", {"channel_id": channel.id, "last_seen_id": seen["id"]}, namespace=NS, callback=True
    )
    assert [m["id"] for m in ack["missed"]] == [m["id"] for m in sent]
    assert [m["body"] for m in ack["missed"]] == ["missed 0", "missed 1", "missed 2"]
    # Nothing is delivered twice: afterwards only new messages arrive.
    events(bob)
    alice.emit("send", {"channel_id": channel.id, "body": "live"}, namespace=NS)
    assert [m["body"] for m in events(bob, "new_message")] == ["live"]


def test_presence_lists_who_is_online_in_a_room(connect, people, db):
    owner, member, *_ = people
    channel = _room(db, people)
    alice = connect(owner)
    assert alice.emit("presence", {"channel_id": channel.id}, namespace=NS, callback=True)["online"] == [
        owner.id
    ]
    events(alice)
    bob = connect(member)
    came = {"channel_id": channel.id, "changes": [{"user_id": member.id, "online": True}]}
    assert came in events(alice, "presence")
    online = alice.emit("presence", {"channel_id": channel.id}, namespace=NS, callback=True)["online"]
    assert online == sorted([owner.id, member.id])
    bob.disconnect(NS)
    went = {"channel_id": channel.id, "changes": [{"user_id": member.id, "online": False}]}
    assert went in events(alice, "presence")


def test_presence_changes_are_coalesced_into_one_event_per_room(app, connect, people, db):
    """With an interval, N connects cost one event per room, not one per connect."""
    owner, member, _, moderator = people
    third = moderator
    channel = make_channel("private", members=(member, third), owner=owner)
    db.session.commit()
    batcher = app.extensions["guildhall_chat"].presence
    batcher.interval = 3600  # the flushing thread will not fire during the test
    alice = connect(owner)
    batcher.flush()
    events(alice)
    bob = connect(member)
    connect(third)
    bob.disconnect(NS)  # the latest state per user wins
    assert events(alice, "presence") == []
    assert batcher.flush() == 1
    [event] = events(alice, "presence")
    assert event["channel_id"] == channel.id
    assert sorted(event["changes"], key=lambda c: c["user_id"]) == sorted(
        [{"user_id": member.id, "online": False}, {"user_id": third.id, "online": True}],
        key=lambda c: c["user_id"],
    )


def test_unread_counts_and_read_markers(connect, people, db, client, login_as):
    owner, member, *_ = people
    channel = _room(db, people)
    alice, bob = connect(owner), connect(member)
    ids = [
        alice.emit("send", {"channel_id": channel.id, "body": f"m{i}"}, namespace=NS, callback=True)[
            "message"
        ]["id"]
        for i in range(3)
    ]
    assert reads.unread_counts(member) == {channel.id: 3}
    assert reads.unread_counts(owner) == {}  # own messages are read
    login_as(member)
    assert "Chat (3)" in client.get("/chat/").get_data(as_text=True)
    ack = bob.emit("read", {"channel_id": channel.id, "message_id": ids[1]}, namespace=NS, callback=True)
    assert ack["unread"] == 1
    # Markers never move back and never past the newest message.
    assert (
        bob.emit("read", {"channel_id": channel.id, "message_id": ids[0]}, namespace=NS, callback=True)[
            "unread"
        ]
        == 1
    )
    assert (
        bob.emit("read", {"channel_id": channel.id, "message_id": 10**9}, namespace=NS, callback=True)[
            "last_read_message_id"
        ]
        == ids[2]
    )


def test_direct_messages_are_private_to_their_participants(connect, people, db):
    owner, member, outsider, _ = people
    dm = channels.open_dm(owner, [member])
    db.session.commit()
    assert channels.open_dm(member, [owner]).id == dm.id  # the same pair reuses it
    alice, bob, eve = connect(owner), connect(member), connect(outsider)
    alice.emit("send", {"channel_id": dm.id, "body": "just us"}, namespace=NS)
    assert [m["body"] for m in events(bob, "new_message")] == ["just us"]
    assert events(eve, "new_message") == []
    assert eve.emit("join", {"channel_id": dm.id}, namespace=NS, callback=True)["error"] == "Not found."


def test_group_dms_hold_at_most_twenty_people(db):
    from app.core.errors import Invalid

    me = make_user()
    others = [make_user() for _ in range(20)]
    group = channels.open_dm(me, others[:19])
    assert len(channels.member_ids(group.id)) == 20
    with pytest.raises(Invalid):
        channels.open_dm(me, others)


@pytest.mark.app_config(PLUGINS=["tests.chat.sample_chat_plugin"])
def test_a_plugin_room_follows_its_groups_membership(connect, db):
    lead, member, outsider = make_user(), make_user(), make_user()
    db.session.commit()
    sample_chat_plugin.GROUPS.clear()
    sample_chat_plugin.GROUPS[7] = {lead.id, member.id}
    try:
        [room] = channels.sync_plugin_channels(lead)
        db.session.commit()
        assert room.kind == "plugin" and set(channels.member_ids(room.id)) == {lead.id, member.id}
        alice, bob, eve = connect(lead), connect(member), connect(outsider)
        assert eve.emit("join", {"channel_id": room.id}, namespace=NS, callback=True)["error"] == "Not found."
        alice.emit("send", {"channel_id": room.id, "body": "group hello"}, namespace=NS)
        assert [m["body"] for m in events(bob, "new_message")] == ["group hello"]

        sample_chat_plugin.GROUPS[7] = {lead.id}  # the member leaves the group
        channels.sync_scope("sample_group", 7)
        db.session.commit()
        assert events(bob, "channel_removed") == [{"channel_id": room.id}]
        alice.emit("send", {"channel_id": room.id, "body": "after"}, namespace=NS)
        assert events(bob, "new_message") == []
    finally:
        sample_chat_plugin.GROUPS.clear()


@pytest.mark.app_config(PLUGINS=["tests.chat.sample_chat_plugin"])
def test_a_plugin_room_rechecks_the_group_on_join(connect, db):
    lead, member = make_user(), make_user()
    db.session.commit()
    sample_chat_plugin.GROUPS.clear()
    sample_chat_plugin.GROUPS[8] = {lead.id, member.id}
    try:
        [room] = channels.sync_plugin_channels(lead)
        db.session.commit()
        sample_chat_plugin.GROUPS[8] = {lead.id}  # no sync call: the plug-in forgot
        bob = connect(member)
        assert bob.emit("join", {"channel_id": room.id}, namespace=NS, callback=True)["error"] == "Not found."
    finally:
        sample_chat_plugin.GROUPS.clear()
