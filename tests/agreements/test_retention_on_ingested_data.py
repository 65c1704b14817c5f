"""Retention deletes real ingested data once its agreement's period has passed, and audits it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sharewell.agreements import seed_demo_partnership
from sharewell.audit import entries, verify
from sharewell.cli import ExitCode, main
from sharewell.config import Settings
from sharewell.ingest import ingest_file, list_dataset_versions
from sharewell.partnership import hub_engine
from sharewell.store import Workspace, init_hub

POLICE = (
    "Incident Ref,Forename,Surname,DOB,Incident Date,Type\n"
    "P1,Ann,Smith,03/04/1950,01/02/2024,MH\n"
    "P2,Bob,Jones,04/05/1960,02/02/2024,S136\n"
)
MAPPING = """source_type: police.mh_incident
columns:
  Incident Ref: record_id
  Forename: given_name
  Surname: family_name
  DOB: date_of_birth
  Incident Date: incident_date
  Type: incident_type
values:
  incident_type: {MH: mental_health, S136: section_136}
"""


def test_data_past_retention_is_deleted_counted_and_audited(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = tmp_path / "hub"
    settings = Settings(hub_dir=hub)
    init_hub(settings)
    engine = hub_engine(settings)
    seed_demo_partnership(engine, actor="test")
    (tmp_path / "police.csv").write_text(POLICE)
    (tmp_path / "police.yaml").write_text(MAPPING)
    with Workspace(settings.workspace_path()) as ws:
        ingest_file(
            ws,
            partner="westshire_police",
            path=tmp_path / "police.csv",
            mapping=tmp_path / "police.yaml",
            loaded_by="test",
        )
        # pretend the load happened three years ago: past both agreements' retention
        long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3 * 365 + 10)
        ws.conn.execute("UPDATE dataset_versions SET loaded_at = ?", [long_ago])

    assert main(["retention", "run", "--dry-run", "--hub", str(hub), "--json"]) == ExitCode.OK
    dry = json.loads(capsys.readouterr().out)
    assert dry["deleted_versions"] == 0 and dry["decisions"][0]["due"] is True

    assert main(["retention", "run", "--hub", str(hub), "--json"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["deleted_versions"] == 1 and report["deleted_rows"] >= 2
    with Workspace(settings.workspace_path(), read_only=True) as ws:
        assert list_dataset_versions(ws) == []
        assert ws.conn.execute("SELECT count(*) FROM records_police_mh_incident").fetchone() == (0,)
    deletions = [e for e in entries(engine) if e.action == "deletion"]
    assert len(deletions) == 1 and "Ann" not in json.dumps(dict(deletions[0].detail))
    assert verify(engine).ok
    engine.dispose()
