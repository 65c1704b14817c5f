"""A hub is created with both stores, and creating it again is harmless."""

from __future__ import annotations

from sqlalchemy import select

from sharewell.config import Settings
from sharewell.store import Workspace, init_hub, operational_engine
from sharewell.store.operational import current_revision, head_revision
from sharewell.store.tables import hub_info


def test_init_creates_both_stores_at_the_newest_schema(hub_settings: Settings) -> None:
    status = init_hub(hub_settings)

    assert status.created
    if hub_settings.database_url is None:
        assert (hub_settings.hub_dir / "sharewell.db").is_file()
    assert hub_settings.workspace_path().is_file()
    engine = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    assert current_revision(engine) == head_revision() == status.schema_revision
    with Workspace(hub_settings.workspace_path(), read_only=True) as ws:
        assert ws.schema_version() == 1


def test_init_twice_keeps_the_hub_and_its_creation_time(hub_settings: Settings) -> None:
    first = init_hub(hub_settings)
    with Workspace(hub_settings.workspace_path()) as ws:
        ws.conn.execute("CREATE TABLE partner_rows AS SELECT 1 AS x")

    second = init_hub(hub_settings)

    assert not second.created
    assert second.created_at == first.created_at
    engine = operational_engine(hub_settings.operational_url(), hub_settings.audit_key_path())
    with engine.connect() as conn:
        rows = conn.execute(select(hub_info.c.key)).fetchall()
    assert [r[0] for r in rows] == ["created_at"]
    with Workspace(hub_settings.workspace_path(), read_only=True) as ws:
        assert "partner_rows" in ws.tables()


def test_workspace_transaction_rolls_back_everything_on_error(hub_settings: Settings) -> None:
    init_hub(hub_settings)
    with Workspace(hub_settings.workspace_path()) as ws:
        ws.conn.execute("CREATE TABLE t (x INTEGER)")
        try:
            with ws.transaction() as conn:
                conn.execute("INSERT INTO t VALUES (1), (2)")
                raise RuntimeError("crash mid-load")
        except RuntimeError:
            pass
        assert ws.conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
