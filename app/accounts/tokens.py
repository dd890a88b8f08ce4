"""Single-use, expiring tokens for email confirmation, password reset and invitations.

The raw token only ever travels in an email link; the database keeps its SHA-256, so a
leaked backup cannot be used to confirm an address or take over an account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from app.accounts.models import AuthToken, User
from app.core.db import utcnow
from app.core.errors import Invalid
from app.extensions import db

CONFIRM = "confirm"
RESET = "reset"
_MAX_AGE_SETTING = {CONFIRM: "CONFIRM_TOKEN_MAX_AGE", RESET: "RESET_TOKEN_MAX_AGE"}


def new_raw_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256((raw or "").encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """Store a hashed token for ``user`` and return the raw value for the email link.

    Earlier unused tokens of the same purpose are retired, so only the newest link works.
    """
    now = utcnow()
    db.session.execute(
        sa.update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(pagecache_users=[user.id])
    )
    raw = new_raw_token()
    max_age = int(current_app.config[_MAX_AGE_SETTING[purpose]])
    db.session.add(
        AuthToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(raw),
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    db.session.flush()
    return raw


def find_token(raw: str, purpose: str) -> AuthToken:
    """The usable token for ``raw``; raises Invalid when unknown, used or expired."""
    token = db.session.scalar(
        sa.select(AuthToken).where(AuthToken.token_hash == hash_token(raw), AuthToken.purpose == purpose)
    )
    if token is None:
        raise Invalid("This link is not valid. Please request a new one.")
    if token.used_at is not None:
        raise Invalid("This link has already been used. Please request a new one.")
    if token.expires_at <= utcnow():
        raise Invalid("This link has expired. Please request a new one.")
    return token


def consume_token(raw: str, purpose: str) -> User:
    """Use the token up and return its user: exactly once, even under concurrency.

    Reading ``used_at`` and then writing it would let several requests holding the
    same link all see it unused. One conditional UPDATE decides instead: the
    database lets a single statement match the unused row (SQLite serialises
    writers; PostgreSQL re-checks the condition after the winner commits), and the
    others find it used and get the usual "already been used" error.
    """
    token = find_token(raw, purpose)
    now = utcnow()
    result = db.session.execute(
        sa.update(AuthToken)
        .where(AuthToken.id == token.id, AuthToken.used_at.is_(None), AuthToken.expires_at > now)
        .values(used_at=now)
        .execution_options(pagecache_users=[token.user_id])
    )
    if result.rowcount != 1:
        raise Invalid("This link has already been used. Please request a new one.")
    return token.user


def external_url(endpoint: str, **values: object) -> str:
    """``SERVER_BASE_URL`` + the endpoint's path, with or without a request context."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["SERVER_BASE_URL"].rstrip("/") + path
