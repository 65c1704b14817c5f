"""Tables of the operational store; Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

__all__ = ["hub_info", "metadata"]

# Naming convention so that constraint names are stable across SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

hub_info = Table(
    "hub_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- governance: partnership, agreements, audit (migration 0002) ------------------------

from sqlalchemy import (  # noqa: E402 - appended section keeps merges with other capabilities clean
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Text,
)

__all__ += [
    "agreements",
    "audit_chain_head",
    "audit_log",
    "audit_persons",
    "organisations",
    "purposes",
    "users",
]

organisations = Table(
    "organisations",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(32), nullable=False),
    Column("code", String(16), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

purposes = Table(
    "purposes",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("organisation", String(64), ForeignKey("organisations.slug"), nullable=False),
    Column("role", String(16), nullable=False),
    # Set by the web capability's login; NULL means the user cannot log in with a password yet.
    Column("password_hash", String(255), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("title", String(300), nullable=False),
    Column("status", String(16), nullable=False),
    # The whole validated agreement as canonical JSON: versions are never edited in place.
    Column("document", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_file", String(500), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(64), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Assigned by the writer under the chain-head lock, so it is gap-free and ordered.
    Column("seq", Integer, primary_key=True, autoincrement=False),
    # ISO 8601 text (UTC) rather than DateTime: it is hashed, so it must round-trip exactly.
    Column("recorded_at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("organisation", String(64), nullable=True),
    Column("role", String(16), nullable=True),
    Column("purpose", String(64), nullable=True),
    Column("action", String(32), nullable=False),
    Column("target", Text, nullable=False),
    Column("agreement_id", String(64), nullable=True),
    Column("agreement_version", Integer, nullable=True),
    Column("persons", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    # The audit key that sealed the entry (HMAC-SHA256); NULL before the hub had keys (0004).
    Column("key_id", String(32), nullable=True),
)
Index("ix_audit_log_agreement_id", audit_log.c.agreement_id)

audit_persons = Table(
    "audit_persons",
    metadata,
    Column("seq", Integer, ForeignKey("audit_log.seq"), primary_key=True, autoincrement=False),
    Column("person_id", String(64), primary_key=True),
)
Index("ix_audit_persons_person_id", audit_persons.c.person_id)

# One row (id = 1): the newest entry's seq and hash. Appends lock it, so concurrent writers
# queue up and the chain stays single; verification also compares the log's tail against it.
audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    # HMAC of (seq, hash) under the key that seals the head: cutting the tail and rewinding
    # the head cannot be resealed without the key (0004).
    Column("key_id", String(32), nullable=True),
    Column("seal", String(64), nullable=True),
)

# --- web: sessions, sign-in failures, API tokens (migration 0003) -------------------------

__all__ += ["api_tokens", "web_sessions", "web_sign_in_failures"]

# Server-side sessions; the cookie holds the token, the table only its SHA-256.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("users.username"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_web_sessions_username", web_sessions.c.username)

# Wrong passwords in a row since the last successful sign-in, for the lock-out.
web_sign_in_failures = Table(
    "web_sign_in_failures",
    metadata,
    Column("username", String(64), ForeignKey("users.username"), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure", DateTime(timezone=True), nullable=False),
)

# System-to-system API tokens, one organisation each, stored hashed.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("organisation", String(64), ForeignKey("organisations.slug"), nullable=False),
    Column("label", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

# --- web: upload jobs (migration 0005) --------------------------------------------------

from sqlalchemy import Text  # noqa: E402 - appended section keeps merges with other capabilities clean

__all__ += ["upload_jobs"]

# An upload loading in the background: any web worker shows its progress and takes the
# analyst's decision; the worker running it writes each stage here (``worker``: host:pid).
upload_jobs = Table(
    "upload_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), ForeignKey("users.username"), nullable=False),
    Column("organisation", String(64), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("source_type", String(64), nullable=False),
    Column("stage", String(500), nullable=False),
    Column("step", Integer, nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True)),
    Column("dataset_version", Integer),
    Column("recognised", Boolean, nullable=False),
    Column("error", Text),
    Column("upload_dir", Text),
    Column("path", Text, nullable=False),
    Column("mapping", Text),  # the mapping as JSON, to load with once decided
    Column("preview", Text),  # the confirm step's comparison as JSON
    Column("decided", Boolean, nullable=False),
    Column("kept_current", Boolean, nullable=False),
    Column("worker", String(200), nullable=False),
)
Index("ix_upload_jobs_started", upload_jobs.c.started)
