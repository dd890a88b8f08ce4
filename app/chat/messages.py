"""Message services: post (idempotent per client id), edit, delete, history, catch-up.

Every write serialises the message while the session still holds it and hands the
payload to ``after_commit``: a message is broadcast only once it is stored, and a
rolled-back write is never seen by anyone.

A send is checked and rendered first (:func:`prepare_message`), then stored, either
alone (:func:`store_message`) or together with other senders' drafts in one
transaction (:func:`store_batch`, which the socket namespace's group commit uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached

from app.accounts.models import User
from app.chat import channels, live
from app.chat.models import ChatChannel, ChatMembership, ChatMessage
from app.core.db import after_commit, has_after_commit, utcnow
from app.core.errors import Conflict, DomainError, Invalid, NotFound, PermissionDenied
from app.core.pagecache import ALL_VIEWERS, page_cache
from app.core.params import parse_id
from app.core.permissions import can, require
from app.core.sanitize import plain_text, render_markdown
from app.extensions import db
from app.forums.mentions import link_mentions
from app.notifications.services import notify

BODY_MAX = 4000
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
HISTORY_DEFAULT = 50
HISTORY_MAX = 100
CATCH_UP_MAX = 500
# Databases whose INSERT knows ON CONFLICT DO NOTHING (see _upsert_statement).
_UPSERT_DIALECTS = frozenset({"sqlite", "postgresql"})


def serialize(message: ChatMessage) -> dict:
    """The JSON shape shared by the socket events and the HTTP history API."""
    author = message.author
    deleted = message.deleted_at is not None
    return {
        "id": message.id,
        "channel_id": message.channel_id,
        "client_id": message.client_id,
        "author": None if author is None else _author_shape(author),
        "body": "" if deleted else message.body,
        "body_html": "" if deleted else message.body_html,
        "created_at": message.created_at.isoformat() + "Z",
        "edited_at": message.edited_at.isoformat() + "Z" if message.edited_at else None,
        "deleted": deleted,
    }


def _author_shape(author: Any) -> dict:
    return {"id": author.id, "username": author.username, "display_name": author.display_name}


def _new_message_shape(message_id: int, values: dict, author: dict) -> dict:
    """What :func:`serialize` gives for a message just stored from ``values``, built
    without an ORM object: a batch is stored by another sender's thread, which must
    not touch the objects of the session each draft was prepared in."""
    return {
        "id": message_id,
        "channel_id": values["channel_id"],
        "client_id": values["client_id"],
        "author": author,
        "body": values["body"],
        "body_html": values["body_html"],
        "created_at": values["created_at"].isoformat() + "Z",
        "edited_at": None,
        "deleted": False,
    }


def _clean_body(body: Any) -> str:
    if not isinstance(body, str):
        raise Invalid("A message is text.", field="body")
    body = body.strip()
    if not body:
        raise Invalid("Write a message first.", field="body")
    if len(body) > BODY_MAX:
        raise Invalid(f"A message can be at most {BODY_MAX:,} characters.", field="body")
    return body


def _clean_client_id(client_id: Any) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise Invalid("The client id must be 1–64 letters, digits or - _ . :", field="client_id")
    return client_id


def _render(body: str) -> tuple[str, list[User]]:
    return link_mentions(render_markdown(body))


@dataclass(frozen=True)
class Draft:
    """A message that passed every check and is rendered, but is not stored yet.

    ``channel_id`` and ``author`` (the author as :func:`serialize` shows them) are
    plain copies taken while preparing: a group commit stores the draft from another
    thread and session, where ``channel`` must not be used.
    """

    author_id: int
    channel: ChatChannel
    body: str
    client_id: str | None
    html: str
    mentioned: list[User]
    joins: bool  # posting into this public room makes the author a member first
    channel_id: int
    author: dict


@dataclass(frozen=True)
class Stored:
    """A send's answer: the message as :func:`serialize` shows it, and whether this
    send created it (False: a resend of a message already stored)."""

    payload: dict
    created: bool


def post_message(
    actor: Any, channel: ChatChannel, body: Any, client_id: Any = None
) -> tuple[ChatMessage, bool]:
    """Store a message from ``actor`` (always the author) and broadcast it after commit.

    Returns ``(message, created)``: a resend with a client id already used by this
    author returns the stored message and broadcasts nothing new.
    """
    return store_message(actor, prepare_message(actor, channel, body, client_id))


def prepare_message(actor: Any, channel: ChatChannel, body: Any, client_id: Any = None) -> Draft:
    """Check and render a message without writing anything.

    Split from :func:`store_message` so that a server serialising its writes (the
    socket namespace does) keeps the Markdown work outside that queue, and refuses an
    outsider before rendering anything.
    """
    body = _clean_body(body)
    client_id = _clean_client_id(client_id)
    joins = False
    if not can(actor, "chat.post", channel):
        # Posting into a public room joins it; anything else stays refused (and hidden).
        joins = channel.kind == "public" and can(actor, "chat.join", channel)
        if not joins:
            require(actor, "chat.post", channel, hide=True)
    html, mentioned = _render(body)
    return Draft(
        author_id=actor.id,
        channel=channel,
        body=body,
        client_id=client_id,
        html=html,
        mentioned=mentioned,
        joins=joins,
        channel_id=channel.id,
        author=_author_shape(actor),
    )


def batchable(draft: Draft) -> bool:
    """True when ``draft`` can be stored by :func:`store_batch`, with other senders'.

    A batch only inserts and moves read markers, in another sender's transaction.
    Joining a room on the way and notifying mentioned people need the author's own
    session (their ORM objects and permission rules), so those drafts are stored
    alone, in that session. So is a draft whose session already wrote something (a
    plug-in room re-syncs its member on opening, see ``channels.get_channel``): that
    write must land with the message, which the membership guard may depend on. So
    is every plug-in room's draft: its broadcast re-asks the plug-in who may still
    read the room and goes to those members only (``channels.broadcast``), which a
    batch's room-wide ``new_messages`` event would skip. And so is every draft on a
    database without ON CONFLICT DO NOTHING.
    """
    session = db.session
    if draft.joins or draft.mentioned or draft.channel.kind == "plugin":
        return False
    if session.new or session.dirty or session.deleted or has_after_commit(session):
        return False
    return session.get_bind().dialect.name in _UPSERT_DIALECTS


def store_message(actor: Any, draft: Draft) -> tuple[ChatMessage, bool]:
    """Write a prepared message and broadcast it after commit.

    On SQLite and PostgreSQL that is one INSERT, guarded by the author's membership
    in the same statement and settling a resend through the unique client id, and
    one UPDATE of the sender's read marker. Each statement is a point where this
    thread hands the GIL to the delivery threads of a busy room, so there are as few
    as the rules allow. The guard matters because a draft may wait in a write queue:
    an author removed meanwhile stores nothing (``NotFound``, as for any outsider).
    """
    if actor.id != draft.author_id:
        raise PermissionDenied()  # a draft is only ever stored as its own author's
    channel = draft.channel
    if draft.joins:
        channels.join_channel(actor, channel)
        require(actor, "chat.post", channel, hide=True)  # as a member now, by every rule
    message = _insert(actor, channel, draft.client_id, draft.body, draft.html)
    if message is None:
        # A resend (or a racing twin of it), or an author who is no longer a member.
        return _already_stored(actor.id, channel.id, draft.client_id), False
    # The sender has read their own message. A Core UPDATE: the membership row the
    # permission check loaded is not needed again, and this event's session ends at
    # the commit (which expires it) right after.
    _advance_read_markers({(channel.id, actor.id): message.id})
    _notify_mentions(actor, channel, message, draft.mentioned)
    db.session.flush()
    channels.broadcast(channel, "new_message", serialize(message))
    return message, True


def store_batch(
    drafts: Sequence[Draft], deliver: Callable[[list[dict]], None] | None = None
) -> list[Stored | DomainError]:
    """Write several senders' prepared messages in the current transaction, without
    committing it; one outcome per draft, in order.

    For the group commit of a busy room: every statement is a point where the writing
    thread waits for the GIL behind the room's delivery threads, so the whole batch
    is one guarded multi-row INSERT (membership checked and resends settled in the
    statement, as in :func:`store_message`), one UPDATE of the senders' read markers
    and, with the page cache on, one read of each room's members. A refused draft
    (author no longer a member, client id already used in another room) becomes its
    own ``DomainError`` and costs the others nothing; a resend becomes the stored
    message with ``created=False``. The new messages are handed, in id order (the
    drafts' order), to ``deliver`` (default :func:`broadcast_new_messages`) once the
    transaction commits, and never if it rolls back: a caller that orders broadcasts
    itself collects them there. Only :func:`batchable` drafts belong here.
    """
    if not drafts:
        return []
    rows = [_values(draft) for draft in drafts]
    message_ids = _insert_many(rows)
    outcomes: list[Stored | DomainError] = []
    created: list[dict] = []
    for draft, values, message_id in zip(drafts, rows, message_ids, strict=True):
        if message_id is None:
            outcomes.append(_settle_unstored(draft))
            continue
        payload = _new_message_shape(message_id, values, draft.author)
        outcomes.append(Stored(payload, True))
        created.append(payload)
    if created:
        newest: dict[tuple[int, int], int] = {}
        for payload in created:
            key = (payload["channel_id"], payload["author"]["id"])
            newest[key] = max(newest.get(key, 0), payload["id"])
        _advance_read_markers(newest)
        after_commit(db.session, lambda: (deliver or broadcast_new_messages)(created))
    return outcomes


def _values(draft: Draft) -> dict:
    return {
        "channel_id": draft.channel_id,
        "author_id": draft.author_id,
        "client_id": draft.client_id,
        "body": draft.body,
        "body_html": draft.html,
        "created_at": utcnow(),
    }


def _insert_many(rows: list[dict]) -> list[int | None]:
    """INSERT each row whose author is a member of its room and has not used its
    client id yet, in one statement (:func:`_upsert_statement`); the new id per row,
    None where nothing was stored.

    Rows are inserted, so numbered, in the drafts' order. PostgreSQL returns the
    stored rows (RETURNING). SQLite is not asked to: sqlite3 hands the GIL over at
    every returned row, and when every row was stored (the usual case) the
    statement's row count and last row id already say which ids they got: SQLite
    numbers new rows one past the largest id, and this transaction holds its write
    lock. Otherwise the stored rows are read back by that id range. The rows are
    matched to drafts by (author, room, client id), unique for a stored client id;
    rows without one in id order among the same author's in the same room.
    """
    table = ChatMessage.__table__
    dialect = db.session.get_bind().dialect
    statement = _upsert_statement(dialect, len(rows))
    params = {f"{name}_{index}": row[name] for index, row in enumerate(rows) for name in _DRAFT_COLUMNS}
    if page_cache(current_app).enabled:  # the rooms' members' pages only (see _page_viewers)
        viewers = {viewer for room in {row["channel_id"] for row in rows} for viewer in _page_viewers(room)}
        options = {"pagecache_users": sorted(viewers, key=str)}
    else:
        options = {"pagecache_users": []}
    result = db.session.execute(statement, params, execution_options=options)
    if dialect.name == "sqlite":
        count = result.rowcount
        first, last = result.lastrowid - count + 1, result.lastrowid
        if count == len(rows):
            return list(range(first, last + 1))
        keys = (table.c.id, table.c.author_id, table.c.channel_id, table.c.client_id)
        in_range = table.c.id.between(first, last)
        stored_rows = db.session.execute(sa.select(*keys).where(in_range)).all() if count else []
    else:
        stored_rows = result.all()
    stored: dict[tuple, list[int]] = {}
    for message_id, author_id, channel_id, client_id in sorted(stored_rows):
        stored.setdefault((author_id, channel_id, client_id), []).append(message_id)
    matched: list[int | None] = []
    for row in rows:
        ids = stored.get((row["author_id"], row["channel_id"], row["client_id"]))
        matched.append(ids.pop(0) if ids else None)
    return matched


_DRAFT_COLUMNS = ("channel_id", "author_id", "client_id", "body", "body_html", "created_at")


@lru_cache(maxsize=256)
def _upsert_statement(dialect: sa.Dialect, rows: int) -> sa.TextClause:
    """``INSERT … SELECT <rows> WHERE EXISTS (<current membership>) ORDER BY <row
    number> ON CONFLICT DO NOTHING`` for ``rows`` drafts, built once per size.

    Text, because SQLAlchemy never caches the compiled form of a dialect's own
    INSERT (the sqlite and postgresql ``Insert`` constructs, the only ones with ON
    CONFLICT, set ``inherit_cache = False``): built from constructs, this statement
    was built and compiled again for every send, 1.5–2 ms of CPU under the GIL,
    a quarter of a send. A text statement is compiled once and then found in
    SQLAlchemy's cache. The values are parameters ``<column>_<row>`` typed like their
    columns (SQLite keeps datetimes as text through that type); PostgreSQL also
    casts each one, as a union of untyped parameters would be text. The membership
    condition is compiled from :func:`_current_membership`, the one rule for it.
    """
    table, memberships = ChatMessage.__table__, ChatMembership.__table__
    postgres = dialect.name == "postgresql"

    def value(name: str, index: int) -> str:
        parameter = f":{name}_{index}"
        if postgres:
            parameter = f"CAST({parameter} AS {table.c[name].type.compile(dialect=dialect)})"
        return f"{parameter} AS {name}"

    drafts = " UNION ALL ".join(
        "SELECT " + ", ".join([f"{index} AS n", *(value(name, index) for name in _DRAFT_COLUMNS)])
        for index in range(rows)
    )
    member = _current_membership(sa.literal_column("draft.channel_id"), sa.literal_column("draft.author_id"))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(_DRAFT_COLUMNS)}) "
        f"SELECT {', '.join(f'draft.{name}' for name in _DRAFT_COLUMNS)} FROM ({drafts}) AS draft "
        f"WHERE EXISTS (SELECT 1 FROM {memberships.name} WHERE {member.compile(dialect=dialect)}) "
        "ORDER BY draft.n ON CONFLICT (author_id, client_id) DO NOTHING"
    )
    if postgres:
        sql += " RETURNING id, author_id, channel_id, client_id"
    parameters = [
        sa.bindparam(f"{name}_{index}", type_=table.c[name].type)
        for index in range(rows)
        for name in _DRAFT_COLUMNS
    ]
    # A text statement says which table it writes, for the page cache's invalidation.
    return sa.text(sql).bindparams(*parameters).execution_options(pagecache_table=table.name)


def _settle_unstored(draft: Draft) -> Stored | DomainError:
    """The outcome of a batched draft the INSERT did not store: a resend, or a refusal."""
    try:
        existing = _already_stored(draft.author_id, draft.channel_id, draft.client_id)
    except DomainError as error:
        return error
    return Stored(serialize(existing), False)


def _already_stored(author_id: int, channel_id: int, client_id: str | None) -> ChatMessage:
    """The message a resend of ``client_id`` by a current member of the room stands for.

    ``NotFound`` when the author is no longer a member (as for any outsider) or there is
    no such message; ``Conflict`` when the client id was used in another room.
    """
    existing = _by_client_id(author_id, client_id) if client_id else None
    if existing is None or not _is_member(author_id, channel_id):
        raise NotFound()
    return _same_message(existing, channel_id)


def _current_membership(channel_id: Any, user_id: Any) -> sa.ColumnElement[bool]:
    """The condition for ``user_id``'s membership of ``channel_id`` that still counts
    (not removed); values or columns (a batch's draft rows) on either side."""
    memberships = ChatMembership.__table__
    return sa.and_(
        memberships.c.channel_id == channel_id,
        memberships.c.user_id == user_id,
        memberships.c.removed_at.is_(None),
    )


def _is_member(user_id: int, channel_id: int) -> bool:
    memberships = ChatMembership.__table__
    found = db.session.scalar(sa.select(memberships.c.id).where(_current_membership(channel_id, user_id)))
    return found is not None


def _advance_read_markers(newest: dict[tuple[int, int], int]) -> None:
    """Each sender has read their own messages: one UPDATE moving each ``(room,
    author)`` marker to ``newest[(room, author)]``, never back; one statement for a
    single send and for a whole batch."""
    params: dict[str, int] = {}
    for index, ((channel_id, user_id), message_id) in enumerate(newest.items()):
        params |= {
            f"channel_id_{index}": channel_id,
            f"user_id_{index}": user_id,
            f"message_id_{index}": message_id,
        }
    db.session.execute(_marker_update(len(newest)), params)


@lru_cache(maxsize=128)
def _marker_update(senders: int) -> sa.Update:
    """The read-marker UPDATE for ``senders`` (room, author) pairs, with parameters
    ``channel_id_<i>``, ``user_id_<i>``, ``message_id_<i>``: built once per size, as
    building it was most of its cost on every send (its compiled form is cached)."""
    memberships = ChatMembership.__table__
    pairs = [
        (_current_membership(sa.bindparam(f"channel_id_{i}"), sa.bindparam(f"user_id_{i}")), i)
        for i in range(senders)
    ]
    behind = [
        sa.and_(member, memberships.c.last_read_message_id < sa.bindparam(f"message_id_{i}"))
        for member, i in pairs
    ]
    value: Any = sa.bindparam("message_id_0")
    if senders > 1:
        cases = [(member, sa.bindparam(f"message_id_{i}")) for member, i in pairs]
        value = sa.case(*cases, else_=memberships.c.last_read_message_id)
    return (
        sa.update(memberships)
        .where(sa.or_(*behind))
        .values(last_read_message_id=value)
        .execution_options(pagecache_users=[])  # the senders are members: named by the INSERT
    )


def broadcast_new_messages(payloads: list[dict]) -> None:
    """Tell each stored message's room about it, in the order given."""

    live.emit_new_messages(payloads)


# Past this many members, one "every signed-in viewer" bump is cheaper than one each.
MEMBER_PAGE_BUMPS_MAX = 50


def _page_viewers(channel_id: int) -> list[int | str]:
    """Whose cached pages a new message in the room invalidates: its members, whose
    header unread count changes, and nobody else (the shared pages stay cached).

    Read in the send's own transaction: a second connection taken mid-commit could
    wait for the pool while this process's write lock is held.
    The ids come back joined into one row: sqlite3 hands the GIL over at every row it
    steps through, and under a busy room's fan-out each hand-over is a wait.
    """
    joined = db.session.scalar(_page_viewers_query(), {"channel_id": channel_id})
    ids = [int(user_id) for user_id in joined.split(",")] if joined else []
    return ids if len(ids) <= MEMBER_PAGE_BUMPS_MAX else [ALL_VIEWERS]


@lru_cache(maxsize=1)
def _page_viewers_query() -> sa.Select:
    """:func:`_page_viewers`' query, built once (``:channel_id`` is its parameter)."""
    memberships = ChatMembership.__table__
    members = (
        sa.select(memberships.c.user_id)
        .where(memberships.c.channel_id == sa.bindparam("channel_id"), memberships.c.removed_at.is_(None))
        .limit(MEMBER_PAGE_BUMPS_MAX + 1)
        .subquery()
    )
    return sa.select(sa.func.aggregate_strings(sa.cast(members.c.user_id, sa.String), ","))


def _insert(
    actor: Any, channel: ChatChannel, client_id: str | None, body: str, html: str
) -> ChatMessage | None:
    """INSERT the message if its author is a member of the room and has not used
    ``client_id`` yet; None otherwise.

    Where the database can "do nothing on conflict" (SQLite, PostgreSQL) this is one
    statement, a batch of one (:func:`_insert_many`): no lookup before it, no
    SAVEPOINT, two racing resends still store one row, and the membership holds at the
    instant of the write. It yields only the new id (half the CPU of an ORM upsert
    returning the entity); the row is then known column for column, so the session
    adopts it as loaded (``make_transient_to_detached``) without reading it back.
    Other databases take the ORM path: ``require`` first, then a SAVEPOINT catching
    the duplicate.
    """
    values = {
        "channel_id": channel.id,
        "author_id": actor.id,
        "client_id": client_id,
        "body": body,
        "body_html": html,
        "created_at": utcnow(),
    }
    if db.session.get_bind().dialect.name not in _UPSERT_DIALECTS:
        require(actor, "chat.post", channel, hide=True)
        message = ChatMessage(**values)
        try:
            with db.session.begin_nested():
                db.session.add(message)
                db.session.flush()
        except IntegrityError:
            return None
        return message
    [message_id] = _insert_many([values])
    if message_id is None:
        return None
    message = ChatMessage(id=message_id, edited_at=None, deleted_at=None, deleted_by_id=None, **values)
    make_transient_to_detached(message)
    db.session.add(message)
    return message


def _by_client_id(author_id: int, client_id: str) -> ChatMessage | None:
    return db.session.scalar(
        sa.select(ChatMessage).where(ChatMessage.author_id == author_id, ChatMessage.client_id == client_id)
    )


def _same_message(existing: ChatMessage, channel_id: int) -> ChatMessage:
    if existing.channel_id != channel_id:
        raise Conflict("That client id was already used for another message.", field="client_id")
    return existing


def _notify_mentions(actor: Any, channel: ChatChannel, message: ChatMessage, users: list[User]) -> None:
    """Mentioned people who can read the room hear about it; nobody else learns of it."""

    if not users:
        return
    where = channels.display_name(channel, None) if channel.kind != "dm" else "a direct message"
    text = f"{actor.display_name} mentioned you in {where}: {plain_text(message.body, limit=120)}"
    url = f"/chat?channel={channel.id}#message-{message.id}"
    for user in users:
        if user.id != actor.id and can(user, "chat.view", channel):
            notify(user, "mention", text, url, actor=actor)


def get_message(actor: Any, message_id: Any) -> ChatMessage:
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        raise NotFound()
    message = db.session.get(ChatMessage, message_id)
    if message is None:
        raise NotFound()
    channels.get_channel(actor, message.channel_id)
    return message


def edit_message(actor: Any, message: ChatMessage, body: Any) -> ChatMessage:
    require(actor, "chat.message.edit", message)
    body = _clean_body(body)
    if body == message.body:
        return message
    message.body = body
    message.body_html, _ = _render(body)
    message.edited_at = utcnow()
    db.session.flush()
    channels.broadcast(message.channel, "message_updated", serialize(message))
    return message


def delete_message(actor: Any, message: ChatMessage) -> ChatMessage:
    """Soft delete: the text stays for moderators' records but is never served again."""
    require(actor, "chat.message.delete", message)
    message.deleted_at = utcnow()
    message.deleted_by_id = actor.id
    db.session.flush()
    channels.broadcast(message.channel, "message_updated", serialize(message))
    return message


def _cursor(value: Any, name: str) -> int | None:
    return parse_id(value, name=name)


def history_limit(value: Any) -> int:
    """How many messages a history request gets: the default when absent or 0, and
    never more than ``HISTORY_MAX``."""
    return min(_cursor(value, "limit") or HISTORY_DEFAULT, HISTORY_MAX)


def history(
    actor: Any, channel: ChatChannel, before: Any = None, limit: Any = HISTORY_DEFAULT
) -> list[ChatMessage]:
    """Up to ``limit`` messages older than ``before`` (newest page when absent), oldest first."""
    require(actor, "chat.view", channel, hide=True)
    before = _cursor(before, "before")
    limit = history_limit(limit)
    query = sa.select(ChatMessage).where(ChatMessage.channel_id == channel.id)
    if before is not None:
        query = query.where(ChatMessage.id < before)
    rows = list(db.session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit)))
    rows.reverse()
    return rows


def missed(actor: Any, channel: ChatChannel, after: Any, limit: int = CATCH_UP_MAX) -> list[ChatMessage]:
    """Messages after ``after`` in order: what a reconnecting client did not see."""
    require(actor, "chat.view", channel, hide=True)
    after = _cursor(after, "last_seen_id") or 0
    query = (
        sa.select(ChatMessage)
        .where(ChatMessage.channel_id == channel.id, ChatMessage.id > after)
        .order_by(ChatMessage.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def announce(actor: Any, channel: ChatChannel, body: Any) -> ChatMessage:
    """A message from the system (CLI) rather than a member: no author."""
    if actor is not None:
        require(actor, "chat.announce")
    body = _clean_body(body)
    html, _ = _render(body)
    message = ChatMessage(channel_id=channel.id, author_id=None, body=body, body_html=html)
    db.session.add(message)
    db.session.flush()
    channels.broadcast(channel, "new_message", serialize(message))
    return message
