"""Live forum pages over Socket.IO (app/core/live.py): a topic's new replies and the
header's notification count, each reaching only those allowed to see it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from app.core.live import NAMESPACE
from app.extensions import socketio
from app.forums import services
from app.notifications import services as notifications
from tests.factories import make_topic, make_user


@pytest.fixture
def live(app: Flask, client, login_as) -> Iterator[Callable[..., SocketIOTestClient]]:
    """``live(user)``: a Socket.IO client on ``/live`` with ``user``'s session cookie
    (``None``: a visitor's). Each socket keeps the cookie it connected with, so the
    one test client can sign in as each user in turn."""
    opened: list[SocketIOTestClient] = []

    def connect(user=None) -> SocketIOTestClient:
        login_as(user)
        socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)
        opened.append(socket)
        return socket

    yield connect
    for socket in opened:
        if socket.is_connected(NAMESPACE):
            socket.disconnect(NAMESPACE)


def received(client: SocketIOTestClient, name: str) -> list:
    return [event["args"][0] for event in client.get_received(NAMESPACE) if event["name"] == name]


def test_a_visitor_cannot_open_a_live_connection(db, live):
    assert not live(None).is_connected(NAMESPACE)


def test_a_reply_by_another_member_reaches_the_topic_watcher(db, live, member, other, category):
    topic = services.create_topic(member, category, "Live topic", "Opening post")
    db.session.commit()
    watcher = live(member)
    assert watcher.emit("watch", {"kind": "topic", "id": topic.id}, namespace=NAMESPACE, callback=True) == {
        "ok": True,
        "kind": "topic",
        "id": topic.id,
    }
    watcher.get_received(NAMESPACE)
    post = services.create_reply(other, topic, "A live reply")
    db.session.commit()
    assert received(watcher, "topic_reply") == [
        {"topic_id": topic.id, "post_id": post.id, "post_number": 2, "author_id": other.id}
    ]


def test_a_reply_is_announced_only_after_its_commit(db, live, member, other, category):
    topic = services.create_topic(member, category, "Rolled back", "Opening post")
    db.session.commit()
    watcher = live(member)
    watcher.emit("watch", {"kind": "topic", "id": topic.id}, namespace=NAMESPACE, callback=True)
    watcher.get_received(NAMESPACE)
    services.create_reply(other, topic, "Never stored")
    db.session.rollback()
    assert received(watcher, "topic_reply") == []


def test_joining_a_private_topics_room_is_refused_with_an_error_event(db, live, member, mentors_only):
    mentor = make_user(role="mentor")
    secret = make_topic(author=mentor, category=mentors_only)
    db.session.commit()
    snooper = live(member)
    answer = snooper.emit("watch", {"kind": "topic", "id": secret.id}, namespace=NAMESPACE, callback=True)
    assert answer["error"]
    errors = received(snooper, "error")
    assert errors and errors[0]["event"] == "watch"
    services.create_reply(mentor, secret, "Mentors only")
    db.session.commit()
    assert received(snooper, "topic_reply") == []


@pytest.mark.parametrize(
    "payload",
    [{"kind": "topic", "id": 999_999}, {"kind": "planet", "id": 1}, {"kind": "topic", "id": "1"}, ["x"]],
)
def test_bad_or_unknown_rooms_are_refused_with_an_error_event(db, live, member, payload):
    client = live(member)
    answer = client.emit("watch", payload, namespace=NAMESPACE, callback=True)
    assert answer["error"]
    assert received(client, "error")[0]["event"] == "watch"


def test_a_notification_count_update_reaches_only_its_user(db, live, member, other, category):
    third = make_user()
    topic = services.create_topic(member, category, "Watched topic", "Opening post")
    db.session.commit()
    author, bystander = live(member), live(third)
    author.get_received(NAMESPACE)
    bystander.get_received(NAMESPACE)
    services.create_reply(other, topic, "Replying to you")  # member watches their topic
    db.session.commit()
    assert received(author, "notification_count") == [{"unread": notifications.unread_count(member)}]
    assert notifications.unread_count(member) == 1
    assert received(bystander, "notification_count") == []


def test_reading_notifications_updates_the_count_live(db, live, member, other, category):
    topic = services.create_topic(member, category, "Read me", "Opening post")
    services.create_reply(other, topic, "Something new")
    db.session.commit()
    socket = live(member)
    socket.get_received(NAMESPACE)
    notifications.mark_all_read(member)
    db.session.commit()
    assert received(socket, "notification_count") == [{"unread": 0}]


def test_the_topic_page_offers_the_live_hooks_to_members_only(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert 'id="live-topic"' not in page
    assert "js/live.js" not in page
    sign_in(member)
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert f'data-topic-id="{topic.id}"' in page
    assert "js/live.js" in page


def test_signing_out_stops_the_members_count_updates(db, client, live, member, other, category):
    topic = services.create_topic(member, category, "Signed out", "Opening post")
    db.session.commit()
    socket = live(member)  # the test client now carries member's session
    socket.get_received(NAMESPACE)
    assert client.post("/logout").status_code == 302
    services.create_reply(other, topic, "After sign-out")
    db.session.commit()
    assert notifications.unread_count(member) == 1
    assert received(socket, "notification_count") == []
