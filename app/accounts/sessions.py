"""Signed-in browsers, recorded on the server so that signing out really ends them.

Flask's session cookie and Flask-Login's remember-me cookie are signed, not stored:
on their own, a copy of either keeps working after the browser signs out (the
session cookie until it expires, the remember-me cookie for its whole lifetime).
Flask-Login's documented remedy is an "alternative token" as the user id: here
``User.get_id()`` is ``"<user id>:<user's session token>:<browser key>"``, and each
browser key has a :class:`UserSession` row. The user loader accepts an id only while
its row exists, so deleting the row retires both cookies of that one browser; other
browsers keep theirs. The per-user token still ends every browser at once where a
whole account is concerned (a suspension rotates it).

Each row also expires with the longer of the two cookies' lifetimes, so a copied
remember-me cookie cannot outlive the sign-in it came from, and abandoned rows are
cleared out the next time their member signs in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import User, UserSession
from app.core.db import utcnow
from app.extensions import db

# "<digits>:<token>:<key>": urlsafe base64 tokens, bounded so junk is refused early.
_SESSION_ID = re.compile(r"([0-9]{1,18}):([A-Za-z0-9_-]{1,64}):([A-Za-z0-9_-]{16,64})")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _as_timedelta(value: object) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value or 0))  # type: ignore[arg-type]


def session_lifetime() -> timedelta:
    """How long one sign-in may last: as long as the longer-lived of its cookies."""
    config = current_app.config
    return max(
        _as_timedelta(config.get("REMEMBER_COOKIE_DURATION") or timedelta(days=365)),
        _as_timedelta(config.get("PERMANENT_SESSION_LIFETIME") or timedelta(days=31)),
    )


def open_session(user: User) -> str:
    """Record a new signed-in browser for ``user`` and return the id Flask-Login
    stores in its cookies (``login_user`` reads it through ``user.get_id()``)."""
    now = utcnow()
    db.session.execute(
        sa.delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at <= now)
        .execution_options(pagecache_users=[user.id])
    )
    key = secrets.token_urlsafe(24)
    db.session.add(
        UserSession(
            user_id=user.id, key_hash=_key_hash(key), created_at=now, expires_at=now + session_lifetime()
        )
    )
    db.session.flush()
    user.session_key = key
    return user.get_id()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user for a live browser session, else None.

    None (a visitor) for ids of retired, expired or malformed sessions, for a user
    whose session token has rotated, and for a suspended user.
    """
    match = _SESSION_ID.fullmatch(session_id or "")
    if match is None:
        return None
    user_id, token, key = int(match[1]), match[2], match[3]
    user = db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, UserSession.key_hash == _key_hash(key), UserSession.expires_at > utcnow())
    )
    if user is None or not secrets.compare_digest(user.session_token, token) or user.is_suspended:
        return None
    user.session_key = key
    return user


def end_session(user: User, session_id: str | None) -> None:
    """Retire one browser's session: its session and remember-me cookies stop working."""
    match = _SESSION_ID.fullmatch(session_id or "")
    if match is None or int(match[1]) != user.id:
        return
    db.session.execute(
        sa.delete(UserSession)
        .where(UserSession.user_id == user.id, UserSession.key_hash == _key_hash(match[3]))
        .execution_options(pagecache_users=[user.id])
    )
    user.session_key = None


def end_all_sessions(user: User) -> int:
    """Retire every browser session of ``user``; returns how many were live."""
    result = db.session.execute(
        sa.delete(UserSession)
        .where(UserSession.user_id == user.id)
        .execution_options(pagecache_users=[user.id])
    )
    user.session_key = None
    return result.rowcount or 0


def count_sessions(user: User) -> int:
    """Browsers where ``user`` is signed in (for the settings page)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(UserSession.id)).where(
                UserSession.user_id == user.id, UserSession.expires_at > utcnow()
            )
        )
        or 0
    )
