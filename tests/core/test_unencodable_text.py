"""Text UTF-8 cannot encode (a lone surrogate from a JSON ``\\ud800`` escape, or the raw
bytes ``ED A0 80``) is refused with a 400 before any view or service sees it; before,
it reached the database driver and the request answered 500."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import ImmutableMultiDict

from app.chat.models import ChatChannel, ChatMessage
from app.core.errors import Invalid
from app.core.textcheck import check_text, unencodable_field
from app.extensions import db, socketio
from app.forums.models import Post
from app.web_inputs import check_request_text
from tests.chat.conftest import NS, make_channel, signed_in_http
from tests.factories import make_topic, make_user

SURROGATE_JSON = '{"name": "sur\\ud800rogate"}'
JSON = {"Content-Type": "application/json"}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.fixture
def member(db):
    user = make_user(username="sam", display_name="Sam")
    db.session.commit()
    return user


# --- the check ---------------------------------------------------------------------------


def test_the_check_finds_a_lone_surrogate_at_any_depth_and_names_the_top_level_field():
    assert unencodable_field({"name": "ok", "items": [{"body": ["fine", "sur\ud800"]}]}) == "items"
    assert unencodable_field(["\udfff"]) == ""
    assert unencodable_field({"sur\ud800": "key"}) == ""
    assert unencodable_field({"name": "Ünïcödé ✓ 😀", "n": 3, "x": None, "t": True}) is None


def test_the_check_walks_deep_structures_without_recursing():
    deep: list = ["\ud800"]
    for _ in range(100_000):
        deep = [deep]
    assert unencodable_field({"deep": deep}) == "deep"


def test_check_text_raises_invalid_with_the_field():
    with pytest.raises(Invalid) as caught:
        check_text({"name": "sur\ud800rogate"})
    assert caught.value.field == "name" and "cannot be stored" in caught.value.message


# --- HTTP: JSON endpoints ---------------------------------------------------------------


def test_creating_a_chat_channel_with_a_lone_surrogate_is_a_json_400(client, login_as, member):
    login_as(member)
    response = client.post("/chat/api/channels", data=SURROGATE_JSON, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["field"] == "name"
    assert "cannot be stored" in response.get_json()["error"]
    assert count(ChatChannel) == 0


def test_raw_surrogate_bytes_in_a_json_body_are_a_json_400(client, login_as, member):
    login_as(member)
    response = client.post("/chat/api/channels", data=b'{"name": "sur\xed\xa0\x80rogate"}', headers=JSON)
    assert response.status_code == 400 and response.get_json()["field"] == "name"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/chat/api/dms", '{"usernames": ["bob\\ud800"]}'),
        ("post", "/chat/api/channels/{channel}/members", '{"username": "\\udc00"}'),
        ("post", "/chat/api/channels/{channel}/read", '{"message_id": 1, "note": "\\ud800"}'),
        ("post", "/editor/preview", '{"body": "a preview \\ud83d"}'),
        ("put", "/drafts?new=topic", '{"body": "a draft \\ud800", "title": "Draft"}'),
        ("post", "/t/{topic}/reply", '{"body": "a reply \\ud800"}'),
    ],
)
def test_json_endpoints_refuse_a_lone_surrogate_with_a_json_400(client, login_as, member, method, path, body):
    channel = make_channel(owner=member, name="Surrogates")
    topic = make_topic(author=member)
    db.session.commit()
    login_as(member)
    url = path.format(channel=channel.id, topic=topic.id)
    response = getattr(client, method)(url, data=body, headers={**JSON, "Accept": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert "cannot be stored" in response.get_json()["error"]


def test_json_nested_deeper_than_the_decoder_recurses_is_a_json_400(client, login_as, member):
    login_as(member)
    body = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/chat/api/channels", data=body, headers=JSON)
    assert response.status_code == 400 and "nested too deeply" in response.get_json()["error"]


def test_ordinary_unicode_in_json_is_stored(client, login_as, member):
    login_as(member)
    response = client.post("/chat/api/channels", data=json.dumps({"name": "Café ✓ 😀"}), headers=JSON)
    assert response.status_code == 201 and response.get_json()["name"] == "Café ✓ 😀"


# --- HTTP: forms ---------------------------------------------------------------------


def test_invalid_utf8_in_a_form_is_never_a_500(client, login_as, member):
    """Werkzeug keeps an undecodable percent-escape as its literal text, so the reply
    stores that text; the hook checks form values anyway, in case a decoder ever hands
    it a surrogate."""
    topic = make_topic(author=member)
    db.session.commit()
    login_as(member)
    response = client.post(
        f"/t/{topic.id}/reply",
        data="body=bad+%ED%A0%80+bytes+%FF",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (302, 400)
    bodies = list(db.session.scalars(sa.select(Post.body)))
    assert all(body.encode("utf-8") for body in bodies)


def test_the_hook_refuses_a_form_value_holding_a_surrogate(app, member):
    """The hook's form check, with a form that holds a surrogate however it was decoded."""
    with app.test_request_context("/t/1/reply", method="POST", data={"body": "fine"}) as context:
        context.request.form = ImmutableMultiDict({"body": "sur\ud800"})
        with pytest.raises(Invalid) as caught:
            check_request_text()
    assert caught.value.field == "body"


# --- Socket.IO ---------------------------------------------------------------------------


def test_a_chat_event_carrying_a_lone_surrogate_gets_an_error_event(app, member):
    channel = make_channel(owner=member, name="Socket room")
    db.session.commit()
    client = socketio.test_client(app, namespace=NS, flask_test_client=signed_in_http(app, member))
    try:
        data = {"channel_id": channel.id, "body": "hello \ud800", "client_id": "c1"}
        ack = client.emit("send", data, namespace=NS, callback=True)
        assert ack["field"] == "body" and "cannot be stored" in ack["error"]
        errors = [e["args"][0] for e in client.get_received(NS) if e["name"] == "error"]
        assert errors and errors[-1]["event"] == "send" and errors[-1]["field"] == "body"
        assert client.is_connected(NS)
    finally:
        client.disconnect(NS)
    assert count(ChatMessage) == 0
