"""CSRF tokens: the web's own piece of signing in (passwords and tokens: partnership)."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["csrf_token", "csrf_valid"]


def csrf_token(session_id: str, secret: str) -> str:
    """The CSRF token for a session: an HMAC of its id, so it needs no storage of its own."""
    return hmac.new(secret.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def csrf_valid(session_id: str, secret: str, submitted: str | None) -> bool:
    """Whether a form's submitted token belongs to this session (constant-time compare)."""
    # As bytes: compare_digest refuses non-ASCII str, and a forged token may be anything.
    expected = csrf_token(session_id, secret).encode()
    return bool(submitted) and hmac.compare_digest(expected, (submitted or "").encode())
