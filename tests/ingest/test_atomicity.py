"""A load appears in full or not at all: real failures mid-load leave the previous state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_support import POLICE_HEADER, POLICE_ROWS, load, snapshot, write_csv

from sharewell.errors import IngestError
from sharewell.faults import FAULT_AT, FAULT_READY
from sharewell.ingest import source_type
from sharewell.ingest.tables import source_table_columns
from sharewell.store import Workspace


def test_a_constraint_violation_mid_load_rolls_everything_back(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    # The typed table is made by hand with a rule the second extract breaks, so the load
    # fails after it has already registered a version and superseded the first one.
    stype = source_type("police.mh_incident")
    columns = ", ".join(f'"{name}" {kind}' for name, kind in source_table_columns(stype))
    workspace.conn.execute(
        f"CREATE TABLE {stype.table_name} ({columns}, CHECK (family_name <> 'forbidden'))"
    )
    load(workspace, police_csv, police_mapping)
    before = snapshot(workspace)

    bad = write_csv(
        tmp_path / "bad.csv", [POLICE_HEADER, *POLICE_ROWS, "P4,Ann,Forbidden,,,,,2024-01-01,MH,"]
    )
    with pytest.raises(IngestError, match="rolled back"):
        load(workspace, bad, police_mapping)
    assert snapshot(workspace) == before
    # and the workspace still works afterwards
    fixed = write_csv(
        tmp_path / "fixed.csv", [POLICE_HEADER, *POLICE_ROWS, "P4,Ann,Allowed,,,,,2024-01-01,MH,"]
    )
    assert load(workspace, fixed, police_mapping).rows_accepted == 4


def _consistent(hub_workspace: Path) -> tuple[int, int]:
    """(current versions, records) after a crash; asserts registry and records agree."""
    with Workspace(hub_workspace) as ws:
        versions = ws.conn.execute(
            "SELECT id, rows_accepted FROM dataset_versions WHERE status = 'current'"
        ).fetchall()
        assert len(versions) == 1, versions
        ((version, accepted),) = versions
        by_version = ws.conn.execute(
            "SELECT dataset_version, count(*) FROM person_records GROUP BY 1"
        ).fetchall()
        assert by_version == [(version, accepted)], (versions, by_version)
        return version, accepted


def _stopped_at(
    cmd: list[str], step: str, sig: signal.Signals, ready: Path
) -> subprocess.Popen[bytes]:
    """Start ``cmd``, wait until it reaches the fault-injection point ``step``, signal it."""
    ready.unlink(missing_ok=True)
    env = {**os.environ, FAULT_AT: step, FAULT_READY: str(ready)}
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # No clock decides when the signal lands: the process says it has reached the step.
    while not ready.exists():
        if process.poll() is not None:
            raise AssertionError(f"{step}: ended ({process.returncode}) before reaching it")
        time.sleep(0.02)
    process.send_signal(sig)
    return process


def test_a_process_killed_mid_load_leaves_the_previous_version_whole(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[2]))
    from benchmarks.ingest import MAPPING, write_extract

    hub = tmp_path / "hub"
    assert (
        subprocess.run(
            [sys.executable, "-m", "sharewell.cli", "init", str(hub)], capture_output=True
        ).returncode
        == 0
    )
    mapping = tmp_path / "police.yaml"
    mapping.write_text(MAPPING)
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_extract(small, 50)
    write_extract(big, 5_000)
    cmd = [
        sys.executable,
        "-m",
        "sharewell.cli",
        "ingest",
        "--partner",
        "westshire_police",
        "--mapping",
        str(mapping),
        "--hub",
        str(hub),
    ]
    assert subprocess.run([*cmd, str(small)], capture_output=True).returncode == 0
    workspace = hub / "workspace.duckdb"
    first = _consistent(workspace)
    assert subprocess.run([*cmd, str(big)], capture_output=True).returncode == 0
    loaded = _consistent(workspace)
    assert loaded[1] > first[1]
    assert (
        subprocess.run([*cmd, "--accept-shrink", str(small)], capture_output=True).returncode == 0
    )

    # Kill -9 (a crash) or Ctrl-C (SIGINT) the same load at each step of its transaction:
    # before the commit the previous version is whole and current; after it, the new one.
    ready = tmp_path / "ready"
    for step, sig in (
        ("ingest.version_registered", signal.SIGKILL),
        ("ingest.previous_superseded", signal.SIGINT),
        ("ingest.previous_superseded", signal.SIGKILL),
        ("ingest.records_written", signal.SIGKILL),
        ("ingest.records_written", signal.SIGINT),
        ("ingest.before_commit", signal.SIGKILL),
        ("ingest.before_commit", signal.SIGINT),
        ("ingest.committed", signal.SIGKILL),
    ):
        process = _stopped_at([*cmd, str(big)], step, sig, ready)
        _out, err = process.communicate()
        if sig == signal.SIGKILL:
            assert process.returncode == -signal.SIGKILL, (step, err)
        else:  # Ctrl-C, as the CLI reports it
            assert process.returncode == 130, (step, err)
            assert b"nothing half-written was kept" in err, err
        _version, records = _consistent(workspace)
        assert records == (loaded[1] if step == "ingest.committed" else first[1]), step
        if records == loaded[1]:  # the commit got through before the kill: undo for the next try
            undo = [*cmd, "--accept-shrink", str(small)]
            assert subprocess.run(undo, capture_output=True).returncode == 0
