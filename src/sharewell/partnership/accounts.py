"""Passwords, sign-in, server-side sessions and API tokens in the operational store.

Every sign-in, successful or not, is one ``login`` entry in the audit log, written in the
same transaction as the session or the failure count, so neither can happen unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from sharewell.audit import AuditEvent, append, append_change, audit_transaction
from sharewell.errors import NotFound, SharewellError
from sharewell.partnership.credentials import (
    LOCKOUT_FOR,
    hash_password,
    hash_token,
    is_locked_out,
    new_token,
    password_needs_rehash,
    verify_password,
)
from sharewell.partnership.model import User
from sharewell.partnership.store import get_organisation, user_from_row
from sharewell.store.tables import api_tokens, users, web_sessions, web_sign_in_failures

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SESSION_LIFETIME",
    "ApiToken",
    "SignInRefused",
    "SignedIn",
    "add_api_token",
    "list_api_tokens",
    "revoke_api_token",
    "session_user",
    "set_password",
    "sign_in",
    "sign_out",
    "token_organisation",
]

# NCSC: length beats complexity rules; 12 characters rules out the shortest guessable ones.
MIN_PASSWORD_LENGTH = 12
# A working day: a session outlives a shift's gaps, not a night on a shared computer.
SESSION_LIFETIME = timedelta(hours=8)

_REFUSED = "Enter a correct username and password"


class SignInRefused(SharewellError):
    """Sign-in failed; the message is safe to show (it never says which part was wrong)."""


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token for the cookie (never stored) and who it belongs to."""

    token: str
    user: User


def _utc(at: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written as UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _user_row(conn: object, username: str) -> object | None:
    return conn.execute(select(users).where(users.c.username == username)).first()  # type: ignore[attr-defined]


def set_password(engine: Engine, username: str, password: str, *, actor: str) -> None:
    """Set a user's password (stored as an argon2id hash). Audited."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SharewellError(
            f"the password for {username!r} is {len(password)} characters; use at least "
            f"{MIN_PASSWORD_LENGTH} (three random words make a good one)"
        )
    stored = hash_password(password)
    with audit_transaction(engine) as conn:
        row = _user_row(conn, username)
        if row is None:
            raise NotFound(f"unknown user {username!r}; add them with `sharewell user add`")
        user = user_from_row(row)
        conn.execute(update(users).where(users.c.username == username).values(password_hash=stored))
        # A new password ends every session and lock-out made under the old one.
        conn.execute(delete(web_sessions).where(web_sessions.c.username == username))
        conn.execute(
            delete(web_sign_in_failures).where(web_sign_in_failures.c.username == username)
        )
        append_change(
            conn,
            actor=actor,
            action="partnership_change",
            target=f"user {username}",
            organisation=user.organisation,
            role=user.role,
            detail={"changed": "password"},
        )


def sign_in(
    engine: Engine,
    username: str,
    password: str,
    *,
    previous_token: str | None = None,
    now: datetime | None = None,
) -> SignedIn:
    """Check a password and open a new session; SignInRefused otherwise. Audited either way.

    The session token is always new (a session id planted before sign-in is never promoted),
    and ``previous_token``'s session, if any, is ended.
    """
    at = now or datetime.now(UTC)
    # The audit log keeps what was typed, cut short: it may be anything, even markup.
    typed = username.strip()[:64] or "(blank)"
    with audit_transaction(engine) as conn:
        row = _user_row(conn, typed)
        user = user_from_row(row) if row is not None else None
        stored_hash = row._mapping["password_hash"] if row is not None else None  # type: ignore[attr-defined]
        failed = conn.execute(
            select(web_sign_in_failures).where(web_sign_in_failures.c.username == typed)
        ).first()
        failures = failed.failures if failed is not None else 0
        last = _utc(failed.last_failure) if failed is not None else None
        locked = user is not None and is_locked_out(failures, last, at)
        # Always run the hash check, so response time does not reveal which usernames exist.
        password_ok = verify_password(stored_hash, password)
        reason = None
        if user is None:
            reason = "unknown user"
        elif locked:
            reason = "locked out"
        elif not user.active:
            reason = "user inactive"
        elif not password_ok:
            reason = "wrong password"
        if previous_token:
            conn.execute(
                delete(web_sessions).where(web_sessions.c.token_hash == hash_token(previous_token))
            )
        if reason is not None:
            if user is not None and reason == "wrong password":
                if failed is None:
                    conn.execute(
                        insert(web_sign_in_failures).values(
                            username=typed, failures=1, last_failure=at
                        )
                    )
                else:
                    conn.execute(
                        update(web_sign_in_failures)
                        .where(web_sign_in_failures.c.username == typed)
                        .values(failures=failures + 1, last_failure=at)
                    )
            append(
                conn,
                AuditEvent(
                    actor=typed,
                    action="login",
                    target="web sign-in",
                    outcome="failed",
                    organisation=user.organisation if user else None,
                    role=user.role if user else None,
                    detail={"reason": reason},
                ),
            )
        else:
            assert user is not None
            if stored_hash and password_needs_rehash(stored_hash):
                # Hashes made with older, weaker argon2 parameters are upgraded as people sign in.
                conn.execute(
                    update(users)
                    .where(users.c.username == user.username)
                    .values(password_hash=hash_password(password))
                )
            token = new_token()
            conn.execute(
                insert(web_sessions).values(
                    token_hash=hash_token(token),
                    username=user.username,
                    created_at=at,
                    expires_at=at + SESSION_LIFETIME,
                )
            )
            conn.execute(
                delete(web_sign_in_failures).where(web_sign_in_failures.c.username == typed)
            )
            append_change(
                conn,
                actor=user.username,
                action="login",
                target="web sign-in",
                organisation=user.organisation,
                role=user.role,
            )
    if reason == "locked out":
        minutes = int(LOCKOUT_FOR.total_seconds() // 60)
        raise SignInRefused(
            f"This account is locked after too many wrong passwords. Try again in {minutes} "
            "minutes, or ask your hub administrator to reset your password"
        )
    if reason is not None or user is None:
        raise SignInRefused(_REFUSED)
    return SignedIn(token=token, user=user)


def session_user(engine: Engine, token: str, *, now: datetime | None = None) -> User | None:
    """The active user a session token belongs to, or None (unknown, expired or inactive)."""
    at = now or datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(
            select(users, web_sessions.c.expires_at)
            .join(web_sessions, web_sessions.c.username == users.c.username)
            .where(web_sessions.c.token_hash == hash_token(token))
        ).first()
    if row is None or _utc(row.expires_at) <= at or not row.active:
        return None
    return user_from_row(row)


def sign_out(engine: Engine, token: str) -> None:
    """End a session (harmless if it already ended)."""
    with engine.begin() as conn:
        conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == hash_token(token)))


def add_api_token(engine: Engine, organisation: str, *, label: str, actor: str) -> str:
    """A new API token for ``organisation``; returned once, stored only as a hash. Audited."""
    get_organisation(engine, organisation)  # NotFound names the known organisations
    token = new_token()
    with audit_transaction(engine) as conn:
        conn.execute(
            insert(api_tokens).values(
                token_hash=hash_token(token),
                organisation=organisation,
                label=label,
                created_at=datetime.now(UTC),
                created_by=actor,
                revoked=False,
            )
        )
        append_change(
            conn,
            actor=actor,
            action="partnership_change",
            target=f"api token for {organisation}",
            organisation=organisation,
            detail={"added": "api token", "label": label},
        )
    return token


def token_organisation(engine: Engine, token: str) -> str | None:
    """The organisation an API token acts for, or None if it is unknown or revoked."""
    with engine.connect() as conn:
        row = conn.execute(
            select(api_tokens.c.organisation).where(
                api_tokens.c.token_hash == hash_token(token), api_tokens.c.revoked.is_(False)
            )
        ).first()
    return row[0] if row is not None else None


# A token is named by the start of its hash: enough to tell tokens apart, useless to call with.
TOKEN_ID_LENGTH = 12


@dataclass(frozen=True)
class ApiToken:
    """An API token as the store knows it (never the token itself)."""

    id: str
    organisation: str
    label: str
    created_at: datetime
    created_by: str
    revoked: bool


def list_api_tokens(engine: Engine, organisation: str | None = None) -> list[ApiToken]:
    """Every API token (of ``organisation``, if given), oldest first, revoked ones included."""
    query = select(api_tokens).order_by(api_tokens.c.created_at)
    if organisation is not None:
        query = query.where(api_tokens.c.organisation == organisation)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        ApiToken(
            id=row["token_hash"][:TOKEN_ID_LENGTH],
            organisation=row["organisation"],
            label=row["label"],
            created_at=row["created_at"],
            created_by=row["created_by"],
            revoked=bool(row["revoked"]),
        )
        for row in rows
    ]


def revoke_api_token(engine: Engine, token_id: str, *, actor: str) -> ApiToken:
    """Revoke the token whose id (as `token list` shows it) is ``token_id``, at once. Audited."""
    found = [t for t in list_api_tokens(engine) if t.id == token_id.strip().lower()]
    if len(token_id.strip()) != TOKEN_ID_LENGTH or len(found) != 1:
        raise NotFound(f"no API token {token_id!r}; `sharewell token list` shows their ids")
    token = found[0]
    with audit_transaction(engine) as conn:
        conn.execute(
            update(api_tokens)
            .where(api_tokens.c.token_hash.startswith(token.id, autoescape=True))
            .values(revoked=True)
        )
        append_change(
            conn,
            actor=actor,
            action="partnership_change",
            target=f"api token for {token.organisation}",
            organisation=token.organisation,
            detail={"revoked": "api token", "token_id": token.id, "label": token.label},
        )
    return ApiToken(**{**token.__dict__, "revoked": True})
