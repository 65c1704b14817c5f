"""Passwords are hashed with argon2, tokens hashed at rest, CSRF tied to the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sharewell.partnership.credentials import (
    LOCKOUT_AFTER,
    LOCKOUT_FOR,
    hash_password,
    hash_token,
    is_locked_out,
    new_token,
    verify_password,
)
from sharewell.web.security import csrf_token, csrf_valid


def test_password_is_stored_as_argon2_and_verifies() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery staple")
    assert not verify_password(stored, "Correct horse battery staple")
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_tokens_are_unique_and_stored_hashed() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert hash_token(a) != a and len(hash_token(a)) == 64


def test_csrf_token_belongs_to_one_session() -> None:
    token = csrf_token("session-1", "secret")
    assert csrf_valid("session-1", "secret", token)
    assert not csrf_valid("session-2", "secret", token)
    assert not csrf_valid("session-1", "secret", None)
    assert not csrf_valid("session-1", "other-secret", token)


def test_lockout_after_repeated_failures_expires() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert not is_locked_out(LOCKOUT_AFTER - 1, now, now)
    assert is_locked_out(LOCKOUT_AFTER, now - timedelta(minutes=1), now)
    assert not is_locked_out(LOCKOUT_AFTER, now - LOCKOUT_FOR - timedelta(seconds=1), now)
