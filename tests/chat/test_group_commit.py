"""Group commit of chat sends: several senders' drafts stored in one transaction
(``messages.store_batch``), by one of them (``writes.WriteQueue``), each sender with
its own outcome, broadcast only after the commit and in id order."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from app.chat import channels, live, messages, writes
from app.chat.models import ChatMembership, ChatMessage
from app.core.errors import Conflict, NotFound
from tests.chat.conftest import NS, make_channel, pool_checkouts


@pytest.fixture
def room(db, people):
    owner, member, *_ = people
    channel = make_channel("private", members=(member,), owner=owner)
    db.session.commit()
    return channel


@pytest.fixture
def broadcasts(monkeypatch) -> list[dict]:
    """Every new message emitted (alone or in a room's batch), in emission order."""
    sent: list[dict] = []
    real = live.emit_to_channel

    def recording(event, payload, channel_id):
        if event == live.NEW_MESSAGE:
            sent.append(payload)
        elif event == live.NEW_MESSAGES:
            assert all(message["channel_id"] == channel_id for message in payload["messages"])
            sent.extend(payload["messages"])
        return real(event, payload, channel_id)

    monkeypatch.setattr(live, "emit_to_channel", recording)
    return sent


def _marker(db, channel, user) -> int:
    return db.session.scalar(
        sa.select(ChatMembership.last_read_message_id).where(
            ChatMembership.channel_id == channel.id, ChatMembership.user_id == user.id
        )
    )


def _bodies(db) -> list[str]:
    return list(db.session.scalars(sa.select(ChatMessage.body).order_by(ChatMessage.id)))


def test_a_batch_stores_every_draft_in_order_and_broadcasts_only_after_the_commit(
    db, people, room, broadcasts
):
    owner, member, *_ = people
    drafts = [
        messages.prepare_message(owner, room, "one", "g-1"),
        messages.prepare_message(member, room, "two **bold**"),
        messages.prepare_message(owner, room, "three"),
    ]
    outcomes = messages.store_batch(drafts)
    assert all(isinstance(o, messages.Stored) and o.created for o in outcomes)
    ids = [o.payload["id"] for o in outcomes]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert broadcasts == []  # nothing is seen before the commit
    db.session.commit()
    assert [p["id"] for p in broadcasts] == ids
    db.session.expire_all()
    for outcome in outcomes:  # the payload is what serialize() gives for the stored row
        assert messages.serialize(db.session.get(ChatMessage, outcome.payload["id"])) == outcome.payload
    assert _marker(db, room, owner) == ids[2] and _marker(db, room, member) == ids[1]


def test_a_rolled_back_batch_is_never_broadcast(db, people, room, broadcasts):
    owner, *_ = people
    messages.store_batch([messages.prepare_message(owner, room, "never seen")])
    db.session.rollback()
    db.session.commit()
    assert broadcasts == [] and _bodies(db) == []


def test_a_refused_draft_fails_alone_and_a_resend_returns_the_stored_message(db, people, room, broadcasts):
    owner, member, *_ = people
    other = make_channel("private", owner=owner)
    db.session.commit()
    first, _ = messages.post_message(owner, room, "already here", "dup-1")
    elsewhere, _ = messages.post_message(owner, other, "in the other room", "other-1")
    db.session.commit()
    broadcasts.clear()
    removed = messages.prepare_message(member, room, "written before the removal")
    drafts = [
        messages.prepare_message(owner, room, "before"),
        removed,
        messages.prepare_message(owner, room, "already here", "dup-1"),  # a resend
        messages.prepare_message(owner, room, "reused", "other-1"),  # used in another room
        messages.prepare_message(owner, room, "after"),
    ]
    channels.remove_member(owner, room, member)
    db.session.commit()
    outcomes = messages.store_batch(drafts)
    db.session.commit()
    before, refused, resend, conflict, after = outcomes
    assert before.created and after.created and after.payload["id"] > before.payload["id"]
    assert isinstance(refused, NotFound)
    assert not resend.created and resend.payload == messages.serialize(first)
    assert isinstance(conflict, Conflict) and conflict.field == "client_id"
    assert [p["body"] for p in broadcasts] == ["before", "after"]
    assert _bodies(db) == ["already here", "in the other room", "before", "after"]
    assert elsewhere.channel_id == other.id


def test_two_resends_in_one_batch_store_one_message(db, people, room):
    owner, *_ = people
    first, second = (messages.prepare_message(owner, room, "once", "twin-1") for _ in range(2))
    stored, again = messages.store_batch([first, second])
    db.session.commit()
    assert stored.created and not again.created
    assert again.payload["id"] == stored.payload["id"]
    assert _bodies(db) == ["once"]


def test_a_batch_never_moves_a_read_marker_back(db, people, room):
    owner, *_ = people
    # The owner has read further than the message about to be stored (the marker is
    # set ahead of any id the batch can take): storing it must not pull them back.
    db.session.execute(sa.update(ChatMembership).values(last_read_message_id=1000))
    db.session.commit()
    (stored,) = messages.store_batch([messages.prepare_message(owner, room, "later")])
    db.session.commit()
    assert stored.created and stored.payload["id"] < 1000
    assert _marker(db, room, owner) == 1000


@pytest.mark.app_config(PAGE_CACHE_SECONDS=300)
def test_a_batch_refreshes_its_rooms_members_pages(db, people, room, monkeypatch):
    from app.core.pagecache.store import PageCache

    owner, member, outsider, _ = people
    other = make_channel("private", members=(outsider,), owner=owner)
    db.session.commit()
    bumped: list[set] = []
    monkeypatch.setattr(PageCache, "bump_viewers", lambda self, users: bumped.append(set(users)))
    monkeypatch.setattr(PageCache, "bump", lambda self: bumped.append({"shared"}))
    messages.store_batch(
        [messages.prepare_message(member, room, "here"), messages.prepare_message(outsider, other, "there")]
    )
    db.session.commit()
    assert bumped == [{owner.id, member.id, outsider.id}]


def test_a_batch_that_fails_as_a_whole_is_stored_one_by_one(app, db, people, room, broadcasts, monkeypatch):
    owner, member, *_ = people
    real = messages.store_batch

    def poisoned(drafts, deliver=None):
        outcomes = real(drafts, deliver)  # written (and its broadcasts scheduled) before failing
        if any(draft.body == "poison" for draft in drafts):
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        return outcomes

    monkeypatch.setattr(messages, "store_batch", poisoned)
    drafts = [messages.prepare_message(owner, room, body) for body in ("one", "poison", "three")]
    drafts.append(messages.prepare_message(member, room, "four", "f-1"))
    outcomes = writes.write_batch(drafts, messages.broadcast_new_messages)
    assert [type(o).__name__ for o in outcomes] == ["Stored", "OperationalError", "Stored", "Stored"]
    assert _bodies(db) == ["one", "three", "four"]
    assert [p["body"] for p in broadcasts] == ["one", "three", "four"]
    assert [o.payload["id"] for o in outcomes if isinstance(o, messages.Stored)] == [
        p["id"] for p in broadcasts
    ]


def test_a_batched_send_uses_only_its_own_database_connection(db, people, room):
    owner, *_ = people
    channel_id = room.id
    db.session.close()  # start without a connection, as a socket event does
    with pool_checkouts() as checkouts:
        sender = db.session.merge(owner)
        draft = messages.prepare_message(sender, channels.get_channel(sender, channel_id), "one connection")
        assert messages.batchable(draft)
        stored = writes.WriteQueue(threading.Lock()).submit(draft)
    assert stored.created and len(checkouts) == 1


def test_only_plain_drafts_are_batched(db, people, room):
    owner, member, outsider, _ = people
    public = make_channel("public", owner=owner)
    db.session.commit()
    assert messages.batchable(messages.prepare_message(owner, room, "plain"))
    assert not messages.batchable(messages.prepare_message(owner, room, f"hi @{member.username}"))
    assert not messages.batchable(messages.prepare_message(outsider, public, "joining by posting"))


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_sends_queued_behind_a_write_are_stored_in_one_batch_each_with_its_answer(
    app, connect, db, people, room, monkeypatch
):
    """Three senders arrive while the write lock is held: the first leads, the other
    two wait; one transaction stores all three, in the order they queued, and each
    sender gets its own message back."""
    from app.extensions import socketio

    owner, member, *_ = people
    namespace = socketio.server.namespace_handlers[NS]
    listener = connect(member)
    batches: list[list[str]] = []
    real = messages.store_batch

    def recording(drafts, deliver=None):
        batches.append([draft.body for draft in drafts])
        return real(drafts, deliver)

    monkeypatch.setattr(messages, "store_batch", recording)
    answers: dict[str, object] = {}

    def send(user_id: int, body: str) -> None:
        with app.app_context():
            sender = db.session.get(type(owner), user_id)
            draft = messages.prepare_message(sender, channels.get_channel(sender, room.id), body)
            try:
                answers[body] = namespace.writes.submit(draft)
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                answers[body] = error

    threads = []
    with namespace.write_lock:
        for number, user in enumerate((owner, member, owner)):
            thread = threading.Thread(target=send, args=(user.id, f"queued {number}"))
            thread.start()
            threads.append(thread)
            _wait_for(lambda n=number: namespace.writes.pending() == n + 1)
    for thread in threads:
        thread.join(timeout=10)
    assert batches == [["queued 0", "queued 1", "queued 2"]]
    stored = [answers[f"queued {n}"] for n in range(3)]
    assert all(isinstance(s, messages.Stored) and s.created for s in stored), stored
    ids = [s.payload["id"] for s in stored]
    assert ids == sorted(ids) and [s.payload["author"]["id"] for s in stored] == [
        owner.id,
        member.id,
        owner.id,
    ]
    # The room's members get the batch as one event, not one event per message.
    received = listener.get_received(NS)
    assert [event["args"][0] for event in received if event["name"] == "new_messages"] == [
        {"channel_id": room.id, "messages": [s.payload for s in stored]}
    ]
    assert not [event for event in received if event["name"] == "new_message"]
    assert namespace.writes.pending() == 0 and not namespace.write_lock.locked()


class _Recorder:
    """A stand-in for ``write_batch``: the first batch waits until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.first_started = threading.Event()
        self.release = threading.Event()

    def __call__(self, drafts, deliver):
        self.batches.append(list(drafts))
        if len(self.batches) == 1:
            self.first_started.set()
            assert self.release.wait(5)
        return [messages.Stored({"body": draft}, True) for draft in drafts]


def test_drafts_queued_during_a_batch_are_written_next_by_one_of_their_senders(app, monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(writes, "write_batch", recorder)
    monkeypatch.setattr(writes.WriteQueue, "MAX_BATCH", 2)
    queue = writes.WriteQueue(threading.Lock())
    results: dict[str, object] = {}
    writers: dict[str, str] = {}
    real_lead = queue._lead

    def lead() -> None:
        writers[threading.current_thread().name] = "led"
        real_lead()

    queue._lead = lead  # type: ignore[method-assign]

    def submit(body: str) -> None:
        with app.app_context():  # a waiting sender gives its connection back
            results[body] = queue.submit(body).payload["body"]  # type: ignore[arg-type]

    first = threading.Thread(target=submit, args=("a",), name="a")
    first.start()
    assert recorder.first_started.wait(5)
    others = [threading.Thread(target=submit, args=(b,), name=b) for b in "bcde"]
    for number, thread in enumerate(others):
        thread.start()
        _wait_for(lambda n=number: queue.pending() == n + 1)
    recorder.release.set()
    for thread in (first, *others):
        thread.join(timeout=10)
    assert recorder.batches == [["a"], ["b", "c"], ["d", "e"]]  # at most MAX_BATCH each
    assert results == {body: body for body in "abcde"}  # every sender got its own answer
    assert sorted(writers) == ["a", "b", "d"]  # the first of each batch wrote it
    assert queue.pending() == 0 and not queue._writing


def test_a_writer_that_crashes_still_answers_every_waiting_sender(app, monkeypatch):
    def crash(drafts, deliver):
        raise KeyboardInterrupt  # not even an Exception: the waiters must still wake

    monkeypatch.setattr(writes, "write_batch", crash)
    lock = threading.Lock()
    queue = writes.WriteQueue(lock)
    raised: dict[str, BaseException] = {}

    def submit(body: str) -> None:
        try:
            with app.app_context():
                queue.submit(body)  # type: ignore[arg-type]
        except BaseException as error:  # noqa: BLE001 - recorded for the assertion
            raised[body] = error

    threads = [threading.Thread(target=submit, args=(body,)) for body in ("leader", "follower")]
    with lock:
        for number, thread in enumerate(threads):
            thread.start()
            _wait_for(lambda n=number: queue.pending() == n + 1)
    for thread in threads:
        thread.join(timeout=10)
    assert isinstance(raised["leader"], KeyboardInterrupt)  # the writer's own thread re-raises
    assert isinstance(raised["follower"], writes.WriteFailed)
    assert queue.pending() == 0 and not queue._writing


def test_a_batch_reaches_each_room_as_one_event_and_a_lone_message_as_new_message(app, monkeypatch):
    """Delivery is most of a busy room's cost (each member's socket gets each event
    through its own queue and thread): a room's messages stored together go out as
    one ``new_messages`` event, oldest first; a room with one gets ``new_message``."""
    sent: list[tuple[str, int, dict]] = []
    monkeypatch.setattr(
        live, "emit_to_channel", lambda event, payload, room: sent.append((event, room, payload))
    )
    first, other_room, second = (
        {"id": 1, "channel_id": 7},
        {"id": 2, "channel_id": 8},
        {"id": 3, "channel_id": 7},
    )
    live.emit_new_messages([first, other_room, second])
    assert sent == [
        ("new_messages", 7, {"channel_id": 7, "messages": [first, second]}),
        ("new_message", 8, other_room),
    ]
