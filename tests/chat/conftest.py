"""Chat test helpers: Socket.IO test clients signed in as a given user, and rooms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_socketio import SocketIOTestClient

from app.chat.models import ChatChannel, ChatMembership
from app.extensions import db, socketio
from tests.factories import browser_session_id, make_user

NS = "/chat"


def signed_in_http(app: Flask, user):
    http = app.test_client()
    with http.session_transaction() as session:
        session["_user_id"] = browser_session_id(user)
        session["_fresh"] = True
    return http


@pytest.fixture
def connect(app: Flask) -> Iterator[Callable[..., SocketIOTestClient]]:
    """``connect(user)``: a Socket.IO client on ``/chat`` with ``user``'s session cookie."""
    opened: list[SocketIOTestClient] = []

    def _connect(user=None, headers: dict | None = None) -> SocketIOTestClient:
        http = signed_in_http(app, user) if user is not None else app.test_client()
        client = socketio.test_client(app, namespace=NS, flask_test_client=http, headers=headers)
        opened.append(client)
        return client

    yield _connect
    for client in opened:
        if client.is_connected(NS):
            client.disconnect(NS)


def events(client: SocketIOTestClient, name: str | None = None) -> list:
    """Drain the client's received events; the first argument of each named ``name``."""
    received = client.get_received(NS)
    return [
        event["args"][0] if event["args"] else None for event in received if name in (None, event["name"])
    ]


def make_channel(
    kind: str = "public", members: tuple = (), owner=None, name: str | None = None
) -> ChatChannel:
    from app.chat.channels import slugify

    owner = owner or make_user()
    name = name or f"Room {ChatChannel.query.count() + 1} {owner.id}"
    channel = ChatChannel(kind=kind, name=name, slug=slugify(name), created_by_id=owner.id)
    db.session.add(channel)
    db.session.flush()
    db.session.add(ChatMembership(channel_id=channel.id, user_id=owner.id, role="owner"))
    for user in members:
        db.session.add(ChatMembership(channel_id=channel.id, user_id=user.id))
    db.session.flush()
    return channel


@pytest.fixture
def people(db):
    """An owner, a member and an outsider, committed (handlers commit and roll back)."""
    owner, member, outsider = make_user(), make_user(), make_user()
    moderator = make_user(role="moderator")
    db.session.commit()
    return owner, member, outsider, moderator


@contextmanager
def pool_checkouts() -> Iterator[list[object]]:
    """The pool checkouts made inside the block: a send must take one connection only,
    since its write runs under the process's write lock and a second checkout there
    could wait on a busy pool while every other send waits on the lock."""
    checkouts: list[object] = []

    def listener(dbapi_connection: object, record: object, proxy: object) -> None:
        checkouts.append(record)

    sa.event.listen(db.engine, "checkout", listener)
    try:
        yield checkouts
    finally:
        sa.event.remove(db.engine, "checkout", listener)
