"""Training holds up on a small county, where EM cannot estimate everything by itself."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from sharewell.config import Settings
from sharewell.ingest import ingest_manifest
from sharewell.linkage import link_workspace
from sharewell.linkage.evaluation import accuracy, load_truth
from sharewell.store import Workspace, init_hub
from sharewell.synth import SynthConfig, synthesise


def test_a_small_county_links_although_one_em_session_fails(tmp_path: Path) -> None:
    # `sharewell synth --people 2000 --seed 11`: with so few records, EM blocked on
    # postcode and surname drives a rare level's m below what a float holds, which once
    # failed the whole run (and skipping that session broke the vetoes' columns).
    settings = Settings(hub_dir=tmp_path / "hub")
    init_hub(settings)
    extracts = tmp_path / "extracts"
    synthesise(SynthConfig(people=2000, seed=11), extracts, console=None)
    with Workspace(settings.workspace_path()) as workspace:
        ingest_manifest(workspace, extracts, loaded_by="test")

    run = link_workspace(settings)

    assert any("postcode_family was skipped" in note for note in run.training_notes)
    # What the skipped session would have estimated (date of birth) came from another rule.
    assert any("names was tried instead" in n for n in run.training_notes)
    model = json.loads(run.model_path.read_text())
    dob = next(c for c in model["comparisons"] if c["output_column_name"] == "dob")
    exact = next(
        lv for lv in dob["comparison_levels"] if lv["sql_condition"] == '"dob_l" = "dob_r"'
    )
    assert exact["m_probability"] > 0.5
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{settings.workspace_path()}' AS ws (READ_ONLY)")
    load_truth(con, extracts / "truth" / "records.csv")
    acc = accuracy(con, "ws.person_index", "sw_truth")
    assert acc.records == run.records
    assert acc.precision >= 0.995
    assert acc.recall >= 0.98
