"""The profile's "Message" button opens (or reuses) a direct message in chat."""

from __future__ import annotations

import sqlalchemy as sa

from app.chat.models import ChatChannel, ChatMembership
from app.extensions import db
from tests.network.conftest import count


def dm_channels() -> list[ChatChannel]:
    return list(db.session.scalars(sa.select(ChatChannel).where(ChatChannel.kind == "dm")))


def test_message_opens_a_direct_message_and_goes_to_chat(client, sign_in, alice, bob):
    sign_in(alice)
    response = client.post("/u/bob/message")
    [channel] = dm_channels()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/chat/?channel={channel.id}"
    members = set(
        db.session.scalars(sa.select(ChatMembership.user_id).where(ChatMembership.channel_id == channel.id))
    )
    assert members == {alice.id, bob.id}


def test_message_reuses_the_same_direct_message_from_either_side(client, sign_in, alice, bob):
    sign_in(alice)
    first = client.post("/u/bob/message").headers["Location"]
    second = client.post("/u/bob/message").headers["Location"]
    sign_in(bob)
    third = client.post("/u/alice/message").headers["Location"]
    assert first == second == third
    assert len(dm_channels()) == 1


def test_message_button_is_on_other_members_profiles_only(client, sign_in, alice, bob, suspended):
    sign_in(alice)
    assert 'action="/u/bob/message"' in client.get("/u/bob").get_data(as_text=True)
    assert "/message" not in client.get("/u/alice").get_data(as_text=True)
    assert "/message" not in client.get("/u/benched").get_data(as_text=True)
    sign_in(None)
    assert "/message" not in client.get("/u/bob").get_data(as_text=True)


def test_message_refusals_write_nothing(client, sign_in, alice, bob, suspended, unconfirmed):
    assert client.post("/u/bob/message").status_code == 302  # anonymous: sign in first
    sign_in(alice)
    assert client.post("/u/alice/message").status_code == 400
    assert client.post("/u/benched/message").status_code == 400
    assert client.post("/u/newbie/message").status_code == 400
    sign_in(unconfirmed)
    assert client.post("/u/bob/message").status_code == 403
    assert count(ChatChannel) == 0
