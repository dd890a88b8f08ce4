"""Password hashing with Argon2id (memory-hard), tuned from config.

Tests lower the cost through ``ARGON2_TIME_COST``/``ARGON2_MEMORY_COST`` so that a
suite creating hundreds of users stays fast; production keeps the library defaults.
"""

from __future__ import annotations

import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_hashers: dict[tuple[int, int], PasswordHasher] = {}
# One throwaway hash per cost setting, made once per process: see verify_unknown_account_password.
_dummy_hashes: dict[tuple[int, int], str] = {}
_dummy_lock = threading.Lock()


def _cost() -> tuple[int, int]:
    return (
        int(current_app.config.get("ARGON2_TIME_COST", 3)),
        int(current_app.config.get("ARGON2_MEMORY_COST", 65536)),
    )


def _hasher() -> PasswordHasher:
    key = _cost()
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


def verify_unknown_account_password(password: str) -> None:
    """Spend what checking a real account's password costs, for an address with no
    account, so the answer's timing does not tell which addresses have accounts.

    That is exactly one verification: the hash it verifies against is made once per
    process (and cost setting) under a lock, never per attempt; a hash per attempt
    made unknown addresses take twice as long as known ones.
    """
    key = _cost()
    dummy = _dummy_hashes.get(key)
    if dummy is None:
        with _dummy_lock:
            dummy = _dummy_hashes.get(key)
            if dummy is None:
                dummy = _dummy_hashes[key] = hash_password(secrets.token_urlsafe(16))
    verify_password(dummy, password)
