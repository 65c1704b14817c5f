"""Every load, and every refused file, is in the audit log with its counts or its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewell.agreements.governed_ingest import audited_ingest
from sharewell.audit import entries, verify
from sharewell.config import Settings
from sharewell.errors import IngestError
from sharewell.ingest import ingest_file
from sharewell.partnership import hub_engine
from sharewell.store import Workspace, init_hub


def test_a_load_and_a_refused_file_are_both_audited(
    hub_settings: Settings, police_csv: Path, police_mapping: Path, tmp_path: Path
) -> None:
    init_hub(hub_settings)
    engine = hub_engine(hub_settings)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    with Workspace(hub_settings.workspace_path()) as ws:

        def load(path: Path):  # type: ignore[no-untyped-def]
            return lambda: ingest_file(
                ws, partner="westshire_police", path=path, mapping=police_mapping, loaded_by="ann"
            )

        report = audited_ingest(
            engine, load(police_csv), actor="ann", partner="westshire_police", file=police_csv
        )
        with pytest.raises(IngestError):
            audited_ingest(
                engine, load(garbage), actor="ann", partner="westshire_police", file=garbage
            )
    logged = [e for e in entries(engine) if e.action == "ingest"]
    engine.dispose()
    assert [e.outcome for e in logged] == ["ok", "failed"]
    assert logged[0].detail["rows_accepted"] == report.rows_accepted
    assert logged[0].detail["content_hash"] == report.content_hash
    assert "garbage.csv" in logged[1].target and logged[1].detail["reason"]
    assert verify(hub_engine(hub_settings)).ok
