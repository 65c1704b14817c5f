"""The operational store: engine creation and Alembic migrations to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from sharewell.errors import StoreError, StoreUnavailable

__all__ = ["current_revision", "head_revision", "migrate", "operational_engine"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets web readers and one writer work at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def operational_engine(url: str, audit_key_file: Path | None = None) -> Engine:
    """A SQLAlchemy engine for the operational store, tuned for SQLite when it is one.

    With ``audit_key_file`` (the hub's audit keys, ``Settings.audit_key_path()``) the engine
    can write and check audit entries; without it, it can read and migrate only.
    """
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot use operational store URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if audit_key_file is not None:
        # Imported here: the audit capability builds on the store, not the other way round.
        from sharewell.audit.log import bind_audit_keys

        engine = bind_audit_keys(engine, audit_key_file)
    return engine


def _alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest schema revision this version of sharewell knows."""
    head = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_current_head()
    assert head is not None, "migrations directory has no revisions"
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision the store is at, or None when it was never migrated."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> str:
    """Bring the store to the newest schema (a no-op when it is already there)."""
    config = _alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise StoreUnavailable(
            f"cannot migrate the operational store at {engine.url}: {exc.orig}"
        ) from exc
    return head_revision()
