"""``can(actor, action, obj)``: the one place that decides who may see or do what.

Services call it before they read or write; views only use it to decide what to show.
Objects are inspected by attribute so this module imports no feature package. Plug-ins
may add rules through the ``permission_rule`` hook; a plug-in's answer wins only for
actions the core does not know, or when it says ``False`` (plug-ins can restrict, not
widen, core rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context, has_request_context, request

from app.core.errors import NotFound, PermissionDenied, SignInRequired

ROLES = ("member", "mentor", "moderator", "admin")
STAFF_ROLES = frozenset({"moderator", "admin"})

# Access policies stored on categories: "everyone", "members", or a comma list of roles.
POLICY_EVERYONE = "everyone"
POLICY_MEMBERS = "members"


def is_authenticated(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def is_staff(actor: Any) -> bool:
    return is_authenticated(actor) and getattr(actor, "role", None) in STAFF_ROLES


def is_admin(actor: Any) -> bool:
    return is_authenticated(actor) and getattr(actor, "role", None) == "admin"


def is_active_member(actor: Any) -> bool:
    """Signed in, confirmed or not, and not suspended: may write."""
    return is_authenticated(actor) and not getattr(actor, "is_suspended", False)


def is_silenced(actor: Any) -> bool:
    """Silenced by a moderator: may sign in and read, may not post (app/moderation)."""
    return bool(getattr(actor, "is_silenced", False))


def may_write(actor: Any) -> bool:
    """An active member who is not silenced: may post topics, replies, comments, chat."""
    return is_active_member(actor) and not is_silenced(actor)


# Where ``create_app`` puts the site-settings reader (app/core/settings.py registers
# ``get_setting`` there): settings import this module for ``require``, so rules that
# follow a setting read it through the app instead of importing settings.
SETTING_READER_KEY = "guildhall_setting_reader"


def site_setting(key: str, default: Any) -> Any:
    """A site setting's value in effect, or ``default`` outside an app or before the
    settings are wired (unit tests of bare rules)."""
    if not has_app_context():
        return default
    reader = current_app.extensions.get(SETTING_READER_KEY)
    return default if reader is None else reader(key)


def is_partner_member(actor: Any) -> bool:
    """Who may open members-only spaces, by the site's "partner member" setting:
    every signed-in member, confirmed members, or confirmed members of an organization."""
    if not is_authenticated(actor):
        return False
    if is_staff(actor):
        return True
    rule = site_setting("partner_member_rule", "confirmed_in_org")
    if rule == "signed_in":
        return True
    confirmed = getattr(actor, "confirmed_at", None) is not None
    if rule == "confirmed":
        return confirmed
    return confirmed and getattr(actor, "organization_id", None) is not None


def policy_allows(policy: str | None, actor: Any) -> bool:
    """Evaluate a category access policy string for an actor."""
    policy = (policy or POLICY_EVERYONE).strip()
    if is_staff(actor):
        return True
    if policy == POLICY_EVERYONE:
        return True
    if not is_authenticated(actor):
        return False
    if policy == POLICY_MEMBERS:
        return True
    roles = {part.strip() for part in policy.split(",") if part.strip()}
    return getattr(actor, "role", None) in roles


def parse_policy(policy: str) -> str:
    """Normalise a policy string; raises ValueError for unknown roles."""
    policy = (policy or "").strip()
    if policy in (POLICY_EVERYONE, POLICY_MEMBERS):
        return policy
    roles = [part.strip() for part in policy.split(",") if part.strip()]
    if not roles or any(role not in ROLES for role in roles):
        raise ValueError(f"unknown access policy {policy!r}")
    return ",".join(sorted(set(roles), key=ROLES.index))


# --- core rules --------------------------------------------------------------------


PLUGIN_MANAGER_KEY = "guildhall_plugins"  # where build_plugin_manager puts the manager


def space_member(actor: Any, space_type: str, space_id: int) -> bool:
    """Does the plug-in owning the forum space ``(space_type, space_id)`` admit ``actor``?

    Only a ``True`` answer admits: ``None`` (not my scope) and no answer at all (the
    plug-in is disabled or unknown) keep the space closed to everyone. Staff get no
    implicit pass: a council's confidentiality binds admins who do not sit on it. A
    stand-in actor without an id (``sign_in_would_allow``) is never a member.
    """
    if not is_authenticated(actor) or getattr(actor, "id", None) is None or not has_app_context():
        return False
    manager = current_app.extensions.get(PLUGIN_MANAGER_KEY)
    if manager is None:
        return False
    # A topic page asks about its category once per post and action; a read-only
    # request cannot change a membership, so its answers are remembered for the request
    # (never across requests: an ended term or a removal counts at the next one).
    memo = None
    if has_request_context() and request.method in ("GET", "HEAD"):
        memo = request.environ.setdefault("guildhall.space_members", {})
        key = (actor.id, space_type, space_id)
        if key in memo:
            return memo[key]
    answers = manager.hook.forum_space_member(actor=actor, scope_type=space_type, scope_id=space_id)
    admitted = any(answer is True for answer in answers)
    if memo is not None:
        memo[key] = admitted
    return admitted


def _category_view(actor: Any, category: Any) -> bool:
    parent = getattr(category, "parent", None)
    if parent is not None and not _category_view(actor, parent):
        return False
    space_type = getattr(category, "space_type", None)
    if space_type is not None:
        # A plug-in's private space: its members only, whatever the stored policies say.
        return space_member(actor, space_type, category.space_id)
    if (category.view_policy or "").strip() == POLICY_MEMBERS:
        # A members-only space: who counts as a member follows the site setting
        # (posting policies named "members" stay "any signed-in member").
        return is_partner_member(actor)
    return policy_allows(category.view_policy, actor)


def _topic_create(actor: Any, category: Any) -> bool:
    return (
        is_active_member(actor)
        and _category_view(actor, category)
        and policy_allows(category.topic_policy, actor)
    )


def _topic_view(actor: Any, topic: Any) -> bool:
    if not _category_view(actor, topic.category):
        return False
    if getattr(topic, "deleted_at", None) is not None or getattr(topic, "hidden", False):
        return is_staff(actor) or (
            is_authenticated(actor)
            and topic.author_id == actor.id
            and getattr(topic, "deleted_at", None) is not None
        )
    return True


def _topic_reply(actor: Any, topic: Any) -> bool:
    if not is_active_member(actor) or not _topic_view(actor, topic):
        return False
    if getattr(topic, "locked", False) and not is_staff(actor):
        return False
    return policy_allows(topic.category.reply_policy, actor)


def _post_view(actor: Any, post: Any) -> bool:
    if not _topic_view(actor, post.topic):
        return False
    if getattr(post, "hidden", False) or getattr(post, "deleted_at", None) is not None:
        return is_staff(actor) or (is_authenticated(actor) and post.author_id == actor.id)
    return True


def _post_edit(actor: Any, post: Any) -> bool:
    if not is_active_member(actor) or not _post_view(actor, post):
        return False
    if is_staff(actor):
        return True
    if getattr(post.topic, "locked", False) or getattr(post, "hidden", False):
        return False
    return post.author_id == actor.id and getattr(post, "deleted_at", None) is None


def _post_delete(actor: Any, post: Any) -> bool:
    return _post_edit(actor, post)


def _post_restore(actor: Any, post: Any) -> bool:
    if not is_active_member(actor) or not _topic_view(actor, post.topic):
        return False
    return is_staff(actor) or post.author_id == actor.id


def _post_like(actor: Any, post: Any) -> bool:
    return is_active_member(actor) and _post_view(actor, post) and post.author_id != actor.id


def _post_flag(actor: Any, post: Any) -> bool:
    return is_active_member(actor) and _post_view(actor, post) and post.author_id != actor.id


def _staff_only(actor: Any, obj: Any = None) -> bool:
    return is_staff(actor) and not getattr(actor, "is_suspended", False)


def _admin_only(actor: Any, obj: Any = None) -> bool:
    return is_admin(actor)


def _org_create(actor: Any, obj: Any = None) -> bool:
    """Admins always; members too when the "organization creation" setting allows it."""
    if is_admin(actor):
        return True
    return is_active_member(actor) and bool(site_setting("organization_creation", False))


def _org_manage(actor: Any, org: Any) -> bool:
    if is_admin(actor):
        return True
    if not is_active_member(actor):
        return False
    return getattr(actor, "organization_id", None) == org.id and getattr(actor, "is_org_admin", False)


def _user_edit(actor: Any, user: Any) -> bool:
    return is_active_member(actor) and (actor.id == user.id or is_admin(actor))


def _signed_in(actor: Any, obj: Any = None) -> bool:
    return is_active_member(actor)


RULES: dict[str, Callable[[Any, Any], bool]] = {
    "category.view": _category_view,
    "topic.create": _topic_create,
    "topic.view": _topic_view,
    "topic.reply": _topic_reply,
    "topic.watch": lambda actor, topic: is_authenticated(actor) and _topic_view(actor, topic),
    "category.watch": lambda actor, cat: is_authenticated(actor) and _category_view(actor, cat),
    "post.view": _post_view,
    "post.edit": _post_edit,
    "post.delete": _post_delete,
    "post.restore": _post_restore,
    "post.like": _post_like,
    "post.flag": _post_flag,
    "post.history": _post_view,
    "moderation.review": _staff_only,
    # Staff act only on what they can see: a plug-in's private space (a council's
    # forum) is closed to staff who are not its members, so they cannot act there.
    "post.hide": lambda actor, post: _staff_only(actor) and _post_view(actor, post),
    "topic.lock": lambda actor, topic: _staff_only(actor) and _topic_view(actor, topic),
    "topic.pin": lambda actor, topic: _staff_only(actor) and _topic_view(actor, topic),
    "topic.move": lambda actor, topic: _staff_only(actor) and _topic_view(actor, topic),
    "user.suspend": _staff_only,
    "user.silence": _staff_only,
    "audit.view": _staff_only,
    "category.manage": _admin_only,
    "user.manage": _admin_only,
    "org.create": _org_create,
    "org.manage": _org_manage,
    "user.edit": _user_edit,
    "notifications.view": _signed_in,
}


# --- chat (app/chat) ---------------------------------------------------------------
# Channels are inspected by attribute: ``kind`` and ``has_member(user_id)``. DMs and
# private channels exist only for their members (services answer 404 to anyone else).


def _chat_channel_view(actor: Any, channel: Any) -> bool:
    if not is_active_member(actor):
        return False
    if channel.kind == "public":
        return True
    return channel.has_member(actor.id)


def _chat_channel_post(actor: Any, channel: Any) -> bool:
    return is_active_member(actor) and channel.has_member(actor.id)


def _chat_channel_manage(actor: Any, channel: Any) -> bool:
    """Invite and remove: the owner (or staff) of a public or private channel. DM
    participants are fixed and plug-in channels follow their group."""
    if not is_active_member(actor) or channel.kind not in ("public", "private"):
        return False
    if is_staff(actor):
        return True
    membership = channel.membership_of(actor.id)
    return membership is not None and membership.role == "owner"


def _chat_message_edit(actor: Any, message: Any) -> bool:
    return (
        is_active_member(actor)
        and message.author_id == actor.id
        and message.deleted_at is None
        and message.channel.has_member(actor.id)
    )


def _chat_message_delete(actor: Any, message: Any) -> bool:
    """Authors delete their own; moderators delete any message they can see."""
    if not is_active_member(actor) or message.deleted_at is not None:
        return False
    if is_staff(actor):
        return _chat_channel_view(actor, message.channel)
    return message.author_id == actor.id and message.channel.has_member(actor.id)


RULES.update(
    {
        "chat.use": _signed_in,
        "chat.channel.create": _signed_in,
        "chat.view": _chat_channel_view,
        "chat.join": _chat_channel_view,
        "chat.post": _chat_channel_post,
        "chat.manage": _chat_channel_manage,
        "chat.message.edit": _chat_message_edit,
        "chat.message.delete": _chat_message_delete,
        "chat.announce": _staff_only,
    }
)
# --- end chat ----------------------------------------------------------------------

# --- referrals (app/referrals/) ---------------------------------------------------
# A referral is seen by the members of its two organizations and by admins (not
# moderators). Only members act: the recipient side answers and reports progress, the
# sender side withdraws. Admins look but never act on another organization's behalf.


def _in_org(actor: Any, org_id: Any) -> bool:
    return org_id is not None and getattr(actor, "organization_id", None) == org_id


def _referral_view(actor: Any, referral: Any) -> bool:
    if not is_active_member(actor):
        return False
    if is_admin(actor):
        return True
    return _in_org(actor, referral.sender_org_id) or _in_org(actor, referral.recipient_org_id)


def _referral_use(actor: Any, obj: Any = None) -> bool:
    """The referrals pages: members of an organization, and admins."""
    return is_active_member(actor) and (
        is_admin(actor) or getattr(actor, "organization_id", None) is not None
    )


def _referral_send(actor: Any, obj: Any = None) -> bool:
    return is_active_member(actor) and getattr(actor, "organization_id", None) is not None


def _referral_respond(actor: Any, referral: Any) -> bool:
    return is_active_member(actor) and _in_org(actor, referral.recipient_org_id)


def _referral_withdraw(actor: Any, referral: Any) -> bool:
    return is_active_member(actor) and _in_org(actor, referral.sender_org_id)


def _referral_history(actor: Any, org: Any) -> bool:
    return is_active_member(actor) and (is_admin(actor) or _in_org(actor, org.id))


RULES.update(
    {
        "referral.use": _referral_use,
        "referral.send": _referral_send,
        "referral.view": _referral_view,
        "referral.respond": _referral_respond,
        "referral.withdraw": _referral_withdraw,
        "referral.history": _referral_history,
    }
)
# --- end referrals -----------------------------------------------------------------


# --- network: connections, follows, messages (app/directory) --------------------------


def _network_use(actor: Any, obj: Any = None) -> bool:
    """Connect, follow and message members: signed in, not suspended and with a
    confirmed address (an unconfirmed account could be anyone's, so it may not reach
    out to members)."""
    return is_active_member(actor) and bool(getattr(actor, "is_confirmed", False))


RULES.update({"network.use": _network_use})
# --- end network -------------------------------------------------------------------

# --- directory listing (app/directory) -------------------------------------------------
# Custom profile fields are defined by admins; the CSV export of the directory holds
# every listed member's details in one file, so it is for admins only.
RULES.update({"directory.fields.manage": _admin_only, "directory.export": _admin_only})
# --- end directory listing -----------------------------------------------------------

# --- uploads (app/uploads) --------------------------------------------------------------
# An upload is inspected by attribute: ``scope``, ``post`` and ``owner_id``. Avatars and
# logos are public; an attachment is as readable as the post it was first used in, and
# one in no post (just uploaded, or its post purged) only by its owner.


def _upload_view(actor: Any, upload: Any) -> bool:
    if upload.scope == "public":
        return True
    post = getattr(upload, "post", None)
    if upload.scope == "post" and post is not None:
        return _post_view(actor, post)
    return is_authenticated(actor) and actor.id == upload.owner_id


RULES.update({"upload.view": _upload_view, "upload.create": _signed_in})
# --- end uploads -------------------------------------------------------------------------

# --- admin area (app/admin) ---------------------------------------------------------------
# The admin area and everything in it is for administrators; moderators keep their own
# pages under /mod. Plug-in admin pages name their own actions.
RULES.update(
    {
        "admin.view": _admin_only,
        "settings.manage": _admin_only,
        "admin.users": _admin_only,
        "admin.export_user": _admin_only,
        "admin.email": _admin_only,
        "admin.plugins": _admin_only,
    }
)
# --- end admin area -------------------------------------------------------------------------


# --- silence (app/moderation) -------------------------------------------------------
# A silenced member keeps reading but every rule that writes content says no. The
# unsilenced rule is kept so ``require`` can tell "silenced" (a clear message) from
# "not allowed at all" (403, or 404 for a private thing).


def _post_comment(actor: Any, post: Any) -> bool:
    return (
        is_active_member(actor)
        and getattr(post, "deleted_at", None) is None
        and _post_view(actor, post)
        and (not getattr(post.topic, "locked", False) or is_staff(actor))
    )


RULES["post.comment"] = _post_comment
SILENCEABLE_ACTIONS = ("topic.create", "topic.reply", "post.comment", "chat.post", "chat.message.edit")
_UNSILENCED_RULES: dict[str, Callable[[Any, Any], bool]] = {
    action: RULES[action] for action in SILENCEABLE_ACTIONS
}


def _unless_silenced(rule: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def silenced_rule(actor: Any, obj: Any = None) -> bool:
        return not is_silenced(actor) and rule(actor, obj)

    silenced_rule.__doc__ = rule.__doc__
    return silenced_rule


RULES.update({action: _unless_silenced(RULES[action]) for action in SILENCEABLE_ACTIONS})


def _post_edit_unless_silenced(actor: Any, post: Any) -> bool:
    """A silenced member cannot edit their posts either (that is posting); staff are
    never silenced."""
    return _post_edit(actor, post) and (is_staff(actor) or not is_silenced(actor))


RULES["post.edit"] = _post_edit_unless_silenced
_UNSILENCED_RULES["post.edit"] = _post_edit


def silenced_message(actor: Any) -> str:
    until = getattr(actor, "silenced_until", None)
    when = f" until {until:%Y-%m-%d %H:%M} UTC" if until is not None else ""
    reason = (getattr(actor, "silenced_reason", "") or "").strip()
    message = f"A moderator has silenced your account{when}: you can read, but not post."
    return f"{message} Reason: {reason}" if reason else message


# --- end silence ---------------------------------------------------------------------


def only_for_actions(*actions: str) -> Callable:
    """Declare which actions a ``permission_rule`` implementation can answer.

    ``can`` then skips that implementation for every other action. Optional: an
    undeclared implementation is asked about every action.
    """

    def mark(fn: Callable) -> Callable:
        fn.guildhall_actions = frozenset(actions)  # type: ignore[attr-defined]
        return fn

    return mark


def _permission_hook(action: str) -> Any:
    """The ``permission_rule`` hook caller, or None when no plug-in may answer ``action``.

    ``can`` runs dozens of times per page; calling a pluggy hook whose implementations
    all abstain cost more than the rules themselves. ``get_hookimpls()`` is asked every
    time (it is a list copy), so a plug-in registered at run time is honoured at once.
    """
    if not has_app_context():
        return None
    manager = current_app.extensions.get(PLUGIN_MANAGER_KEY)
    if manager is None:
        return None
    hook = manager.hook.permission_rule
    for impl in hook.get_hookimpls():
        declared = getattr(impl.function, "guildhall_actions", None)
        if declared is None or action in declared:
            return hook
    return None


def can(actor: Any, action: str, obj: Any = None) -> bool:
    """Return whether ``actor`` may perform ``action`` on ``obj``."""
    rule = RULES.get(action)
    allowed = rule(actor, obj) if rule is not None else False
    if rule is not None and not allowed:
        return False  # plug-ins may only restrict a core rule, never widen it
    hook = _permission_hook(action)
    if hook is not None:
        answers = hook(actor=actor, action=action, obj=obj)
        if rule is None and any(answer is True for answer in answers):
            allowed = not any(answer is False for answer in answers)
        elif any(answer is False for answer in answers):
            allowed = False
    return allowed


class _PartnerMember:
    """A stand-in for "any partner member": asks whether signing in would let a
    visitor see something, without naming any real account."""

    id = None
    role = "member"
    is_authenticated = True
    is_anonymous = False
    is_suspended = False
    is_silenced = False
    is_staff = False
    is_admin = False
    is_org_admin = False
    confirmed_at = True
    organization_id = 0


SIGN_IN_ACTIONS = frozenset({"category.view", "topic.view", "post.view"})


def sign_in_would_allow(actor: Any, action: str, obj: Any = None) -> bool:
    """A visitor refused a members-only space that any partner member may read: they
    are asked to sign in. Staff-only and other private things stay hidden."""
    if is_authenticated(actor) or action not in SIGN_IN_ACTIONS:
        return False
    rule = RULES.get(action)
    return rule is not None and rule(_PartnerMember(), obj)


def require(actor: Any, action: str, obj: Any = None, *, hide: bool = False) -> None:
    """Raise PermissionDenied (or NotFound when ``hide``: private things answer 404;
    SignInRequired for a visitor at a members-only space)."""
    if not can(actor, action, obj):
        if sign_in_would_allow(actor, action, obj):
            raise SignInRequired()
        unsilenced = _UNSILENCED_RULES.get(action)
        if is_silenced(actor) and unsilenced is not None and unsilenced(actor, obj):
            raise PermissionDenied(silenced_message(actor))
        if hide:
            raise NotFound()
        raise PermissionDenied()
