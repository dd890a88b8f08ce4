"""The HTTP side: the chat page, history with a ``before`` cursor, channels, DMs and
members, and the CLI announcement."""

from __future__ import annotations

import sqlalchemy as sa

from app.chat import channels, messages
from app.chat.models import ChatChannel, ChatMessage
from tests.chat.conftest import make_channel


def _with_messages(db, owner, member, count):
    channel = make_channel("private", members=(member,), owner=owner)
    sent = [messages.post_message(owner, channel, f"message {i}")[0].id for i in range(count)]
    db.session.commit()
    return channel, sent


def test_anonymous_visitors_get_401_from_the_api_and_a_login_redirect_from_the_page(client):
    assert client.get("/chat/api/channels").status_code == 401
    assert client.get("/chat/").status_code == 302


def test_the_chat_page_loads_the_vendored_client_without_inline_script(client, login_as, people):
    login_as(people[0])
    html = client.get("/chat/").get_data(as_text=True)
    assert "/static/vendor/socket.io/socket.io.min.js" in html and "/static/js/chat.js" in html
    assert "<script>" not in html and " style=" not in html and " onclick" not in html


def test_history_pages_backwards_with_the_before_cursor(client, login_as, people, db):
    owner, member, *_ = people
    channel, sent = _with_messages(db, owner, member, 7)
    login_as(member)
    newest = client.get(f"/chat/api/channels/{channel.id}/messages?limit=3").get_json()
    assert [m["id"] for m in newest["messages"]] == sent[4:]
    assert newest["has_more"]
    older = client.get(f"/chat/api/channels/{channel.id}/messages?limit=3&before={sent[4]}").get_json()
    assert [m["id"] for m in older["messages"]] == sent[1:4]
    oldest = client.get(f"/chat/api/channels/{channel.id}/messages?limit=3&before={sent[1]}").get_json()
    assert [m["id"] for m in oldest["messages"]] == sent[:1] and not oldest["has_more"]
    assert client.get(f"/chat/api/channels/{channel.id}/messages?before=abc").status_code == 400


def test_private_rooms_and_dms_answer_404_to_outsiders(client, login_as, people, db):
    owner, member, outsider, _ = people
    channel, _ = _with_messages(db, owner, member, 1)
    dm = channels.open_dm(owner, [member])
    db.session.commit()
    login_as(outsider)
    for target in (channel, dm):
        assert client.get(f"/chat/api/channels/{target.id}/messages").status_code == 404
        assert client.get(f"/chat/api/channels/{target.id}").status_code == 404
    assert client.get("/chat/api/channels/999999/messages").status_code == 404
    listed = {c["id"] for c in client.get("/chat/api/channels").get_json()["channels"]}
    assert channel.id not in listed and dm.id not in listed


def test_creating_a_channel_and_a_dm(client, login_as, people, db):
    owner, member, *_ = people
    login_as(owner)
    created = client.post("/chat/api/channels", json={"name": "Partner news", "kind": "private"})
    assert created.status_code == 201 and created.get_json()["kind"] == "private"
    assert client.post("/chat/api/channels", json={"name": "Partner news"}).status_code == 409
    assert client.post("/chat/api/channels", json={"name": ""}).status_code == 400
    assert client.post("/chat/api/channels", json=["not", "an", "object"]).status_code == 400
    dm = client.post("/chat/api/dms", json={"usernames": [member.username]})
    assert dm.status_code == 201 and dm.get_json()["name"] == member.display_name
    assert client.post("/chat/api/dms", json={"usernames": ["nobody-here"]}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ChatChannel.id))) == 2


def test_only_the_owner_invites_and_removes(client, login_as, people, db):
    owner, member, outsider, _ = people
    channel = make_channel("private", members=(member,), owner=owner)
    db.session.commit()
    login_as(member)
    assert (
        client.post(
            f"/chat/api/channels/{channel.id}/members", json={"username": outsider.username}
        ).status_code
        == 403
    )
    login_as(owner)
    assert (
        client.post(
            f"/chat/api/channels/{channel.id}/members", json={"username": outsider.username}
        ).status_code
        == 201
    )
    assert channel.has_member(outsider.id)
    assert client.post(f"/chat/api/channels/{channel.id}/members/{outsider.id}/remove").status_code == 200
    assert not channel.has_member(outsider.id)


def test_cli_announce_stores_a_system_message(runner, people, db):
    channel = make_channel("public", owner=people[0], name="General")
    db.session.commit()
    result = runner.invoke(args=["chat", "announce", "general", "Maintenance at **noon**"])
    assert result.exit_code == 0, result.output
    message = db.session.scalar(sa.select(ChatMessage).where(ChatMessage.channel_id == channel.id))
    assert message.author_id is None and "<strong>noon</strong>" in message.body_html
    assert runner.invoke(args=["chat", "announce", "nope", "x"]).exit_code != 0
