"""The linkage commands: link, review, decide, report and link-files, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from people import make_people, write_truth_csv

from conftest import hub_with_people
from sharewell.cli import ExitCode, main
from sharewell.config import Settings
from sharewell.linkage.review import pending_pairs


@pytest.fixture(scope="module")
def cli_hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    people = make_people(400, seed=17)
    root = tmp_path_factory.mktemp("cli")
    hub_with_people(root / "hub", people)
    write_truth_csv(root / "truth.csv", people)
    return root / "hub", root / "truth.csv"


def test_link_json_reports_the_run(
    cli_hub: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    hub, _ = cli_hub
    assert main(["link", "--hub", str(hub), "--json"]) == ExitCode.OK
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "full" and report["records"] > 400
    assert 0.95 <= report["threshold"] <= 0.999
    assert main(["link", "--hub", str(hub), "--incremental", "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["new_records"] == 0


def test_report_writes_html_with_splink_charts_and_accuracy(
    cli_hub: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub, truth = cli_hub
    assert main(["link", "--hub", str(hub), "--threshold", "0.99", "--json"]) == ExitCode.OK
    capsys.readouterr()
    out = tmp_path / "report.html"
    args = ["link", "report", "--hub", str(hub), "--out", str(out), "--truth", str(truth)]
    assert main([*args, "--json"]) == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    # The maker's county is dense with twins and namesakes (4% of people): docs/linkage.md.
    assert summary["accuracy"]["precision"] >= 0.98
    page = out.read_text()
    for title in (
        "Match weights",
        "m and u parameters",
        "Scored pairs",
        "Why pairs scored as they did",
        "Cluster sizes",
        "pairwise precision",
    ):
        assert title in page
    assert "vegaEmbed" in page and "cdn.jsdelivr" not in page.split("<body>")[1]
    # Written without a policy decision, so it shows no one's details: the model, not records.
    ws = duckdb.connect(str(Settings(hub_dir=hub).workspace_path()), read_only=True)
    try:
        values = ws.execute(
            "SELECT nhs_number, family_name FROM person_records "
            "WHERE nhs_number IS NOT NULL AND length(family_name) > 5"
        ).fetchall()
    finally:
        ws.close()
    assert values and "withheld" in page
    leaked = [v for row in values for v in row if f'"{v}"' in page or f">{v}<" in page]
    assert leaked == []


def test_review_and_decide_from_the_command_line(
    cli_hub: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    hub, _ = cli_hub
    assert main(["partnership", "seed-demo", "--hub", str(hub)]) == ExitCode.OK
    assert main(["link", "--hub", str(hub), "--json"]) == ExitCode.OK
    capsys.readouterr()
    pending = pending_pairs(Settings(hub_dir=hub), limit=500)
    own = [p for p in pending if _partner(p.unique_id_l) == _partner(p.unique_id_r)]
    if not own:
        pytest.skip("no pair of one organisation's records near the threshold in this sample")
    mine = own[0]
    analyst = f"{_partner(mine.unique_id_l)}.analyst"
    # Both records of a pair are named, so the review is read as someone, through the policy.
    assert main(["link", "review", "--hub", str(hub)]) == ExitCode.USAGE
    frontline = ["link", "review", "--user", "westshire_police.frontline", "--hub", str(hub)]
    assert main(frontline) == ExitCode.DENIED
    review = ["link", "review", "--user", analyst, "--hub", str(hub), "--limit", "200", "--json"]
    assert main(review) == ExitCode.OK
    queue = json.loads(capsys.readouterr().out)
    shown = {(p["unique_id_l"], p["unique_id_r"]) for p in queue["pairs"]}
    assert (mine.unique_id_l, mine.unique_id_r) in shown
    # Only pairs holding the analyst's own organisation's records, the rest counted.
    org = _partner(mine.unique_id_l)
    assert all(org in {p["left"]["partner"], p["right"]["partner"]} for p in queue["pairs"])
    assert queue["not_shown"] == len(pending) - len(queue["pairs"])
    a, b = mine.unique_id_l, mine.unique_id_r
    decide = ["link", "decide", a, b, "reject", "--user", analyst, "--hub", str(hub)]
    assert main([*decide, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["decision"] == "reject"
    assert main(["link", "decide", a, b, "maybe", "--user", analyst, "--hub", str(hub)]) == (
        ExitCode.BAD_INPUT
    )
    assert main(["link", "decide", a, b, "reject", "--hub", str(hub)]) == ExitCode.USAGE
    # Someone whose organisation holds neither record may not decide it.
    other = next(o for o in ("westshire_fire", "westshire_icb") if o != org)
    stranger = ["link", "decide", a, b, "accept", "--user", f"{other}.analyst", "--hub", str(hub)]
    assert main(stranger) == ExitCode.DENIED


def _partner(unique_id: str) -> str:
    return unique_id.split(":", 1)[0]


def test_link_without_a_hub_is_not_found(tmp_path: Path) -> None:
    assert main(["link", "--hub", str(tmp_path / "none")]) == ExitCode.NOT_FOUND


def test_link_files_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = make_people(150, seed=23)
    path = tmp_path / "people.csv"
    lines = ["record_id,given_name,family_name,date_of_birth,postcode"]
    for r in people.records:
        # An unreadable date ("not known" is a missing-value marker, not an invalid date).
        dob = r["date_of_birth"].isoformat() if r["date_of_birth"] else "99/99/9999"
        lines.append(
            f"{r['record_id']},{r['given_name']},{r['family_name']},{dob},{r['postcode'] or ''}"
        )
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "dupes.csv"
    code = main(["link-files", str(path), "--out", str(out), "--id", "record_id", "--json"])
    assert code == ExitCode.OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["mode"] == "dedupe" and summary["links"] > 0
    assert any(i["field"] == "date_of_birth" for i in summary["invalid"])
    assert out.read_text().startswith("id_l,id_r,match_probability,match_weight")
