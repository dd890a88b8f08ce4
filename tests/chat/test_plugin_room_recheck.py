"""A plug-in room re-asks its plug-in before every live event.

A plug-in's membership can end without chat hearing of it (a council term lapsing at
midnight). Whoever the plug-in no longer admits must stop receiving the room at its
next event: no message, edit, delete or typing event reaches them, they are told
(``channel_removed``), and they cannot open the room again. The sample plug-in
(``tests/chat/sample_chat_plugin.py``) is enabled by the test itself, so this holds
under ``PLUGINS=`` too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.chat import channels, live, messages, reads
from app.chat.presence import state
from app.extensions import socketio
from tests.chat import sample_chat_plugin
from tests.chat.conftest import NS, events, signed_in_http
from tests.factories import make_user

pytestmark = pytest.mark.app_config(PLUGINS=["tests.chat.sample_chat_plugin"])

GROUP = 41


@pytest.fixture
def group(db) -> Iterator[dict]:
    """A lead, a member and an outsider; the sample group holds the first two and
    has its chat room."""
    lead, member, outsider = make_user(), make_user(), make_user()
    db.session.commit()
    sample_chat_plugin.GROUPS.clear()
    sample_chat_plugin.GROUPS[GROUP] = {lead.id, member.id}
    try:
        [room] = channels.sync_plugin_channels(lead)
        db.session.commit()
        yield {"lead": lead, "member": member, "outsider": outsider, "room": room.id}
    finally:
        sample_chat_plugin.GROUPS.clear()


def _drop(user) -> None:
    """The plug-in stops admitting ``user`` and, like a lapsed term, tells chat nothing."""
    sample_chat_plugin.GROUPS[GROUP].discard(user.id)


def _ack(client, event: str, data: dict) -> dict:
    return client.emit(event, data, namespace=NS, callback=True)


def _names(client) -> list[str]:
    return [event["name"] for event in client.get_received(NS)]


def test_a_member_the_plugin_dropped_gets_no_further_message_and_is_told(connect, group):
    room = group["room"]
    alice, bob = connect(group["lead"]), connect(group["member"])
    assert _ack(bob, "join", {"channel_id": room})["channel_id"] == room
    _ack(alice, "send", {"channel_id": room, "body": "before"})
    assert [m["body"] for m in events(bob, "new_message")] == ["before"]

    _drop(group["member"])
    assert _ack(alice, "send", {"channel_id": room, "body": "after"})["ok"]

    assert bob.get_received(NS) == [
        {"name": "channel_removed", "args": [{"channel_id": room}], "namespace": NS}
    ]
    assert [m["body"] for m in events(alice, "new_message")] == ["before", "after"]


def test_the_removed_event_names_the_room_once(connect, group):
    room = group["room"]
    alice, bob = connect(group["lead"]), connect(group["member"])
    events(bob)
    _drop(group["member"])
    _ack(alice, "send", {"channel_id": room, "body": "after"})
    _ack(alice, "send", {"channel_id": room, "body": "and again"})
    assert events(bob, "channel_removed") == [{"channel_id": room}]


def test_a_dropped_member_cannot_open_the_room_again(connect, group):
    room = group["room"]
    alice, bob = connect(group["lead"]), connect(group["member"])
    first = _ack(alice, "send", {"channel_id": room, "body": "seen"})["message"]
    _drop(group["member"])
    _ack(alice, "send", {"channel_id": room, "body": "unseen"})
    events(bob)
    answer = _ack(bob, "join", {"channel_id": room, "last_seen_id": first["id"]})
    assert answer["error"] == "Not found." and "unseen" not in str(answer)
    [error] = events(bob, "error")
    assert error["event"] == "join"
    for event in ("history", "presence", "typing"):
        assert _ack(bob, event, {"channel_id": room})["error"] == "Not found."
    assert "unseen" not in str(events(bob))


def test_edits_deletes_and_typing_stop_reaching_a_dropped_member(connect, group):
    room = group["room"]
    alice, bob = connect(group["lead"]), connect(group["member"])
    sent = [_ack(alice, "send", {"channel_id": room, "body": f"m{i}"})["message"] for i in range(2)]
    events(bob)
    _drop(group["member"])

    assert _ack(alice, "edit", {"message_id": sent[0]["id"], "body": "m0 edited"})["ok"]
    assert _ack(alice, "delete", {"message_id": sent[1]["id"]})["ok"]
    assert _ack(alice, "typing", {"channel_id": room})["ok"]

    assert _names(bob) == ["channel_removed"]


def test_members_still_admitted_get_every_event_and_typing_skips_its_sender(connect, db, group):
    room = group["room"]
    third = make_user()
    db.session.commit()
    sample_chat_plugin.GROUPS[GROUP].add(third.id)
    alice, bob = connect(group["lead"]), connect(group["member"])
    carol = connect(third)  # admitted by the plug-in, not yet in the room: added by the next event
    events(alice), events(bob), events(carol)

    message = _ack(alice, "send", {"channel_id": room, "body": "hello"})["message"]
    _ack(alice, "edit", {"message_id": message["id"], "body": "hello all"})
    _ack(bob, "typing", {"channel_id": room})
    _ack(alice, "delete", {"message_id": message["id"]})

    expected = ["new_message", "message_updated", "typing", "message_updated"]
    assert [n for n in _names(alice) if n != "presence"] == expected
    assert [n for n in _names(bob) if n != "presence"] == [
        "new_message",
        "message_updated",
        "message_updated",
    ]
    assert [n for n in _names(carol) if n != "presence"] == ["channel_added", *expected]


def test_a_socket_left_in_the_rooms_socketio_room_still_gets_nothing(connect, group):
    """A ``leave_room`` that never arrived (another process, a Redis outage) leaks
    nothing: a plug-in room's events go to its admitted members' own rooms."""
    room = group["room"]
    alice, eve = connect(group["lead"]), connect(group["outsider"])
    [eve_sid] = state().registry.sids(group["outsider"].id)
    socketio.server.enter_room(eve_sid, live.channel_room(room), namespace=NS)
    events(eve)
    message = _ack(alice, "send", {"channel_id": room, "body": "members only"})["message"]
    _ack(alice, "typing", {"channel_id": room})
    _ack(alice, "edit", {"message_id": message["id"], "body": "still members only"})
    assert eve.get_received(NS) == []


def test_a_room_the_plugin_admits_nobody_to_sends_nothing_to_anyone(app, connect, db, group):
    """An empty list of rooms means "everyone" to python-socketio: never emitted."""
    room = channels.get_channel(group["lead"], group["room"])
    eve = connect(group["outsider"])
    events(eve)
    sample_chat_plugin.GROUPS[GROUP] = set()
    messages.announce(None, room, "nobody hears this")
    db.session.commit()
    assert eve.get_received(NS) == []
    assert channels.member_ids(room.id) == []


def test_a_dropped_member_has_no_unread_count_or_history_for_what_followed(app, connect, group):
    room = group["room"]
    alice = connect(group["lead"])
    _ack(alice, "send", {"channel_id": room, "body": "seen by both"})
    _drop(group["member"])
    _ack(alice, "send", {"channel_id": room, "body": "after the drop"})
    assert room not in reads.unread_counts(group["member"])
    http = signed_in_http(app, group["member"])
    answer = http.get(f"/chat/api/channels/{room}/messages")
    assert answer.status_code == 404 and "after the drop" not in answer.get_data(as_text=True)


def test_a_core_room_never_asks_the_plugins(connect, db, group, monkeypatch):
    """Core rooms pay nothing for the re-check: no hook call, no member query per event."""
    owner, member = group["lead"], group["member"]
    core = channels.create_channel(owner, "Core room", kind="private")
    channels.invite_member(owner, core, member)
    db.session.commit()
    alice, bob = connect(owner), connect(member)
    events(bob)

    def forbidden(*args, **kwargs):
        raise AssertionError("a core room's event asked the plug-ins")

    monkeypatch.setattr(channels, "_scope_members", forbidden)
    monkeypatch.setattr(channels, "member_ids", forbidden)
    message = _ack(alice, "send", {"channel_id": core.id, "body": "core"})["message"]
    _ack(alice, "edit", {"message_id": message["id"], "body": "core edited"})
    _ack(alice, "typing", {"channel_id": core.id})
    names = [e["name"] for e in bob.get_received(NS)]
    assert names == ["new_message", "message_updated", "typing"]


def test_a_dropped_member_who_connects_does_not_join_the_room(connect, group):
    """Nothing was sent since the plug-in dropped them: the connect itself re-asks it, so
    their socket hears nothing of the room, not even who comes online there."""
    room = group["room"]
    _drop(group["member"])
    bob = connect(group["member"])
    assert group["member"].id not in channels.member_ids(room)
    events(bob)
    connect(group["lead"])
    assert [e for e in events(bob) if isinstance(e, dict) and e.get("channel_id") == room] == []


def test_a_dropped_member_no_longer_finds_the_room_in_their_list(app, group):
    _drop(group["member"])
    http = signed_in_http(app, group["member"])
    listed = http.get("/chat/api/channels").get_json()
    assert group["room"] not in [channel["id"] for channel in listed["channels"]]
    assert group["member"].id not in channels.member_ids(group["room"])


def test_a_plugin_that_fails_on_connect_refuses_that_connection_only(connect, group, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("plug-in down")

    monkeypatch.setattr(channels, "_scope_members", broken)
    bob = connect(group["member"])
    assert not bob.is_connected(NS)
    assert state().registry.sids(group["member"].id) == []
    eve = connect(group["outsider"])  # no plug-in room: unaffected
    assert eve.is_connected(NS)
