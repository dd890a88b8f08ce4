"""User-group services: every read and write takes an explicit ``actor`` and checks it.

Privacy is decided here, not in views: ``group_for`` answers ``NotFound`` to anyone a
hidden group does not admit, exactly as for a slug that does not exist, so pages,
forum, chat and notifications built on these functions cannot tell outsiders it
exists. Membership moves by conditional UPDATE (``WHERE status = <what we saw>``) and
a missing row is inserted with ``ON CONFLICT DO NOTHING``, so two leaders approving
one request, or two clicks on "Join", change one row once and the loser gets a
``Conflict``. The boundary (view, command) commits; services only flush.

Leader eligibility is, for now, a fixed rule (``LEADER_ROLES_ELIGIBLE``: a mentor or
an admin). The issue asks for an admin setting (role, organization tier,
certification) and for flagging leaders who stop being eligible; neither exists yet.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import User
from app.accounts.places import country_code
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import is_active_member, is_admin, is_authenticated, is_partner_member
from app.core.sanitize import render_markdown, too_costly
from app.core.textcheck import check_text
from app.extensions import db
from app.forums.posting import slugify
from app.forums.services import is_watching_category, toggle_category_watch
from app.forums.spaces import ensure_forum_space, space_category
from app.notifications.services import notify
from app.plugins import fire
from app.plugins.groups.models import (
    JOIN_POLICIES,
    KINDS,
    LEADER_ROLES,
    VISIBILITIES,
    Group,
    GroupInvitation,
    GroupLeader,
    GroupMembership,
)

NAME_MAX = 120
PLACE_MAX = 80
DESCRIPTION_MAX = 10_000
NOTE_MAX = 1_000
TAGS_MAX = 10
TAG_MAX = 40
SLUG_MAX = 80
SCOPE_TYPE = "group"  # chat rooms, forum spaces and membership events
FORUM_DESCRIPTION = "The group's own discussions."
# Who may be appointed a leader: a fixed rule until the admin setting exists.
LEADER_ROLES_ELIGIBLE = frozenset({"mentor", "admin"})
# Statuses from which a person may (re)enter by joining, an approval or an invitation.
MAY_ENTER_FROM = ("pending", "declined", "left", "removed")
NOTIFICATION_KINDS = {
    "group_request": "Someone asked to join a group you lead",
    "group_joined": "Your request to join a group was approved",
    "group_invitation": "An invitation to join a user group",
    "group_announcement": "An announcement from a group you are in",
}


# --- who is in --------------------------------------------------------------------------


def membership_of(user: Any, group: Group) -> GroupMembership | None:
    if not is_authenticated(user) or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        sa.select(GroupMembership).where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == user.id
        )
    )


def is_member(user: Any, group: Group) -> bool:
    membership = membership_of(user, group)
    return membership is not None and membership.status == "active"


def is_banned(user: Any, group: Group) -> bool:
    membership = membership_of(user, group)
    return membership is not None and membership.status == "banned"


def leader_of(user: Any, group: Group) -> GroupLeader | None:
    if not is_authenticated(user) or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(
        sa.select(GroupLeader).where(GroupLeader.group_id == group.id, GroupLeader.user_id == user.id)
    )


def may_manage(user: Any, group: Group) -> bool:
    """Admins and the group's leaders (organizers, co-organizers) decide on members."""
    return is_admin(user) or (is_active_member(user) and leader_of(user, group) is not None)


def is_organizer(user: Any, group: Group) -> bool:
    leader = leader_of(user, group)
    return leader is not None and leader.role == "organizer"


def has_pending_invitation(user: Any, group: Group) -> bool:
    if not is_authenticated(user) or getattr(user, "id", None) is None:
        return False
    return (
        db.session.scalar(
            sa.select(GroupInvitation.id).where(
                GroupInvitation.group_id == group.id,
                GroupInvitation.user_id == user.id,
                GroupInvitation.status == "pending",
            )
        )
        is not None
    )


def may_see(user: Any, group: Group) -> bool:
    """Public and members-only groups are known to every signed-in member; a hidden one
    only to its members, its leaders, whoever holds an invitation to it, and admins."""
    if not is_authenticated(user):
        return False
    if group.visibility != "hidden":
        return True
    return (
        is_admin(user)
        or is_member(user, group)
        or leader_of(user, group) is not None
        or has_pending_invitation(user, group)
    )


def may_see_members(user: Any, group: Group) -> bool:
    """Who is in a public group is visible to signed-in members; in a members-only or
    hidden group, to its members, leaders and admins."""
    if not may_see(user, group):
        return False
    if group.visibility == "public":
        return True
    return is_admin(user) or is_member(user, group) or leader_of(user, group) is not None


def may_enter_space(user: Any, group: Group) -> bool:
    """The group's forum category and chat: its active members. A public group's forum
    is also open to the site's partner members (as a members-only category is), except
    to those the group banned."""
    if not is_active_member(user):
        return False
    membership = membership_of(user, group)
    if membership is not None and membership.status == "active":
        return True
    if group.visibility == "public":
        return is_partner_member(user) and not (membership is not None and membership.status == "banned")
    return False


def group_for(actor: Any, slug: str) -> Group:
    """The group, if ``actor`` may know it exists; otherwise the same ``NotFound`` a
    missing slug gives."""
    group = db.session.scalar(sa.select(Group).where(Group.slug == (slug or "")[:SLUG_MAX]))
    if group is None or not may_see(actor, group):
        raise NotFound()
    return group


def group_by_id_for(actor: Any, group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None or not may_see(actor, group):
        raise NotFound()
    return group


def visible_groups(actor: Any) -> list[Group]:
    """Every group ``actor`` may know of, by name."""
    if not is_authenticated(actor):
        return []
    query = sa.select(Group).order_by(Group.name)
    if not is_admin(actor):
        mine = sa.select(GroupMembership.group_id).where(
            GroupMembership.user_id == actor.id, GroupMembership.status == "active"
        )
        led = sa.select(GroupLeader.group_id).where(GroupLeader.user_id == actor.id)
        invited = sa.select(GroupInvitation.group_id).where(
            GroupInvitation.user_id == actor.id, GroupInvitation.status == "pending"
        )
        query = query.where(
            sa.or_(
                Group.visibility != "hidden",
                Group.id.in_(mine),
                Group.id.in_(led),
                Group.id.in_(invited),
            )
        )
    return list(db.session.scalars(query))


def groups_of(actor: Any) -> list[Group]:
    """Groups ``actor`` is an active member of."""
    if not is_authenticated(actor):
        return []
    return list(
        db.session.scalars(
            sa.select(Group)
            .join(GroupMembership, GroupMembership.group_id == Group.id)
            .where(GroupMembership.user_id == actor.id, GroupMembership.status == "active")
            .order_by(Group.name)
        )
    )


def _words(values: Any) -> set[str]:
    return {str(v).strip().lower() for v in (values or []) if str(v).strip()}


def same_country(value: str | None) -> str:
    """A country as its ISO code when it names a listed one ("Ireland", "ie" and "IE"
    agree: profiles store codes, admins may type names), else the lower-cased text."""
    return (country_code(value) or value or "").strip().lower()


def matches_member(group: Group, user: Any) -> bool:
    """A regional group in the member's region or country; a topic group sharing one of
    the member's specialisms."""
    if group.kind == "regional":
        region, country = (user.region or "").strip().lower(), same_country(user.country)
        return bool(
            (region and group.region.strip().lower() == region)
            or (country and same_country(group.country) == country)
        )
    return bool(_words(group.topic_tags) & _words(user.specialisms))


def groups_near(actor: Any) -> list[Group]:
    """ "Groups near you": visible, not hidden, that ``actor`` is not in, has not asked to
    join and is not banned from, matching their region, country or specialisms."""
    if not is_authenticated(actor):
        return []
    taken = set(
        db.session.scalars(
            sa.select(GroupMembership.group_id).where(
                GroupMembership.user_id == actor.id,
                GroupMembership.status.in_(("active", "pending", "banned")),
            )
        )
    )
    candidates = db.session.scalars(sa.select(Group).where(Group.visibility != "hidden").order_by(Group.name))
    return [g for g in candidates if g.id not in taken and matches_member(g, actor)]


def leaders(group: Group) -> list[GroupLeader]:
    """Organizers first, then co-organizers, each by appointment."""
    rows = db.session.scalars(sa.select(GroupLeader).where(GroupLeader.group_id == group.id))
    return sorted(rows, key=lambda row: (row.role != "organizer", row.id))


def active_member_ids(group_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(GroupMembership.user_id).where(
                GroupMembership.group_id == group_id, GroupMembership.status == "active"
            )
        )
    )


def members(actor: Any, group: Group) -> list[GroupMembership]:
    """Active members, in the order they joined; only to those who may see them."""
    if not may_see_members(actor, group):
        raise NotFound()
    return list(
        db.session.scalars(
            sa.select(GroupMembership)
            .where(GroupMembership.group_id == group.id, GroupMembership.status == "active")
            .order_by(GroupMembership.joined_at, GroupMembership.id)
        )
    )


def pending_requests(actor: Any, group: Group) -> list[GroupMembership]:
    require_leader(actor, group)
    return list(
        db.session.scalars(
            sa.select(GroupMembership)
            .where(GroupMembership.group_id == group.id, GroupMembership.status == "pending")
            .order_by(GroupMembership.requested_at, GroupMembership.id)
        )
    )


def banned_members(actor: Any, group: Group) -> list[GroupMembership]:
    require_leader(actor, group)
    return list(
        db.session.scalars(
            sa.select(GroupMembership)
            .where(GroupMembership.group_id == group.id, GroupMembership.status == "banned")
            .order_by(GroupMembership.ended_at, GroupMembership.id)
        )
    )


def require_leader(actor: Any, group: Group) -> None:
    """Leaders' pages and actions: ``NotFound`` to whoever may not know the group,
    ``PermissionDenied`` to its other members and visitors who may see it."""
    if not may_see(actor, group):
        raise NotFound()
    if not may_manage(actor, group):
        raise PermissionDenied("Only the group's leaders do that.")


# --- groups and leaders -------------------------------------------------------------------


def _clean_text(value: Any, field: str, limit: int, required: bool = True, multiline: bool = False) -> str:
    """Stripped text within ``limit`` that UTF-8 can store; one line unless ``multiline``."""
    text = value if isinstance(value, str) else ""
    text = text.strip() if multiline else " ".join(text.split())
    if required and not text:
        raise Invalid("This field is required.", field=field)
    if "\x00" in text:  # PostgreSQL text cannot hold it; refuse on every database alike
        raise Invalid("The text contains a NUL character.", field=field)
    if len(text) > limit:
        raise Invalid(f"At most {limit} characters.", field=field)
    try:
        check_text(text)
    except Invalid as error:
        raise Invalid(error.message, field=field) from error
    return text


def clean_line(value: Any, field: str, limit: int) -> str:
    """One required line of text (for other modules of the plug-in)."""
    return _clean_text(value, field, limit)


def clean_block(value: Any, field: str, limit: int) -> str:
    """Required multi-line text (Markdown) for other modules of the plug-in."""
    return _clean_text(value, field, limit, multiline=True)


def _clean_tags(tags: Any) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple):
        raise Invalid("Topic tags: words separated by commas.", field="topic_tags")
    cleaned: list[str] = []
    for tag in tags:
        tag = _clean_text(tag if isinstance(tag, str) else "", "topic_tags", TAG_MAX, required=False)
        if tag and tag.lower() not in {t.lower() for t in cleaned}:
            cleaned.append(tag)
    if len(cleaned) > TAGS_MAX:
        raise Invalid(f"At most {TAGS_MAX} topic tags.", field="topic_tags")
    return cleaned


def _free_slug(name: str) -> str:
    base = slugify(name, fallback="group", limit=SLUG_MAX - 4)
    taken = set(db.session.scalars(sa.select(Group.slug).where(Group.slug.like(f"{base}%"))))
    if base not in taken and base not in RESERVED_SLUGS:
        return base
    for n in range(2, 1000):
        if f"{base}-{n}" not in taken:
            return f"{base}-{n}"
    raise Conflict("No free address for a group of this name.")


# Paths under /groups/ that are pages, not groups.
RESERVED_SLUGS = frozenset({"new", "invitations", "admin"})


def _group_fields(
    name: Any,
    kind: Any,
    region: Any,
    country: Any,
    topic_tags: Any,
    description: Any,
    visibility: Any,
    join_policy: Any,
    watch_on_join: Any,
    same_group: Group | None = None,
) -> dict[str, Any]:
    """A group's settings, checked: what creating and editing a group share."""
    name = _clean_text(name, "name", NAME_MAX)
    if kind not in KINDS:
        raise Invalid("Kind: regional or topic.", field="kind")
    if visibility not in VISIBILITIES:
        raise Invalid("Visibility: public, members only or hidden.", field="visibility")
    if join_policy not in JOIN_POLICIES:
        raise Invalid("Joining: open, by request or by invitation.", field="join_policy")
    region = _clean_text(region, "region", PLACE_MAX, required=False)
    country = _clean_text(country, "country", PLACE_MAX, required=False)
    tags = _clean_tags(topic_tags)
    if kind == "regional" and not (region or country):
        raise Invalid("A regional group needs a region or a country.", field="region")
    if kind == "topic" and not tags:
        raise Invalid("A topic group needs at least one topic tag.", field="topic_tags")
    description = _clean_text(description, "description", DESCRIPTION_MAX, required=False, multiline=True)
    problem = too_costly(description)
    if problem:
        raise Invalid(problem, field="description")
    clash = sa.select(Group.id).where(sa.func.lower(Group.name) == name.lower())
    if same_group is not None:
        clash = clash.where(Group.id != same_group.id)
    if db.session.scalar(clash):
        raise Invalid("A group with this name exists.", field="name")
    return {
        "name": name,
        "kind": kind,
        "region": region if kind == "regional" else "",
        "country": country if kind == "regional" else "",
        "topic_tags": tags,
        "description": description,
        "description_html": render_markdown(description) if description else "",
        "visibility": visibility,
        "join_policy": join_policy,
        "watch_on_join": bool(watch_on_join),
    }


def create_group(
    actor: Any,
    name: str,
    *,
    kind: str = "regional",
    region: str = "",
    country: str = "",
    topic_tags: Any = (),
    description: str = "",
    visibility: str = "public",
    join_policy: str = "open",
    watch_on_join: bool = True,
) -> Group:
    """An admin creates a group; its forum category exists from the start."""
    if not is_admin(actor):
        raise PermissionDenied()
    fields = _group_fields(
        name, kind, region, country, topic_tags, description, visibility, join_policy, watch_on_join
    )
    group = Group(slug=_free_slug(fields["name"]), created_by_id=actor.id, **fields)
    db.session.add(group)
    db.session.flush()
    ensure_forum_space(SCOPE_TYPE, group.id, group.name, FORUM_DESCRIPTION)
    return group


def update_group(
    actor: Any,
    group: Group,
    *,
    name: str,
    kind: str,
    region: str = "",
    country: str = "",
    topic_tags: Any = (),
    description: str = "",
    visibility: str,
    join_policy: str,
    watch_on_join: bool = True,
) -> Group:
    """An admin changes a group's settings; its address (slug) stays, so links keep
    working, and its forum follows the new name. Tightening visibility takes effect at
    once, since every page and the forum ask on each access."""
    if not is_admin(actor):
        raise PermissionDenied()
    fields = _group_fields(
        name, kind, region, country, topic_tags, description, visibility, join_policy, watch_on_join, group
    )
    for key, value in fields.items():
        setattr(group, key, value)
    db.session.flush()
    ensure_forum_space(SCOPE_TYPE, group.id, group.name, FORUM_DESCRIPTION)
    return group


def user_named(username: Any) -> User | None:
    """The member with ``username``, or ``None`` for anything that names no one
    (including text no username can hold)."""
    if not isinstance(username, str):
        return None
    username = username.strip()
    if not username or len(username) > 40 or "\x00" in username:
        return None
    return db.session.scalar(sa.select(User).where(User.username == username))


def leader_refusal(user: Any) -> str | None:
    """Why ``user`` may not lead a group, in words; ``None`` when they may."""
    if not isinstance(user, User) or user.is_suspended:
        return "Choose an active member of the site."
    if user.role not in LEADER_ROLES_ELIGIBLE:
        return f"{user.display_name} cannot lead a group: leaders are mentors or admins."
    return None


def ineligible_leaders(actor: Any) -> list[GroupLeader]:
    """Leaders who no longer meet the eligibility rule (a mentor made a member again, a
    suspended account), for admins to review: they are flagged, never removed silently."""
    if not is_admin(actor):
        raise PermissionDenied()
    rows = db.session.scalars(sa.select(GroupLeader).order_by(GroupLeader.group_id, GroupLeader.id))
    return [row for row in rows if leader_refusal(row.user) is not None]


def appoint_leader(actor: Any, group: Group, user: Any, role: str = "organizer") -> GroupLeader:
    """An admin appoints an organizer or co-organizer; an organizer appoints
    co-organizers. The leader becomes an active member (a ban is lifted only by
    choice: a banned person is refused)."""
    require_leader(actor, group)
    if role not in LEADER_ROLES:
        raise Invalid("Role: organizer or co-organizer.", field="role")
    if not is_admin(actor) and not (role == "co_organizer" and is_organizer(actor, group)):
        raise PermissionDenied("Admins appoint organizers; organizers appoint co-organizers.")
    refusal = leader_refusal(user)
    if refusal:
        raise Invalid(refusal, field="user")
    if is_banned(user, group):
        raise Conflict(f"{user.display_name} is banned from this group: lift the ban first.")
    leader = leader_of(user, group)
    if leader is not None and leader.role == role:
        raise Conflict(f"{user.display_name} is already {leader.role_label.lower()} of this group.")
    if leader is not None and leader.role == "organizer" and not is_admin(actor):
        raise PermissionDenied("Only an admin changes an organizer's role.")
    if not is_member(user, group):
        _enter(group, user, actor)
    if leader is None:
        leader = GroupLeader(group_id=group.id, user_id=user.id)
        db.session.add(leader)
    leader.role = role
    leader.appointed_by_id = actor.id
    db.session.flush()
    return leader


def remove_leader(actor: Any, leader: GroupLeader) -> None:
    """Only an admin removes an organizer; an organizer may remove a co-organizer. The
    person stays a member."""
    group = leader.group
    require_leader(actor, group)
    if leader.role == "organizer" and not is_admin(actor):
        raise PermissionDenied("Only an admin removes an organizer.")
    if not is_admin(actor) and not is_organizer(actor, group):
        raise PermissionDenied("Organizers and admins remove co-organizers.")
    db.session.delete(leader)
    db.session.flush()


# --- membership ------------------------------------------------------------------------------


def _insert_membership(values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): a concurrent request's
    row is not an error; the caller reads the row back and decides."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: through the ORM session PostgreSQL's rowcount for this
    # statement is -1, which read as "someone else's row" and refused every join there.
    statement = (
        insert(GroupMembership).values(**values).on_conflict_do_nothing().returning(GroupMembership.id)
    )
    return db.session.execute(statement).first() is not None


def _move(
    group: Group, user: Any, to: str, allowed_from: tuple[str, ...], refusal: str, **values: Any
) -> GroupMembership:
    """Put ``user``'s membership of ``group`` in status ``to``, from one of
    ``allowed_from`` (or from nothing): one conditional write, so of two concurrent
    moves from one state exactly one succeeds and the other raises ``Conflict``."""
    now = utcnow()
    values = {"status": to, **values}
    row = membership_of(user, group)
    if row is None:
        if _insert_membership({"group_id": group.id, "user_id": user.id, "created_at": now, **values}):
            return membership_of(user, group)
        row = membership_of(user, group)
    if row is None or row.status not in allowed_from:
        raise Conflict(refusal)
    result = db.session.execute(
        sa.update(GroupMembership)
        .where(GroupMembership.id == row.id, GroupMembership.status == row.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(refusal)
    db.session.refresh(row)
    return row


def _enter(
    group: Group,
    user: Any,
    actor: Any,
    allowed_from: tuple[str, ...] = MAY_ENTER_FROM,
    refusal: str = "",
    **values: Any,
) -> GroupMembership:
    """Make ``user`` an active member (callers refuse a ban first, in their words)."""
    values.setdefault("automatic", False)
    membership = _move(
        group,
        user,
        "active",
        allowed_from,
        refusal or f"{user.display_name} is already a member of this group.",
        joined_at=utcnow(),
        ended_at=None,
        **values,
    )
    fire(
        "membership_changed", scope_type=SCOPE_TYPE, scope_id=group.id, user=user, actor=actor, kind="joined"
    )
    _watch_forum(group, user)
    return membership


def _watch_forum(group: Group, user: Any) -> None:
    """Joining starts watching the group's forum when that is the group's default
    level, through the forums' own service (which checks the member may read it)."""
    category = space_category(SCOPE_TYPE, group.id)
    if not group.watch_on_join or category is None or is_watching_category(user, category):
        return
    try:
        toggle_category_watch(user, category)
    except (NotFound, PermissionDenied):  # a member the forum refuses (e.g. suspended): no watch
        return


def enter_automatically(group: Group, user: Any) -> GroupMembership:
    """An automatic membership rule adds ``user`` (who never had a place in ``group``)."""
    return _enter(group, user, None, allowed_from=(), automatic=True)


def _require_writer(actor: Any) -> None:
    if not is_active_member(actor):
        raise PermissionDenied()


def join(actor: Any, group: Group) -> GroupMembership:
    """Join an open group at once."""
    _require_writer(actor)
    if not may_see(actor, group):
        raise NotFound()
    status = (membership_of(actor, group) or GroupMembership(status="")).status
    if status == "banned":
        raise Conflict("You cannot join this group.")
    if status == "active":
        raise Conflict("You are already a member of this group.")
    if group.join_policy == "request":
        raise Invalid("This group takes requests: ask to join, and a leader will answer.")
    if group.join_policy == "invitation":
        raise Invalid("This group is by invitation only: a leader must invite you.")
    return _enter(group, actor, actor)


def request_to_join(actor: Any, group: Group, note: str = "") -> GroupMembership:
    """Ask to join a by-request group, with an optional note for the leaders."""
    _require_writer(actor)
    if not may_see(actor, group):
        raise NotFound()
    if group.join_policy != "request":
        raise Invalid(
            "This group is open: join it directly."
            if group.join_policy == "open"
            else "This group is by invitation only: a leader must invite you."
        )
    note = _clean_text(note, "note", NOTE_MAX, required=False)
    status = (membership_of(actor, group) or GroupMembership(status="")).status
    if status == "banned":
        raise Conflict("You cannot join this group.")
    if status == "active":
        raise Conflict("You are already a member of this group.")
    if status == "pending":
        raise Conflict("You have already asked to join; a leader will answer.")
    membership = _move(
        group,
        actor,
        "pending",
        ("declined", "left", "removed"),
        "You have already asked to join; a leader will answer.",
        note=note,
        requested_at=utcnow(),
        decision_note="",
        decided_by_id=None,
    )
    for leader in leaders(group):
        if leader.user_id != actor.id:
            notify(
                leader.user,
                "group_request",
                f"{actor.display_name} asked to join {group.name}.",
                f"/groups/{group.slug}/lead",
                actor=actor,
            )
    return membership


def decide_request(actor: Any, membership: GroupMembership, approve: bool, note: str = "") -> GroupMembership:
    """A leader approves or declines a request (with an optional note). Answering twice,
    or two leaders at once, gives one decision and a ``Conflict`` for the other."""
    group = membership.group
    require_leader(actor, group)
    note = _clean_text(note, "note", NOTE_MAX, required=False)
    answered = "This request has already been answered."
    if membership.status != "pending":
        raise Conflict(answered)
    if approve:
        membership = _enter(
            group,
            membership.user,
            actor,
            allowed_from=("pending",),
            refusal=answered,
            decision_note=note,
            decided_by_id=actor.id,
        )
        notify(
            membership.user,
            "group_joined",
            f"Welcome to {group.name}: your request to join was approved.",
            f"/groups/{group.slug}",
            actor=actor,
        )
        return membership
    return _move(
        group,
        membership.user,
        "declined",
        ("pending",),
        answered,
        decision_note=note,
        decided_by_id=actor.id,
    )


def leave(actor: Any, group: Group) -> GroupMembership:
    """A member leaves; a co-organizer leaving steps down too. An organizer stays until
    an admin removes them (only admins remove an organizer)."""
    if not may_see(actor, group):
        raise NotFound()
    leader = leader_of(actor, group)
    if leader is not None and leader.role == "organizer":
        raise Conflict("An organizer cannot leave: ask an admin to hand the group to someone else.")
    membership = _move(
        group, actor, "left", ("active",), "You are not a member of this group.", ended_at=utcnow()
    )
    if leader is not None:
        db.session.delete(leader)
        db.session.flush()
    fire("membership_changed", scope_type=SCOPE_TYPE, scope_id=group.id, user=actor, actor=actor, kind="left")
    return membership


def _guard_target(actor: Any, group: Group, membership: GroupMembership) -> None:
    require_leader(actor, group)
    if membership.group_id != group.id:
        raise NotFound()
    if membership.user_id == getattr(actor, "id", None):
        raise Invalid("Leave the group instead.")
    if leader_of(membership.user, group) is not None:
        raise Conflict(f"{membership.user.display_name} leads this group: remove them as a leader first.")


def remove_member(actor: Any, group: Group, membership: GroupMembership) -> GroupMembership:
    """A leader removes a member; they may come back by the group's joining policy."""
    _guard_target(actor, group, membership)
    user = membership.user
    membership = _move(
        group, user, "removed", ("active",), f"{user.display_name} is not a member.", ended_at=utcnow()
    )
    fire(
        "membership_changed", scope_type=SCOPE_TYPE, scope_id=group.id, user=user, actor=actor, kind="removed"
    )
    return membership


def ban(actor: Any, group: Group, membership: GroupMembership, note: str = "") -> GroupMembership:
    """A leader bans a member (or a requester): they cannot join, ask or accept an
    invitation again until a leader lifts the ban; pending invitations are revoked."""
    _guard_target(actor, group, membership)
    note = _clean_text(note, "note", NOTE_MAX, required=False)
    user = membership.user
    was_active = membership.status == "active"
    membership = _move(
        group,
        user,
        "banned",
        ("pending", "active", "declined", "left", "removed"),
        f"{user.display_name} is already banned.",
        ended_at=utcnow(),
        decision_note=note,
        decided_by_id=actor.id,
    )
    db.session.execute(
        sa.update(GroupInvitation)
        .where(
            GroupInvitation.group_id == group.id,
            GroupInvitation.user_id == user.id,
            GroupInvitation.status == "pending",
        )
        .values(status="revoked", decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if was_active:
        fire(
            "membership_changed",
            scope_type=SCOPE_TYPE,
            scope_id=group.id,
            user=user,
            actor=actor,
            kind="removed",
        )
    return membership


def lift_ban(actor: Any, group: Group, membership: GroupMembership) -> GroupMembership:
    """A leader lifts a ban: the person may come back by the group's joining policy."""
    require_leader(actor, group)
    if membership.group_id != group.id:
        raise NotFound()
    return _move(group, membership.user, "removed", ("banned",), "This member is not banned.")


# --- invitations -----------------------------------------------------------------------------


def invite(actor: Any, group: Group, user: Any) -> GroupInvitation:
    """A leader invites a member of the site; they join when they accept."""
    require_leader(actor, group)
    if not isinstance(user, User) or user.is_suspended:
        raise Invalid("Choose an active member of the site.", field="username")
    status = (membership_of(user, group) or GroupMembership(status="")).status
    if status == "banned":
        raise Conflict(f"{user.display_name} is banned from this group: lift the ban first.")
    if status == "active":
        raise Conflict(f"{user.display_name} is already a member of this group.")
    if has_pending_invitation(user, group):
        raise Conflict(f"{user.display_name} is already invited.")
    invitation = GroupInvitation(group_id=group.id, user_id=user.id, invited_by_id=actor.id)
    db.session.add(invitation)
    db.session.flush()
    notify(
        user,
        "group_invitation",
        f"You are invited to join {group.name}.",
        f"/groups/{group.slug}",
        actor=actor,
    )
    return invitation


def my_invitations(actor: Any) -> list[GroupInvitation]:
    if not is_authenticated(actor):
        return []
    return list(
        db.session.scalars(
            sa.select(GroupInvitation)
            .where(GroupInvitation.user_id == actor.id, GroupInvitation.status == "pending")
            .order_by(GroupInvitation.id)
        )
    )


def answer_invitation(actor: Any, invitation: GroupInvitation, accept: bool) -> GroupInvitation:
    """The invitee accepts (and joins, whatever the joining policy) or declines; an
    invitation is answered once."""
    _require_writer(actor)
    if invitation.user_id != actor.id:
        raise NotFound()
    group = invitation.group
    if accept and is_banned(actor, group):
        raise Conflict("You cannot join this group.")
    answered = db.session.execute(
        sa.update(GroupInvitation)
        .where(GroupInvitation.id == invitation.id, GroupInvitation.status == "pending")
        .values(status="accepted" if accept else "declined", decided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if answered.rowcount != 1:
        raise Conflict("This invitation has already been answered.")
    db.session.refresh(invitation)
    if accept and not is_member(actor, group):
        _enter(group, actor, actor)
    return invitation
