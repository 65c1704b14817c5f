"""The analytic workspace: one DuckDB file holding partners' records and linkage results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import duckdb

from sharewell.errors import StoreError

__all__ = ["Workspace"]

# Bumped when the workspace's own bookkeeping tables change shape.
WORKSPACE_SCHEMA_VERSION = 1


class Workspace:
    """A DuckDB workspace file; use as a context manager so the file is always closed."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        try:
            self.conn = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open analytic workspace {path}: {exc}") from exc

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.conn.close()

    def initialise(self) -> None:
        """Create the workspace's bookkeeping table; harmless when it exists."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS workspace_info (key VARCHAR PRIMARY KEY, value VARCHAR)"
        )
        self.conn.execute(
            "INSERT INTO workspace_info VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [str(WORKSPACE_SCHEMA_VERSION)],
        )

    def schema_version(self) -> int | None:
        """The workspace schema version, or None when the file was never initialised."""
        try:
            row = self.conn.execute(
                "SELECT value FROM workspace_info WHERE key = 'schema_version'"
            ).fetchone()
        except duckdb.CatalogException:
            return None
        return int(row[0]) if row else None

    def tables(self) -> list[str]:
        """Names of the tables in the workspace's main schema."""
        rows = self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: commit when the block ends, roll back if it raises."""
        self.conn.execute("BEGIN TRANSACTION")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
