"""Channel services: create rooms and DMs, list and open them, join, invite, remove,
and keep plug-in rooms' membership in step with their group.

Private rooms and DMs exist only for their members: anyone else gets ``NotFound``, the
same answer as for a room that does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.chat import live
from app.chat.models import ChatChannel, ChatMembership
from app.core.db import after_commit, utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.permissions import is_active_member, require
from app.extensions import db
from app.plugins import fire

NAME_MAX = 80
TOPIC_MAX = 300
DM_MAX_PARTICIPANTS = 20
_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_STRIP.sub("-", ascii_name.lower()).strip("-")[:100]


# --- reading -----------------------------------------------------------------------


def get_channel(actor: Any, channel_id: Any) -> ChatChannel:
    """The channel if ``actor`` may see it; ``NotFound`` otherwise (ids cannot be probed).

    A plug-in room re-asks its plug-in about this one member first, so someone who
    left the group loses the room at once rather than at the next full sync.
    """
    if isinstance(channel_id, bool) or not isinstance(channel_id, int):
        raise NotFound()
    channel = db.session.get(ChatChannel, channel_id)
    if channel is None:
        raise NotFound()
    if channel.kind == "plugin" and is_active_member(actor):
        _sync_member(channel, actor.id)
    require(actor, "chat.view", channel, hide=True)
    return channel


def list_channels(actor: Any) -> list[ChatChannel]:
    """Rooms the actor belongs to, then public rooms they may join; DMs included."""
    require(actor, "chat.use")
    sync_plugin_channels(actor)
    member_of = (
        sa.select(ChatMembership.channel_id)
        .where(ChatMembership.user_id == actor.id, ChatMembership.removed_at.is_(None))
        .scalar_subquery()
    )
    query = (
        sa.select(ChatChannel)
        .where(sa.or_(ChatChannel.id.in_(member_of), ChatChannel.kind == "public"))
        .order_by(ChatChannel.kind == "dm", ChatChannel.name, ChatChannel.id)
    )
    return list(db.session.scalars(query))


def connect_channel_ids(actor: Any) -> list[int]:
    """Ids of the rooms a connecting socket of ``actor`` joins: their memberships, each
    plug-in room's re-asked first (a council term may have lapsed since they last used
    chat, and chat was not told), so that a socket never joins a room whose plug-in
    no longer admits them. Core rooms cost nothing more than the one query."""
    rows = db.session.execute(
        sa.select(ChatMembership.channel_id, ChatChannel.kind)
        .join(ChatChannel, ChatChannel.id == ChatMembership.channel_id)
        .where(ChatMembership.user_id == actor.id, ChatMembership.removed_at.is_(None))
    ).all()
    return [
        channel_id
        for channel_id, kind in rows
        if kind != "plugin" or _sync_member(db.session.get_one(ChatChannel, channel_id), actor.id)
    ]


def member_channel_ids(user_id: int) -> list[int]:
    """Ids of every room ``user_id`` currently belongs to (their socket's rooms)."""
    return list(
        db.session.scalars(
            sa.select(ChatMembership.channel_id).where(
                ChatMembership.user_id == user_id, ChatMembership.removed_at.is_(None)
            )
        )
    )


def members(actor: Any, channel: ChatChannel) -> list[User]:
    require(actor, "chat.view", channel, hide=True)
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ChatMembership, ChatMembership.user_id == User.id)
            .where(ChatMembership.channel_id == channel.id, ChatMembership.removed_at.is_(None))
            .order_by(User.display_name, User.id)
        )
    )


def member_ids(channel_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ChatMembership.user_id).where(
                ChatMembership.channel_id == channel_id, ChatMembership.removed_at.is_(None)
            )
        )
    )


def display_name(channel: ChatChannel, viewer: Any) -> str:
    """A DM is named after the other participants, as the viewer sees it."""
    if channel.kind != "dm":
        return channel.name
    others = [user.display_name for user in _dm_users(channel) if user.id != getattr(viewer, "id", None)]
    return ", ".join(others) or channel.name


def _dm_users(channel: ChatChannel) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(ChatMembership, ChatMembership.user_id == User.id)
            .where(ChatMembership.channel_id == channel.id, ChatMembership.removed_at.is_(None))
            .order_by(User.display_name)
        )
    )


# --- creating ----------------------------------------------------------------------


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Give the channel a name.", field="name")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise Invalid(f"A channel name can be at most {NAME_MAX} characters.", field="name")
    return name


def create_channel(actor: Any, name: str, kind: str = "public", topic: str = "") -> ChatChannel:
    """A public or private room; its creator is its owner and first member."""
    require(actor, "chat.channel.create")
    if kind not in ("public", "private"):
        raise Invalid("A channel is public or private.", field="kind")
    name = _clean_name(name)
    topic = " ".join((topic or "").split()) if isinstance(topic, str) else ""
    if len(topic) > TOPIC_MAX:
        raise Invalid(f"A channel topic can be at most {TOPIC_MAX} characters.", field="topic")
    slug = slugify(name)
    if not slug:
        raise Invalid("The name needs at least one letter or digit.", field="name")
    if db.session.scalar(sa.select(ChatChannel.id).where(ChatChannel.slug == slug)) is not None:
        raise Conflict("A channel with that name already exists.", field="name")
    channel = ChatChannel(kind=kind, name=name, slug=slug, topic=topic, created_by_id=actor.id)
    db.session.add(channel)
    db.session.flush()
    _add_member(channel, actor.id, role="owner")
    return channel


def open_dm(actor: Any, others: list[User]) -> ChatChannel:
    """The DM between the actor and ``others`` (1:1 or a group of up to 20), reused
    when the same people already have one."""
    require(actor, "chat.channel.create")
    ids = {actor.id} | {user.id for user in others}
    if len(ids) < 2:
        raise Invalid("Choose at least one other member.", field="users")
    if len(ids) > DM_MAX_PARTICIPANTS:
        raise Invalid(f"A direct message can have at most {DM_MAX_PARTICIPANTS} people.", field="users")
    if any(not is_active_member(user) for user in others):
        raise Invalid("One of those members cannot receive messages.", field="users")
    key = ",".join(str(i) for i in sorted(ids))
    slug = "dm-" + hashlib.sha256(key.encode()).hexdigest()[:24]
    channel = db.session.scalar(sa.select(ChatChannel).where(ChatChannel.slug == slug))
    if channel is not None:
        return channel
    names = sorted(user.display_name for user in [actor, *others])
    channel = ChatChannel(kind="dm", name=", ".join(names)[:NAME_MAX], slug=slug, created_by_id=actor.id)
    db.session.add(channel)
    db.session.flush()
    for user_id in sorted(ids):
        _add_member(channel, user_id)
    return channel


# --- membership ----------------------------------------------------------------------


def _add_member(channel: ChatChannel, user_id: int, role: str = "member") -> ChatMembership:
    """Create or restore a membership and put the user's live sockets in the room."""
    membership = db.session.scalar(
        sa.select(ChatMembership).where(
            ChatMembership.channel_id == channel.id, ChatMembership.user_id == user_id
        )
    )
    if membership is None:
        membership = ChatMembership(channel_id=channel.id, user_id=user_id, role=role)
        db.session.add(membership)
    elif membership.removed_at is not None:
        membership.removed_at = None
        membership.joined_at = utcnow()
        membership.role = role
    else:
        return membership
    db.session.flush()
    channel_id = channel.id
    after_commit(db.session, lambda: _live().add_to_channel(user_id, channel_id))
    return membership


def _remove_member(channel: ChatChannel, user_id: int) -> bool:
    membership = channel.membership_of(user_id)
    if membership is None:
        return False
    membership.removed_at = utcnow()
    db.session.flush()
    channel_id = channel.id
    # Removal is final only once committed; then every socket of theirs leaves the room.
    after_commit(db.session, lambda: _live().remove_from_channel(user_id, channel_id))
    return True


def join_channel(actor: Any, channel: ChatChannel) -> ChatMembership:
    """Become a member of a public room; members of other rooms just get theirs."""
    require(actor, "chat.join", channel, hide=True)
    membership = channel.membership_of(actor.id)
    if membership is not None:
        return membership
    if channel.kind != "public":
        raise NotFound()
    return _add_member(channel, actor.id)


def leave_channel(actor: Any, channel: ChatChannel) -> None:
    require(actor, "chat.view", channel, hide=True)
    if channel.kind in ("plugin", "dm"):
        raise Conflict("You cannot leave this conversation.")
    if not _remove_member(channel, actor.id):
        raise Conflict("You are not a member of this channel.")


def invite_member(actor: Any, channel: ChatChannel, user: User) -> ChatMembership:
    require(actor, "chat.view", channel, hide=True)
    require(actor, "chat.manage", channel)
    if not is_active_member(user):
        raise Invalid("That member cannot join channels.", field="user")
    return _add_member(channel, user.id)


def remove_member(actor: Any, channel: ChatChannel, user: User) -> None:
    """Take someone out of a room: their sockets stop receiving it as soon as this commits."""
    require(actor, "chat.view", channel, hide=True)
    require(actor, "chat.manage", channel)
    if not _remove_member(channel, user.id):
        raise Conflict("That member is not in this channel.")


def find_user(username: Any) -> User:
    if not isinstance(username, str) or not username.strip():
        raise Invalid("Name a member.", field="user")
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.strip().lower()))
    if user is None:
        raise NotFound("There is no member with that username.")
    return user


# --- plug-in rooms -------------------------------------------------------------------


def _scope_members(scope_type: str, scope_id: int) -> set[int] | None:
    for answer in fire("chat_channel_members", scope_type=scope_type, scope_id=scope_id):
        if answer is not None:
            return {int(user_id) for user_id in answer}
    return None


def _sync_member(channel: ChatChannel, user_id: int) -> bool:
    """Re-ask the plug-in about one member of its room; True when they belong to it."""
    allowed = _scope_members(channel.scope_type or "", channel.scope_id or 0)
    if allowed is None or user_id not in allowed:
        _remove_member(channel, user_id)
        return False
    if not channel.has_member(user_id):
        _add_member(channel, user_id)
    return True


def sync_scope(scope_type: str, scope_id: int) -> ChatChannel | None:
    """Make a plug-in room's members exactly the plug-in's list (plug-ins call this
    after their membership changes). A plug-in that no longer answers empties it."""
    channel = db.session.scalar(
        sa.select(ChatChannel).where(ChatChannel.scope_type == scope_type, ChatChannel.scope_id == scope_id)
    )
    if channel is None:
        return None
    _sync_channel(channel)
    return channel


def _sync_channel(channel: ChatChannel) -> set[int]:
    """Make ``channel``'s members the plug-in's list now; returns that list."""
    allowed = _scope_members(channel.scope_type or "", channel.scope_id or 0) or set()
    current = set(member_ids(channel.id))
    for user_id in sorted(allowed - current):
        _add_member(channel, user_id)
    for user_id in sorted(current - allowed):
        _remove_member(channel, user_id)
    return allowed


# --- live events -------------------------------------------------------------------


def broadcast(channel: ChatChannel, event: str, payload: dict, skip_sid: str | None = None) -> None:
    """Send ``event`` to everyone who may read ``channel``, once the transaction commits.

    A core room goes to its Socket.IO room, whose sockets joined and leave with the
    membership: no query here, so a busy core room's sends cost what they did.

    A plug-in room's membership can end without chat hearing of it (a council term
    that lapsed at midnight: nothing changes in the database until the expiry job
    runs), and a socket that joined its Socket.IO room earlier would keep receiving
    it. So each of its events first re-asks the plug-in (``chat_channel_members``),
    takes whoever it no longer admits out of the room in this transaction (their
    sockets leave the room and get ``channel_removed`` when it commits, before this
    event leaves), and addresses the event to the admitted members' own rooms
    (``user:<id>``), never to the room: a socket left in it by a lost ``leave_room``
    (another process, a Redis outage) still gets nothing. Plug-in rooms are small;
    the cost is the plug-in's answer and one query of the room's members per event.
    """
    if channel.kind == "plugin":
        recipients = sorted(_sync_channel(channel))
        after_commit(db.session, lambda: _live().emit_to_users(event, payload, recipients, skip_sid))
        return
    channel_id = channel.id
    after_commit(db.session, lambda: _live().emit_to_channel(event, payload, channel_id, skip_sid))


def sync_plugin_channels(actor: Any) -> list[ChatChannel]:
    """Create the plug-in rooms the actor should see (once) and sync their members."""
    found: list[ChatChannel] = []
    for contributed in fire("chat_channels_for", actor=actor):
        for spec in contributed or []:
            scope_type, scope_id = str(spec["scope_type"]), int(spec["scope_id"])
            channel = db.session.scalar(
                sa.select(ChatChannel).where(
                    ChatChannel.scope_type == scope_type, ChatChannel.scope_id == scope_id
                )
            )
            if channel is None:
                name = _clean_name(spec.get("name") or f"{scope_type} {scope_id}")
                channel = ChatChannel(
                    kind="plugin",
                    name=name,
                    slug=f"{slugify(scope_type)}-{scope_id}-{slugify(name)}"[:120],
                    topic=str(spec.get("topic") or "")[:TOPIC_MAX],
                    scope_type=scope_type,
                    scope_id=scope_id,
                )
                db.session.add(channel)
                db.session.flush()
            sync_scope(scope_type, scope_id)
            found.append(channel)
    # Rooms chat still counts them in but their plug-in no longer lists (a term that
    # lapsed without telling chat): re-ask about them too, so the list drops them.
    listed = {channel.id for channel in found}
    for channel in _plugin_rooms_of(actor.id):
        if channel.id not in listed:
            _sync_member(channel, actor.id)
    return found


def _plugin_rooms_of(user_id: int) -> list[ChatChannel]:
    return list(
        db.session.scalars(
            sa.select(ChatChannel)
            .join(ChatMembership, ChatMembership.channel_id == ChatChannel.id)
            .where(
                ChatMembership.user_id == user_id,
                ChatMembership.removed_at.is_(None),
                ChatChannel.kind == "plugin",
            )
        )
    )


def _live():
    return live
