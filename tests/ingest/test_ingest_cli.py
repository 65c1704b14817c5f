"""`sharewell ingest` and `sharewell datasets`: counts, JSON, and exit codes for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sharewell.cli import ExitCode, main


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    path = tmp_path / "hub"
    assert main(["init", str(path), "--json"]) == ExitCode.OK
    return path


def test_ingest_reports_counts_and_datasets_lists_the_version(
    hub: Path, police_csv: Path, police_mapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    args = [
        "ingest",
        "--partner",
        "westshire_police",
        "--mapping",
        str(police_mapping),
        "--hub",
        str(hub),
    ]
    assert main([*args, str(police_csv), "--json"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert (report["rows_read"], report["rows_accepted"], report["rows_quarantined"]) == (3, 3, 0)

    assert main([*args, str(police_csv)]) == ExitCode.OK
    assert "Already loaded" in capsys.readouterr().out

    assert main(["datasets", "--hub", str(hub), "--json"]) == ExitCode.OK
    (version,) = json.loads(capsys.readouterr().out)
    assert (version["partner"], version["source_type"], version["rows_accepted"]) == (
        "westshire_police",
        "police.mh_incident",
        3,
    )
    assert main(["datasets", "--hub", str(hub)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "Dataset versions" in out and "│  1 │" in out


def test_bad_file_exits_3_with_the_reason(
    hub: Path, tmp_path: Path, police_mapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code = main(
        [
            "ingest",
            "--partner",
            "p",
            "--mapping",
            str(police_mapping),
            "--hub",
            str(hub),
            str(empty),
        ]
    )
    assert code == ExitCode.BAD_INPUT
    assert "the file is empty" in capsys.readouterr().err


def test_ingest_without_a_hub_says_how_to_make_one(
    tmp_path: Path, police_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "ingest",
            "--partner",
            "p",
            "--source",
            "person",
            "--hub",
            str(tmp_path / "none"),
            str(police_csv),
        ]
    )
    assert code == ExitCode.BAD_INPUT
    assert "sharewell init" in capsys.readouterr().err


def test_a_held_load_exits_3_says_how_to_confirm_and_is_audited(
    hub: Path,
    tmp_path: Path,
    police_csv: Path,
    police_mapping: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ingest_support import POLICE_HEADER, write_csv

    from sharewell.audit import entries
    from sharewell.config import Settings
    from sharewell.partnership import hub_engine

    args = ["ingest", "--partner", "westshire_police", "--mapping", str(police_mapping)]
    args += ["--hub", str(hub)]
    assert main([*args, str(police_csv)]) == ExitCode.OK
    bad = write_csv(tmp_path / "bad.csv", [POLICE_HEADER, "y" * 100_000])
    capsys.readouterr()
    assert main([*args, str(bad)]) == ExitCode.BAD_INPUT
    captured = capsys.readouterr()
    assert "Held: bad.csv was not loaded; dataset version 1 stays" in " ".join(captured.out.split())
    assert "--accept-shrink" in " ".join(captured.err.split())
    assert main(["datasets", "--hub", str(hub), "--json"]) == ExitCode.OK
    assert [v["status"] for v in json.loads(capsys.readouterr().out)] == ["current"]

    engine = hub_engine(Settings(hub_dir=hub))
    held = [e for e in entries(engine) if e.action == "ingest" and e.outcome == "held"]
    engine.dispose()
    assert len(held) == 1 and "no row of the new file was accepted" in held[0].detail["held"]

    assert main([*args, "--accept-shrink", str(bad)]) == ExitCode.OK
    capsys.readouterr()
    assert main(["datasets", "--hub", str(hub), "--json"]) == ExitCode.OK
    assert [v["status"] for v in json.loads(capsys.readouterr().out)] == ["superseded", "current"]


def test_missing_identifier_columns_exit_3_unless_allowed(
    hub: Path, tmp_path: Path, police_mapping: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest_support import write_csv

    slim = write_csv(tmp_path / "slim.csv", ["Incident Ref,Incident Date,Type", "P1,2024-01-01,MH"])
    args = ["ingest", "--partner", "westshire_police", "--mapping", str(police_mapping)]
    args += ["--hub", str(hub), str(slim)]
    capsys.readouterr()
    assert main(args) == ExitCode.BAD_INPUT
    assert "identifier columns are not in the file" in capsys.readouterr().err
    assert main([*args, "--allow-missing-columns"]) == ExitCode.OK
    err = " ".join(capsys.readouterr().err.split())
    assert "Warning: the mapping's column 'DOB' (date_of_birth) is not in the file" in err
