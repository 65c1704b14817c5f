"""Passwords, tokens and lock-out: the small pure pieces signing in is built from."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "LOCKOUT_AFTER",
    "LOCKOUT_FOR",
    "hash_password",
    "hash_token",
    "is_locked_out",
    "new_token",
    "password_needs_rehash",
    "verify_password",
]

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# Five wrong passwords in a row lock the account for fifteen minutes (NCSC guidance allows
# throttling of this kind; a permanent lock would let anyone lock a colleague out).
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``, safe to store."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False for a missing or corrupt hash)."""
    if not stored_hash:
        # Spend the same time as a real check, so timing does not reveal which users exist.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> str:
    """A fresh unguessable token (session ids, API tokens): 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token: tokens are stored hashed, never in the clear."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_locked_out(
    failures_since_success: int, last_failure: datetime | None, now: datetime
) -> bool:
    """Whether an account is locked after repeated wrong passwords."""
    if failures_since_success < LOCKOUT_AFTER or last_failure is None:
        return False
    return now - last_failure < LOCKOUT_FOR
