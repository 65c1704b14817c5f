"""Settings in one place: environment variables (``SHAREWELL_*``) over defaults."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Engine", "Settings", "get_settings"]

Engine = Literal["duckdb", "spark"]

OPERATIONAL_DB_FILENAME = "sharewell.db"
WORKSPACE_DB_FILENAME = "workspace.duckdb"
SECRET_KEY_FILENAME = "secret_key"
AUDIT_KEY_FILENAME = "audit-keys.json"


class Settings(BaseSettings):
    """How a sharewell hub is configured; every field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="SHAREWELL_", extra="ignore")

    hub_dir: Path = Field(
        default=Path("hub"),
        description="Directory holding the hub: operational store (SQLite) and workspace.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the operational store; default is SQLite in hub_dir.",
    )
    engine: Engine = Field(
        default="duckdb",
        description="Analytic engine for linkage: duckdb (one machine) or spark.",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL used when engine is spark.",
    )
    user: str = Field(
        default="cli",
        description="Who is acting, recorded against loads and audit entries from the CLI.",
    )
    max_in_flight: int = Field(
        default=16,
        ge=1,
        description=(
            "Requests the web app works on at once; beyond it, an immediate 503 with "
            "Retry-After instead of a queue that times out."
        ),
    )

    audit_key_file: Path | None = Field(
        default=None,
        description=(
            "File holding the audit log's HMAC keys, outside the operational store; default "
            "hub_dir/audit-keys.json (created by `sharewell init`, mode 0600)."
        ),
    )
    ingest_hold_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description=(
            "A load whose accepted rows fall below this share of the current version's (or "
            "to none) is held, not superseding, until confirmed (--accept-shrink)."
        ),
    )

    secret_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key signing the web app's CSRF tokens; default: generated once into "
            "hub_dir/secret_key (mode 0600)."
        ),
    )

    def web_secret(self) -> str:
        """The secret key: the setting, else the hub's key file (created once, owner-only)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.hub_dir / SECRET_KEY_FILENAME
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        self.hub_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            # O_EXCL: if two workers start at once, one writes and the other reads its key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key

    def operational_url(self) -> str:
        """The operational store's URL, defaulting to a SQLite file inside the hub."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.hub_dir / OPERATIONAL_DB_FILENAME).resolve()}"

    def audit_key_path(self) -> Path:
        """The audit key file: the setting, else ``audit-keys.json`` in the hub directory."""
        return self.audit_key_file or self.hub_dir / AUDIT_KEY_FILENAME

    def workspace_path(self) -> Path:
        """The analytic workspace's DuckDB file inside the hub."""
        return self.hub_dir / WORKSPACE_DB_FILENAME


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
