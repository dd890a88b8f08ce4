"""Connections over HTTP: the buttons, /connections and its JSON, a member's list
and who may see it, notifications, and bad input that writes nothing."""

from __future__ import annotations

import pytest
from markupsafe import escape

from app.extensions import db
from app.network import connections
from app.network.models import Connection
from tests.factories import make_user
from tests.network.conftest import connection_rows, count, hide_member, notifications_for


def connect(a, b):
    connections.request_connection(a, b)
    connections.accept_request(b, a)
    db.session.commit()


def test_connect_button_sends_a_request_and_returns_to_the_profile(client, sign_in, alice, bob):
    sign_in(alice)
    response = client.post("/u/bob/connect", data={"message": "Hello Bob", "next": "/u/bob"})
    assert response.status_code == 302 and response.headers["Location"] == "/u/bob"
    [row] = connection_rows()
    assert (row.requester_id, row.message) == (alice.id, "Hello Bob")
    page = client.get("/u/bob").get_data(as_text=True)
    assert "Connection request sent to Bob Baker." in page
    assert "Pending" in page and "Cancel request" in page


def test_next_must_be_a_local_path(client, sign_in, alice, bob):
    sign_in(alice)
    response = client.post("/u/bob/follow", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/u/bob"


def test_incoming_request_can_be_accepted_from_the_connections_page(client, sign_in, alice, bob):
    connections.request_connection(alice, bob, "Let us work together")
    db.session.commit()
    sign_in(bob)
    page = client.get("/connections").get_data(as_text=True)
    assert "Requests for you (1)" in page and "Let us work together" in page
    assert 'action="/u/alice/accept"' in page and 'action="/u/alice/decline"' in page
    response = client.post("/u/alice/accept", data={"next": "/connections"})
    assert response.headers["Location"] == "/connections"
    page = client.get("/connections").get_data(as_text=True)
    assert "You are connected with Alice Archer." in page
    assert "Connections (1)" in page and 'href="/u/alice"' in page
    assert connection_rows()[0].status == "accepted"


def test_decline_and_cancel_buttons(client, sign_in, alice, bob, carol):
    connections.request_connection(alice, bob)
    connections.request_connection(alice, carol)
    db.session.commit()
    sign_in(bob)
    assert client.post("/u/alice/decline").status_code == 302
    sign_in(alice)
    page = client.get("/connections").get_data(as_text=True)
    assert "Requests you sent (2)" in page  # the decline is not revealed
    assert client.post("/u/carol/disconnect", data={"next": "/connections"}).status_code == 302
    assert "Request cancelled." in client.get("/connections").get_data(as_text=True)
    assert [row.addressee_id for row in connection_rows()] == [bob.id]


def test_remove_button_ends_a_connection(client, sign_in, alice, bob):
    connect(alice, bob)
    sign_in(bob)
    client.post("/u/alice/disconnect")
    assert count(Connection) == 0
    assert "no longer connected" in client.get("/u/alice").get_data(as_text=True)


def test_notifications_are_listed_and_lead_to_the_request(client, sign_in, alice, bob):
    sign_in(alice)
    client.post("/u/bob/connect", data={"message": ""})
    sign_in(bob)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Alice Archer asked to connect with you." in page
    [note] = notifications_for(bob)
    response = client.get(f"/notifications/{note.id}")
    assert response.headers["Location"] == "/connections"
    client.post("/u/alice/accept")
    sign_in(alice)
    assert "Bob Baker accepted your connection request." in client.get("/notifications/").get_data(
        as_text=True
    )


def test_connections_json(client, sign_in, alice, bob, carol, moderator):
    connect(alice, bob)
    connections.request_connection(carol, alice, "hi")
    connections.request_connection(alice, moderator)
    connections.decline_request(moderator, alice)
    db.session.commit()
    sign_in(alice)
    data = client.get("/connections.json").get_json()
    assert [p["username"] for p in data["connections"]] == ["bob"]
    assert data["connections"][0]["url"] == "/u/bob"
    assert [(p["username"], p["message"]) for p in data["incoming"]] == [("carol", "hi")]
    assert data["outgoing"] == [
        {
            "username": "mod",
            "display_name": "Mo Derator",
            "url": "/u/mod",
            "organization": None,
            "status": "pending",
        }
    ]


def test_connections_json_needs_a_signed_in_member(client):
    response = client.get("/connections.json")
    assert response.status_code == 401
    assert "error" in response.get_json()


def test_pages_need_a_signed_in_member(client, alice):
    for url in ("/connections", "/following", "/u/alice/connections"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in ("/u/alice/connect", "/u/alice/accept", "/u/alice/follow", "/u/alice/message"):
        assert client.post(url).status_code == 302, url
    assert count(Connection) == 0


def test_a_members_connections_are_visible_to_members(client, sign_in, alice, bob, carol):
    connect(alice, bob)
    sign_in(carol)
    response = client.get("/u/alice/connections")
    assert response.status_code == 200
    assert 'href="/u/bob"' in response.get_data(as_text=True)


def test_a_hidden_members_list_is_only_for_them_and_staff(client, sign_in, alice, bob, carol, moderator):
    connect(alice, bob)
    hide_member(alice)
    sign_in(carol)
    assert client.get("/u/alice/connections").status_code == 404
    assert "/u/alice/connections" not in client.get("/u/alice").get_data(as_text=True)
    for viewer in (alice, moderator):
        sign_in(viewer)
        response = client.get("/u/alice/connections")
        assert response.status_code == 200 and 'href="/u/bob"' in response.get_data(as_text=True)


def test_hidden_members_are_left_out_of_other_peoples_lists(client, sign_in, alice, bob, carol, moderator):
    connect(alice, bob)
    connect(alice, carol)
    hide_member(bob)
    sign_in(carol)
    page = client.get("/u/alice/connections").get_data(as_text=True)
    assert 'href="/u/bob"' not in page and "Bob Baker" not in page
    assert 'href="/u/carol"' in page  # the viewer still finds themselves
    assert ">2 connections<" not in client.get("/u/alice").get_data(as_text=True)
    sign_in(moderator)
    assert 'href="/u/bob"' in client.get("/u/alice/connections").get_data(as_text=True)
    sign_in(alice)  # your own list holds everyone you are connected with
    assert [p["username"] for p in client.get("/connections.json").get_json()["connections"]] == [
        "bob",
        "carol",
    ]


def test_unknown_member_is_404_everywhere(client, sign_in, alice):
    sign_in(alice)
    assert client.get("/u/nobody/connections").status_code == 404
    for action in ("connect", "accept", "decline", "disconnect", "follow", "unfollow", "message"):
        assert client.post(f"/u/nobody/{action}").status_code == 404, action
    assert client.post("/u/%00/connect").status_code == 404


def test_acting_on_a_request_that_is_not_yours_is_404(client, sign_in, alice, bob, carol):
    connections.request_connection(alice, bob)
    db.session.commit()
    sign_in(carol)
    assert client.post("/u/alice/accept").status_code == 404
    assert client.post("/u/alice/decline").status_code == 404
    sign_in(alice)
    assert client.post("/u/bob/accept").status_code == 404
    assert connection_rows()[0].status == "pending"


def test_refusals_show_a_clear_error_and_write_nothing(client, sign_in, alice, suspended, unconfirmed):
    sign_in(alice)
    response = client.post("/u/alice/connect")
    assert response.status_code == 400 and b"cannot connect with yourself" in response.data
    assert client.post("/u/benched/connect").status_code == 400
    assert client.post("/u/newbie/connect").status_code == 400
    response = client.post("/u/benched/connect", data={"message": "x" * 301})
    assert response.status_code == 400 and b"under 300 characters" in response.data
    sign_in(unconfirmed)
    response = client.post("/u/alice/connect")
    assert response.status_code == 403 and b"Confirm your email address" in response.data
    assert count(Connection) == 0


def test_double_clicks_are_harmless(client, sign_in, alice, bob):
    sign_in(alice)
    client.post("/u/bob/connect")
    client.post("/u/bob/connect")
    sign_in(bob)
    assert client.post("/u/alice/accept").status_code == 302
    assert client.post("/u/alice/accept").status_code == 302
    assert client.post("/u/alice/disconnect").status_code == 302
    assert client.post("/u/alice/disconnect").status_code == 302
    assert count(Connection) == 0
    assert len(notifications_for(bob)) == 1


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_buttons_need_the_csrf_token(client, sign_in, alice, bob):
    sign_in(alice)
    assert client.post("/u/bob/connect").status_code == 400
    assert client.post("/u/bob/follow").status_code == 400
    assert count(Connection) == 0


def test_hostile_names_and_notes_are_escaped(client, sign_in, bob):
    evil = make_user(username="evil", display_name='<img src=x onerror="alert(1)">')
    db.session.commit()
    note = "<script>alert('note')</script>"
    connections.request_connection(evil, bob, note)
    db.session.commit()
    sign_in(bob)
    for url in ("/connections", "/u/evil", "/notifications/"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert str(escape(evil.display_name)) in page, url
    assert str(escape(note)) in client.get("/connections").get_data(as_text=True)
    assert client.get("/connections.json").get_json()["incoming"][0]["message"] == note


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_profile_buttons_carry_the_csrf_token(client, sign_in, alice, bob):
    import re

    sign_in(alice)
    html = client.get("/u/bob").get_data(as_text=True)
    follow_form = html.split('action="/u/bob/follow"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', follow_form).group(1)
    assert client.post("/u/bob/follow", data={"csrf_token": token}).status_code == 302
    connect_form = html.split('action="/u/bob/connect"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', connect_form).group(1)
    assert client.post("/u/bob/connect", data={"csrf_token": token, "message": "hi"}).status_code == 302
    assert count(Connection) == 1


def test_header_shows_the_network_with_waiting_requests(client, sign_in, alice, bob):
    assert 'href="/connections"' not in client.get("/u/alice").get_data(as_text=True)
    sign_in(bob)
    assert '<a href="/connections">Network</a>' in client.get("/u/alice").get_data(as_text=True)
    connections.request_connection(alice, bob)
    db.session.commit()
    assert '<a href="/connections">Network (1)</a>' in client.get("/u/alice").get_data(as_text=True)
