"""User accounts: registration, confirmation, sign-in checks, passwords, profiles, roles.

Services take plain values and an explicit actor, raise ``DomainError`` subclasses with
messages fit for the user, flush and fire domain events; the caller commits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from app.accounts import sessions, tokens
from app.accounts.confusables import normalize_display_name, skeleton
from app.accounts.models import Organization, User
from app.accounts.passwords import hash_password, verify_password, verify_unknown_account_password
from app.accounts.places import country_code
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import ROLES, require
from app.core.sanitize import render_markdown
from app.core.settings import get_setting
from app.extensions import db
from app.notifications.mail import send_email
from app.plugins import fire

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024
DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 80
USERNAME_MAX = 30
LIST_ITEM_MAX = 60
LIST_MAX_ITEMS = 20
# Characters that reorder or hide text: a display name must read as it is stored.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class CommandLineActor:
    """The operator at the ``flask`` command line: trusted like an admin, no user row."""

    id = None
    role = "admin"
    is_authenticated = True
    is_anonymous = False
    is_suspended = False
    is_staff = True
    is_admin = True
    organization_id = None
    is_org_admin = False
    display_name = "command line"


# --- validation helpers --------------------------------------------------------------


def normalize_email(email: str) -> str:
    """Lower-cased, syntax-checked address (no DNS lookups: tests and CLI run offline)."""
    email = (email or "").strip()
    if not email or len(email) > 254:
        raise Invalid("Enter a valid email address.", field="email")
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Enter a valid email address.", field="email")
    return result.normalized.lower()


def check_password(password: str, field: str = "password") -> None:
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise Invalid(f"Choose a password of at least {PASSWORD_MIN_LENGTH} characters.", field=field)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(f"Passwords are limited to {PASSWORD_MAX_LENGTH} characters.", field=field)


def clean_display_name(name: str, exclude_user_id: int | None = None) -> tuple[str, str]:
    """Return the normalised name and its confusable skeleton, or raise Invalid.

    A name whose skeleton equals another member's would let someone pass as them
    ("Аdmin" with a Cyrillic А), so it is refused.
    """
    name = normalize_display_name(name)
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") or ch in _BIDI_CONTROLS for ch in name):
        raise Invalid("Display names cannot contain control or invisible characters.", field="display_name")
    if not DISPLAY_NAME_MIN <= len(name) <= DISPLAY_NAME_MAX:
        raise Invalid(
            f"Display names are {DISPLAY_NAME_MIN} to {DISPLAY_NAME_MAX} characters long.",
            field="display_name",
        )
    skel = skeleton(name)
    if not skel:
        raise Invalid("Display names need some visible letters.", field="display_name")
    query = sa.select(User.id).where(User.display_skeleton == skel)
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise Invalid(
            "That name looks too much like an existing member's name. Please choose another.",
            field="display_name",
        )
    return name, skel


def slugify(text: str, max_length: int = USERNAME_MAX, fallback: str = "member") -> str:
    """ASCII slug of letters, digits, ``_`` and ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text.lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-_")[:max_length].strip("-_")
    return slug or fallback


def unique_value(base: str, exists: Any, max_length: int) -> str:
    """``base``, or ``base-2``, ``base-3``… the first one for which ``exists`` is false."""
    if not exists(base):
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: max_length - len(suffix)] + suffix
        if not exists(candidate):
            return candidate
        n += 1


def _username_taken(name: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.username == name)) is not None


def derive_username(display_name: str) -> str:
    return unique_value(slugify(display_name), _username_taken, USERNAME_MAX)


def clean_list(raw: str | list[str] | None, label: str) -> list[str]:
    """Comma-separated input as a trimmed, de-duplicated list with bounded items."""
    items = raw.split(",") if isinstance(raw, str) else list(raw or [])
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = " ".join(unicodedata.normalize("NFKC", no_nul(str(item))).split())
        if not item or item.casefold() in seen:
            continue
        if len(item) > LIST_ITEM_MAX:
            raise Invalid(f"Each entry in {label} must be at most {LIST_ITEM_MAX} characters.")
        seen.add(item.casefold())
        result.append(item)
    if len(result) > LIST_MAX_ITEMS:
        raise Invalid(f"List at most {LIST_MAX_ITEMS} {label}.")
    return result


def no_nul(text: str | None) -> str:
    """Drop NUL characters: PostgreSQL text cannot hold them and no reader needs them."""
    return (text or "").replace("\x00", "")


def clean_text(value: str | None, max_length: int, label: str) -> str:
    value = " ".join(no_nul(value).split())
    if len(value) > max_length:
        raise Invalid(f"{label} must be at most {max_length} characters.")
    return value


# --- lookups -------------------------------------------------------------------------


def get_user_by_email(email: str) -> User | None:
    email = (email or "").strip().lower()
    if not email or "\x00" in email:
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def get_user_by_username(username: str) -> User:
    user = None
    if username and "\x00" not in username:
        user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound("No member with that name.")
    return user


# --- registration and confirmation -------------------------------------------------------


def create_user(
    email: str,
    display_name: str,
    password: str,
    *,
    role: str = "member",
    confirmed: bool = False,
    organization: Organization | None = None,
    is_org_admin: bool = False,
) -> User:
    """Validate and insert a user; fires ``user_registered`` (and ``user_confirmed``)."""
    email = normalize_email(email)
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.", field="role")
    name, skel = clean_display_name(display_name)
    check_password(password)
    if get_user_by_email(email) is not None:
        raise Conflict("An account with that email address already exists.", field="email")
    user = User(
        email=email,
        username=derive_username(name),
        display_name=name,
        display_skeleton=skel,
        password_hash=hash_password(password),
        role=role,
        confirmed_at=utcnow() if confirmed else None,
        organization=organization,
        is_org_admin=bool(organization is not None and is_org_admin),
    )
    db.session.add(user)
    db.session.flush()
    fire("user_registered", user=user)
    if confirmed:
        fire("user_confirmed", user=user)
    return user


def registration_refusal(email: str | None = None) -> str | None:
    """Why the site's registration setting refuses a self-service sign-up (``None``
    when it is allowed). Without an address, only invitation-only mode refuses:
    the page then says so before anyone types anything."""
    mode = get_setting("registration_mode")
    if mode == "invitation":
        return "Registration is by invitation only. Ask your organization's admin to invite you."
    if mode == "domains" and email is not None:
        domains = get_setting("registration_domains") or []
        if email.rpartition("@")[2].strip().lower() not in domains:
            listed = ", ".join(domains) or "none yet"
            return f"Registration is open to addresses at these domains only: {listed}."
    return None


def register_user(email: str, display_name: str, password: str, confirm: str | None = None) -> User:
    """Self-service sign-up: an unconfirmed member plus a confirmation email.

    A duplicate address gets the same Conflict as the CLI; the register page is the one
    place an address's existence is visible, as on most community sites.
    """
    if confirm is not None and confirm != password:
        raise Invalid("The two passwords do not match.", field="confirm")
    refusal = registration_refusal(email)
    if refusal is not None:
        raise PermissionDenied(refusal, field="email")
    user = create_user(email, display_name, password)
    send_confirmation(user)
    return user


def send_confirmation(user: User) -> None:
    raw = tokens.issue_token(user, tokens.CONFIRM)
    link = tokens.external_url("accounts.confirm", token=raw)
    send_email(
        user.email,
        "Confirm your email address",
        f"Hello {user.display_name},\n\nPlease confirm your email address by opening this link:\n\n"
        f"{link}\n\nIf you did not sign up, you can ignore this message.\n",
    )


def resend_confirmation(email: str) -> None:
    """Send a fresh link if the address belongs to an unconfirmed account; silent otherwise."""
    try:
        email = normalize_email(email)
    except Invalid:
        return
    user = get_user_by_email(email)
    if user is not None and not user.is_confirmed:
        send_confirmation(user)


def confirm_email(raw_token: str) -> User:
    user = tokens.consume_token(raw_token, tokens.CONFIRM)
    if not user.is_confirmed:
        user.confirmed_at = utcnow()
        db.session.flush()
        fire("user_confirmed", user=user)
    return user


def mark_confirmed(user: User) -> None:
    """Confirm without a token: the caller has other proof the address is theirs."""
    if not user.is_confirmed:
        user.confirmed_at = utcnow()
        db.session.flush()
        fire("user_confirmed", user=user)


# --- signing in ------------------------------------------------------------------------


class LoginRefused(Invalid):
    """Right password, but the account may not sign in now (unconfirmed or suspended)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def authenticate(email: str, password: str) -> User:
    """The user for these credentials, or Invalid with one generic message.

    An unknown address still costs one hash check (and no more) so timing does not
    reveal accounts. Only with the right password do we say why an account cannot sign in.
    """
    generic = Invalid("That email and password do not match an account.")
    user = get_user_by_email(email)
    if user is None:
        verify_unknown_account_password(password or "")
        raise generic
    if not verify_password(user.password_hash, password or ""):
        raise generic
    if not user.is_confirmed:
        raise LoginRefused("Please confirm your email address before signing in.", "unconfirmed")
    if user.is_suspended:
        until = user.suspended_until.strftime("%d %B %Y %H:%M UTC") if user.suspended_until else ""
        reason = user.suspended_reason or "no reason given"
        raise LoginRefused(f"Your account is suspended until {until}. Reason: {reason}", "suspended")
    return user


def record_login(user: User) -> str:
    """Note the sign-in and open a server-side session for this browser; returns the
    id the browser's cookies will carry."""
    user.last_seen_at = utcnow()
    return sessions.open_session(user)


def record_logout(user: Any, session_id: str | None) -> None:
    """End this browser's sign-in on the server, so a copy of its session or
    remember-me cookie no longer works; the member's other browsers stay signed in.

    Live connections end through ``user_logged_out`` (chat). Pages cached for the old
    cookie go stale when the caller commits: deleting the session row bumps this
    member's page-cache generation after the commit, never before it.
    """
    if not getattr(user, "is_authenticated", False):
        return
    sessions.end_session(user, session_id)
    db.session.flush()
    fire("user_logged_out", user=user)


def sign_out_everywhere(actor: Any) -> int:
    """Retire every session and remember-me cookie of the actor, this browser's too;
    returns how many browsers were signed in."""
    require(actor, "user.edit", actor)
    ended = sessions.end_all_sessions(actor)
    db.session.flush()
    fire("user_logged_out", user=actor)
    return ended


# --- passwords ---------------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Email a reset link if the address has an account; the caller answers the same either way."""
    try:
        email = normalize_email(email)
    except Invalid:
        return
    user = get_user_by_email(email)
    if user is None:
        return
    raw = tokens.issue_token(user, tokens.RESET)
    link = tokens.external_url("accounts.reset_password", token=raw)
    send_email(
        user.email,
        "Reset your password",
        f"Hello {user.display_name},\n\nSomeone asked to reset the password of your account. "
        f"To choose a new password, open this link (it works once, within the hour):\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )


def check_reset_token(raw_token: str) -> User:
    """The user a reset link belongs to, without using it up (to show the form)."""
    return tokens.find_token(raw_token, tokens.RESET).user


def _set_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    # Whoever knew the old password may hold a session: every browser is signed out
    # (rows deleted), and the rotated token ends any cookie made before rows existed.
    sessions.end_all_sessions(user)
    user.session_token = secrets.token_urlsafe(16)


def reset_password(raw_token: str, password: str, confirm: str | None = None) -> User:
    """Choose a new password with an emailed link; the link works exactly once, even
    when it is submitted several times at the same moment."""
    if confirm is not None and confirm != password:
        raise Invalid("The two passwords do not match.", field="confirm")
    check_password(password)
    # Hash before using up the token: the token's row stays locked until the commit.
    password_hash = hash_password(password)
    user = tokens.consume_token(raw_token, tokens.RESET)
    _set_password_hash(user, password_hash)
    # The email link proved the address, so an unconfirmed account becomes confirmed.
    mark_confirmed(user)
    db.session.flush()
    return user


def change_password(actor: User, current_password: str, new_password: str, confirm: str | None = None) -> str:
    """Change the actor's password and sign out every browser but theirs.

    All sessions end and this browser gets a fresh one, whose id is returned for the
    caller to sign in with.
    """
    require(actor, "user.edit", actor)
    if not verify_password(actor.password_hash, current_password or ""):
        raise Invalid("Your current password is not correct.", field="current_password")
    if confirm is not None and confirm != new_password:
        raise Invalid("The two passwords do not match.", field="confirm")
    check_password(new_password, field="password")
    _set_password_hash(actor, hash_password(new_password))
    return sessions.open_session(actor)


# --- profiles and roles ------------------------------------------------------------------


def update_profile(
    actor: Any,
    user: User,
    *,
    display_name: str,
    bio: str = "",
    job_title: str = "",
    region: str = "",
    country: str = "",
    languages: str | list[str] = "",
    specialisms: str | list[str] = "",
) -> User:
    require(actor, "user.edit", user)
    name, skel = clean_display_name(display_name, exclude_user_id=user.id)
    bio = no_nul(bio)
    if len(bio) > 10_000:
        raise Invalid("Bios are limited to 10,000 characters.", field="bio")
    values = {
        "job_title": clean_text(job_title, 120, "Job title"),
        "region": clean_text(region, 80, "Region"),
        # A listed country is stored as its ISO code (shown by name); text saved
        # before the lists existed stays as it was.
        "country": country_code(clean_text(country, 80, "Country")) or clean_text(country, 80, "Country"),
        "languages": clean_list(languages, "languages"),
        "specialisms": clean_list(specialisms, "specialisms"),
    }
    if name != user.display_name:
        user.display_name = name
        user.display_skeleton = skel
    user.bio = bio
    user.bio_html = render_markdown(bio)
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    fire("profile_updated", user=user, actor=actor)
    return user


def set_role(actor: Any, user: User, role: str, reason: str = "") -> User:
    """Change a member's role (admins only), recorded in the moderators' audit log."""
    require(actor, "user.manage", user)
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}.", field="role")
    old = user.role
    if old == role:
        return user
    if getattr(actor, "id", None) == user.id and old == "admin":
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    user.role = role
    db.session.flush()
    _audit(actor, "user.set_role", "user", user.id, reason, {"from": old, "to": role})
    fire("user_role_changed", user=user, actor=actor, old_role=old, new_role=role)
    return user


def record_audit(
    actor: Any, action: str, target_type: str, target_id: int, reason: str = "", details: dict | None = None
) -> None:
    """Log an accounts action (role change, join-request decision) in the audit log."""
    _audit(actor, action, target_type, target_id, reason, details or {})


def _audit(actor: Any, action: str, target_type: str, target_id: int, reason: str, details: dict) -> None:
    # Moderation owns the audit log and sits above accounts: it writes the entry from
    # its ``audit_event`` listener, in this transaction.
    fire(
        "audit_event",
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason or "",
        details=details,
    )
