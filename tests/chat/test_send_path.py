"""The send path written for busy rooms: drafts checked before the write queue and
again inside it, one INSERT that settles resends, the sender's read marker, the
per-process write lock, and the in-memory send limit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from limits import parse

from app.chat import channels, messages
from app.chat.models import ChatMembership, ChatMessage
from app.chat.presence import MemorySendLimit
from app.core.errors import NotFound, PermissionDenied
from tests.chat.conftest import NS, events, make_channel, pool_checkouts


def _room(db, people, kind="private"):
    owner, member, *_ = people
    channel = make_channel(kind, members=(member,), owner=owner)
    db.session.commit()
    return channel


def _count(db, **where) -> int:
    query = sa.select(sa.func.count(ChatMessage.id))
    for name, value in where.items():
        query = query.where(getattr(ChatMessage, name) == value)
    return db.session.scalar(query)


def test_a_draft_is_stored_only_as_its_own_author(db, people):
    owner, member, *_ = people
    channel = _room(db, people)
    draft = messages.prepare_message(owner, channel, "mine")
    with pytest.raises(PermissionDenied):
        messages.store_message(member, draft)
    assert _count(db) == 0


def test_a_member_removed_while_their_draft_waits_cannot_store_it(db, people):
    owner, member, *_ = people
    channel = _room(db, people)
    draft = messages.prepare_message(member, channel, "written before the removal")
    channels.remove_member(owner, channel, member)
    db.session.commit()
    with pytest.raises(NotFound):
        messages.store_message(member, draft)
    assert _count(db) == 0


def test_an_outsider_is_refused_before_anything_is_rendered(db, people, monkeypatch):
    outsider = people[2]
    channel = _room(db, people)
    monkeypatch.setattr(messages, "_render", lambda body: pytest.fail("rendered for an outsider"))
    with pytest.raises(NotFound):
        messages.prepare_message(outsider, channel, "let me in")


def test_two_racing_resends_store_one_message(db, people):
    owner, *_ = people
    channel = _room(db, people)
    # Both prepared before either is stored, as two resends racing each other would be.
    first = messages.prepare_message(owner, channel, "once", "race-1")
    second = messages.prepare_message(owner, channel, "once", "race-1")
    stored, created = messages.store_message(owner, first)
    again, created_again = messages.store_message(owner, second)
    db.session.commit()
    assert created and not created_again and again.id == stored.id
    assert _count(db, client_id="race-1") == 1


def test_a_client_id_reused_in_another_room_is_a_conflict(db, people):
    owner, member, *_ = people
    channel = _room(db, people)
    other = make_channel("private", members=(member,), owner=owner)
    db.session.commit()
    messages.post_message(owner, channel, "here", "c-9")
    with pytest.raises(messages.Conflict):
        messages.post_message(owner, other, "there", "c-9")


def test_the_stored_message_reads_back_as_sent(db, people):
    owner, *_ = people
    channel = _room(db, people)
    message, _ = messages.post_message(owner, channel, "Hello **team**", "rb-1")
    payload = messages.serialize(message)
    db.session.commit()
    db.session.expire_all()
    assert messages.serialize(db.session.get(ChatMessage, message.id)) == payload
    assert payload["author"]["id"] == owner.id and "<strong>team</strong>" in payload["body_html"]


def test_the_senders_read_marker_moves_to_their_message(db, people):
    owner, *_ = people
    channel = _room(db, people)
    message, _ = messages.post_message(owner, channel, "read by me")
    db.session.commit()
    marker = db.session.scalar(
        sa.select(ChatMembership.last_read_message_id).where(
            ChatMembership.channel_id == channel.id, ChatMembership.user_id == owner.id
        )
    )
    assert marker == message.id


def test_posting_into_a_public_room_joins_it(connect, db, people):
    owner, _member, outsider, _ = people
    channel = make_channel("public", owner=owner)
    db.session.commit()
    ack = connect(outsider).emit(
        "send", {"channel_id": channel.id, "body": "hi all"}, namespace=NS, callback=True
    )
    assert ack["ok"] and ack["created"]
    db.session.expire_all()
    assert channel.has_member(outsider.id)


@pytest.mark.parametrize(
    ("mentions", "store"),
    [(False, "store_batch"), (True, "store_message")],
    ids=["batched", "alone"],
)
def test_a_send_writes_under_the_namespaces_write_lock(
    app, connect, db, people, monkeypatch, mentions, store
):
    """A plain send goes through the group commit (store_batch), one that mentions
    someone is stored alone (store_message); both under the same lock."""
    from app.extensions import socketio

    owner, member, *_ = people
    channel = _room(db, people)
    namespace = socketio.server.namespace_handlers[NS]
    held: list[bool] = []
    real = getattr(messages, store)

    def watching_store(*args):
        held.append(namespace.write_lock.locked())
        return real(*args)

    monkeypatch.setattr(messages, store, watching_store)
    alice, bob = connect(owner), connect(member)
    body = f"in turn, @{member.username}" if mentions else "in turn"
    ack = alice.emit("send", {"channel_id": channel.id, "body": body}, namespace=NS, callback=True)
    assert ack["ok"] and held == [True]
    assert not namespace.write_lock.locked()
    assert [m["body"] for m in events(bob, "new_message")] == [body]


def test_a_failed_send_releases_the_write_lock(app, connect, db, people, monkeypatch):
    from app.extensions import socketio

    owner, *_ = people
    channel = _room(db, people)
    namespace = socketio.server.namespace_handlers[NS]

    def broken_store(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(messages, "store_message", broken_store)
    monkeypatch.setattr(messages, "store_batch", broken_store)
    alice = connect(owner)
    ack = alice.emit("send", {"channel_id": channel.id, "body": "x"}, namespace=NS, callback=True)
    assert ack["error"] and not namespace.write_lock.locked()
    assert namespace.writes.pending() == 0
    monkeypatch.undo()
    ok = alice.emit("send", {"channel_id": channel.id, "body": "again"}, namespace=NS, callback=True)
    assert ok["ok"]


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_memory_send_limit_is_a_moving_window():
    clock = _Clock()
    limit = MemorySendLimit(parse("3 per 10 seconds"), clock=clock)
    allowed = []
    for _ in range(3):  # at 0 s, 3 s and 6 s
        allowed.append(limit.hit(1))
        clock.now += 3
    assert allowed == [True, True, True]
    assert limit.hit(1) is False  # 9 s: three in the last ten seconds
    assert limit.hit(2) is True  # the window is per user
    clock.now += 1.1  # 10.1 s: the first send left the window; the refused one never counted
    assert limit.hit(1) is True
    assert limit.hit(1) is False


def test_the_memory_send_limit_forgets_idle_users(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(MemorySendLimit, "MAX_USERS", 2)
    limit = MemorySendLimit(parse("1 per 10 seconds"), clock=clock)
    limit.hit(1)
    limit.hit(2)
    clock.now += 11
    assert limit.hit(3) is True
    assert sorted(limit._hits) == [3]
    assert limit.hit(3) is False


class _NoPostingPlugin:
    """A plug-in that lets people see and join rooms but never post in them."""

    from app.plugins import hookimpl

    @hookimpl
    def permission_rule(self, actor, action, obj):
        return False if action == "chat.post" else None


def test_posting_into_a_public_room_still_obeys_a_plugin_that_forbids_posting(app, db, people):
    from app.plugins import plugin_manager

    owner, _member, outsider, _ = people
    channel = make_channel("public", owner=owner)
    db.session.commit()
    plugin = _NoPostingPlugin()
    plugin_manager(app).register(plugin)
    try:
        draft = messages.prepare_message(outsider, channel, "joining to post")
        assert draft.joins
        with pytest.raises(NotFound):
            messages.store_message(outsider, draft)
    finally:
        plugin_manager(app).unregister(plugin)
    db.session.rollback()
    assert _count(db) == 0


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_a_send_uses_only_its_own_database_connection(db, people):
    """The store runs under the process's write lock: a second connection taken there
    (say, to find whose cached pages to refresh) could wait on a busy pool while every
    other send waits on the lock. A 200-client benchmark stalled for a minute so."""
    owner, *_ = people
    channel_id = _room(db, people).id
    db.session.close()  # start without a connection, as a socket event does
    with pool_checkouts() as checkouts:
        sender = db.session.merge(owner)
        messages.post_message(sender, channels.get_channel(sender, channel_id), "one connection")
        db.session.commit()
    assert len(checkouts) == 1


def test_a_sends_statements_are_built_once_and_found_compiled_after(app, db, people, monkeypatch):
    """The INSERT, the read-marker UPDATE and the members read for the page cache are
    built once per shape and come from SQLAlchemy's compiled cache after: built and
    compiled again for every send, they were most of a send's CPU (SQLAlchemy never
    caches a dialect's own INSERT … ON CONFLICT)."""
    owner, member, *_ = people
    channel = _room(db, people)
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)  # so the send also reads the room's members
    executed: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        executed.append((statement.split(None, 1)[0].upper(), context.cache_hit))

    for round_ in range(2):
        drafts = [messages.prepare_message(user, channel, f"round {round_}") for user in (owner, member)]
        executed.clear()
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            messages.store_message(owner, messages.prepare_message(owner, channel, f"alone {round_}"))
            messages.store_batch(drafts)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
        db.session.commit()
    cache_hit = db.engine.dialect.CACHE_HIT
    kinds = [kind for kind, _ in executed]
    assert kinds.count("INSERT") == 2 and kinds.count("UPDATE") == 2 and "SELECT" in kinds
    assert all(hit == cache_hit for _, hit in executed), executed
    assert _count(db) == 6
