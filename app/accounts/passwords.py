"""Password hashing with Argon2id (memory-hard), tuned from config.

Tests lower the cost through ``ARGON2_TIME_COST``/``ARGON2_MEMORY_COST`` so that a
suite creating hundreds of users stays fast; production keeps the library defaults.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers: dict[tuple[int, int], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    key = (
        int(current_app.config.get("ARGON2_TIME_COST", 3)),
        int(current_app.config.get("ARGON2_MEMORY_COST", 65536)),
    )
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return _hashers[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
