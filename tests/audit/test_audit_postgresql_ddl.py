"""The governance tables compile for PostgreSQL too (the suite later runs on a real server)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_mock_engine

from sharewell.store.tables import metadata


def test_governance_tables_compile_for_postgresql() -> None:
    statements: list[str] = []

    def collect(sql: Any, *_args: Any, **_kw: Any) -> None:
        statements.append(str(sql.compile(dialect=engine.dialect)))

    engine = create_mock_engine("postgresql+psycopg://", collect)
    metadata.create_all(engine, checkfirst=False)
    ddl = "\n".join(statements)
    for table in (
        "organisations",
        "users",
        "agreements",
        "audit_log",
        "audit_persons",
        "audit_chain_head",
    ):
        assert f"CREATE TABLE {table}" in ddl
