"""A hub on disk: the operational store and the analytic workspace, created together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from sharewell.config import Settings
from sharewell.errors import StoreError
from sharewell.store.operational import current_revision, migrate, operational_engine
from sharewell.store.tables import hub_info
from sharewell.store.workspace import Workspace

__all__ = ["HubStatus", "init_hub"]


@dataclass(frozen=True)
class HubStatus:
    """What ``init_hub`` found and did."""

    hub_dir: Path
    operational_url: str
    workspace_path: Path
    schema_revision: str
    created: bool
    created_at: str
    audit_key_file: Path | None = None
    audit_key_id: str | None = None
    audit_key_created: bool = False


def init_hub(settings: Settings) -> HubStatus:
    """Create (or bring up to date) the hub described by ``settings``; running twice is harmless.

    Brings the operational store to the newest schema, creates the workspace, and gives the
    hub its audit key file (``Settings.audit_key_path()``) if it has none.
    """
    hub_dir = settings.hub_dir
    if hub_dir.exists() and not hub_dir.is_dir():
        raise StoreError(f"{hub_dir} exists and is not a directory; choose another hub directory")
    try:
        hub_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create hub directory {hub_dir}: {exc.strerror}") from exc

    engine = operational_engine(settings.operational_url(), settings.audit_key_path())
    try:
        try:
            was_new = current_revision(engine) is None
        except OperationalError as exc:
            # The server is down, the address wrong or the disk full: say which store.
            raise StoreError(
                f"cannot open the operational store at {engine.url}: {exc.orig}"
            ) from exc
        revision = migrate(engine)
        with engine.begin() as conn:
            row = conn.execute(
                select(hub_info.c.value).where(hub_info.c.key == "created_at")
            ).first()
            if row is None:
                created_at = datetime.now(UTC).isoformat(timespec="seconds")
                conn.execute(
                    insert(hub_info).values(
                        key="created_at", value=created_at, updated_at=datetime.now(UTC)
                    )
                )
            else:
                created_at = row[0]
        # Imported here: the audit capability builds on the store, not the other way round.
        from sharewell.audit.keying import ensure_audit_key

        key = ensure_audit_key(engine)
    finally:
        engine.dispose()

    with Workspace(settings.workspace_path()) as workspace:
        workspace.initialise()

    return HubStatus(
        hub_dir=hub_dir,
        operational_url=settings.operational_url(),
        workspace_path=settings.workspace_path(),
        schema_revision=revision,
        created=was_new,
        created_at=created_at,
        audit_key_file=key.key_file,
        audit_key_id=key.key_id,
        audit_key_created=key.created,
    )
