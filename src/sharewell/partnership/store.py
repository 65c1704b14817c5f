"""Organisations, users and purposes in the operational store (the edge of ``partnership``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, Engine, Table, insert, select
from sqlalchemy.exc import OperationalError

from sharewell.audit import audit_transaction, insert_audited
from sharewell.config import OPERATIONAL_DB_FILENAME, Settings
from sharewell.errors import ConfigError, NotFound, SharewellError, StoreError, StoreUnavailable
from sharewell.partnership.model import DEFAULT_PURPOSES, Organisation, Purpose, User
from sharewell.store.operational import current_revision, head_revision, operational_engine
from sharewell.store.tables import organisations, purposes, users

__all__ = [
    "add_organisation",
    "add_user",
    "ensure_purposes",
    "get_organisation",
    "get_user",
    "hub_engine",
    "list_organisations",
    "list_purposes",
    "list_users",
    "load_partnership",
    "organisations_from_manifest",
]


def hub_engine(settings: Settings) -> Engine:
    """The operational store of an initialised, up-to-date hub; says how to fix it otherwise."""
    db_file = settings.hub_dir / OPERATIONAL_DB_FILENAME
    if settings.database_url is None and not db_file.exists():
        raise StoreError(
            f"no hub at {settings.hub_dir}: create it with `sharewell init {settings.hub_dir}`"
        )
    engine = operational_engine(settings.operational_url(), settings.audit_key_path())
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot open the operational store at {engine.url}: {exc.orig}"
        ) from exc
    if revision != head_revision():
        raise StoreError(
            f"the hub at {settings.hub_dir} is at schema {revision or 'none'}, this sharewell "
            "needs "
            f"{head_revision()}: run `sharewell init {settings.hub_dir}` to upgrade it"
        )
    if not settings.audit_key_path().exists():
        raise StoreError(
            f"the audit key file {settings.audit_key_path()} does not exist: for a hub made "
            f"before audit keys, run `sharewell init {settings.hub_dir}`; otherwise restore "
            "the file (or point SHAREWELL_AUDIT_KEY_FILE at it)"
        )
    return engine


def _org_from_row(row: object) -> Organisation:
    m = row._mapping  # type: ignore[attr-defined]
    return Organisation(slug=m["slug"], name=m["name"], type=m["type"], code=m["code"])


def _get_org(conn: Connection, slug: str) -> Organisation | None:
    row = conn.execute(select(organisations).where(organisations.c.slug == slug)).first()
    return _org_from_row(row) if row is not None else None


def add_organisation(engine: Engine, org: Organisation, *, actor: str) -> bool:
    """Add an organisation; True if added, False if the same one exists. Audited."""
    with audit_transaction(engine) as conn:
        existing = _get_org(conn, org.slug)
        if existing is not None:
            if existing != org:
                raise SharewellError(
                    f"organisation {org.slug!r} already exists as {existing.name} "
                    f"({existing.type}, {existing.code}); choose another slug"
                )
            return False
        if org.code is not None:
            clash = conn.execute(
                select(organisations.c.slug).where(organisations.c.code == org.code)
            ).first()
            if clash is not None:
                raise SharewellError(
                    f"ODS code {org.code} already belongs to organisation {clash[0]!r}"
                )
        _add(conn, organisations, org, actor, f"organisation {org.slug}", organisation=org.slug)
    return True


def _add(
    conn: Connection, table: Table, added: BaseModel, actor: str, target: str, **context: Any
) -> None:
    """Insert an organisation or a user and its ``partnership_change`` entry, together."""
    values = {**added.model_dump(), "created_at": datetime.now(UTC)}
    detail = {"added": added.model_dump()}
    insert_audited(
        conn, table, values, actor=actor, action="partnership_change", target=target,
        detail=detail, **context,
    )  # fmt: skip


def get_organisation(engine: Engine, slug: str) -> Organisation:
    """The organisation called ``slug``; NotFound names the known ones otherwise."""
    with engine.connect() as conn:
        org = _get_org(conn, slug)
    if org is None:
        known = ", ".join(o.slug for o in list_organisations(engine)) or "none yet"
        raise NotFound(f"unknown organisation {slug!r}; known organisations: {known}")
    return org


def list_organisations(engine: Engine) -> list[Organisation]:
    """Every organisation of the partnership, by slug."""
    with engine.connect() as conn:
        rows = conn.execute(select(organisations).order_by(organisations.c.slug)).fetchall()
    return [_org_from_row(r) for r in rows]


def add_user(engine: Engine, user: User, *, actor: str) -> bool:
    """Add a user of a known organisation; True if added, False if the same one exists. Audited."""
    with audit_transaction(engine) as conn:
        if _get_org(conn, user.organisation) is None:
            raise NotFound(
                f"user {user.username!r} names unknown organisation {user.organisation!r}; "
                "add it first with `sharewell org add`"
            )
        row = conn.execute(select(users).where(users.c.username == user.username)).first()
        if row is not None:
            existing = user_from_row(row)
            if existing != user:
                raise SharewellError(
                    f"user {user.username!r} already exists ({existing.organisation}, "
                    f"{existing.role})"
                )
            return False
        _add(
            conn, users, user, actor, f"user {user.username}",
            organisation=user.organisation, role=user.role,
        )  # fmt: skip
    return True


def user_from_row(row: object) -> User:
    """A ``User`` from a row of the users table."""
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        username=m["username"],
        display_name=m["display_name"],
        organisation=m["organisation"],
        role=m["role"],
        active=bool(m["active"]),
    )


def get_user(engine: Engine, username: str) -> User:
    """The user called ``username``; NotFound otherwise."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise NotFound(f"unknown user {username!r}; add them with `sharewell user add`")
    return user_from_row(row)


def list_users(engine: Engine, organisation: str | None = None) -> list[User]:
    """Users, optionally of one organisation, by username."""
    query = select(users).order_by(users.c.username)
    if organisation is not None:
        query = query.where(users.c.organisation == organisation)
    with engine.connect() as conn:
        return [user_from_row(r) for r in conn.execute(query)]


def ensure_purposes(engine: Engine, wanted: tuple[Purpose, ...] = DEFAULT_PURPOSES) -> int:
    """Store the standard purposes that are missing; returns how many were added."""
    added = 0
    with engine.begin() as conn:
        have = {r[0] for r in conn.execute(select(purposes.c.slug))}
        for purpose in wanted:
            if purpose.slug not in have:
                conn.execute(insert(purposes).values(**purpose.model_dump()))
                added += 1
    return added


def list_purposes(engine: Engine) -> list[Purpose]:
    """Every stored purpose."""
    with engine.connect() as conn:
        rows = conn.execute(select(purposes).order_by(purposes.c.slug)).fetchall()
    return [Purpose(slug=r.slug, title=r.title, description=r.description) for r in rows]


def organisations_from_manifest(path: Path) -> list[Organisation]:
    """The organisations listed in a synthetic partnership's ``manifest.json``."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no manifest at {path}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from exc
    listed = manifest.get("organisations") if isinstance(manifest, dict) else None
    if not isinstance(listed, list):
        raise ConfigError(f'{path}: no "organisations" list; expected one entry per partner')
    found: list[Organisation] = []
    for i, entry in enumerate(listed):
        try:
            found.append(
                Organisation.model_validate(
                    {k: entry.get(k) for k in ("slug", "name", "code", "type")}
                )
            )
        except (ValidationError, AttributeError) as exc:
            raise ConfigError(
                f"{path}: organisations[{i}] is not a valid organisation: {exc}"
            ) from exc
    return found


def load_partnership(engine: Engine, path: Path, *, actor: str) -> list[tuple[Organisation, bool]]:
    """Add every organisation of a manifest (and the standard purposes); (org, added) pairs."""
    ensure_purposes(engine)
    return [
        (org, add_organisation(engine, org, actor=actor))
        for org in organisations_from_manifest(path)
    ]
