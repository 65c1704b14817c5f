"""A bad file never replaces good data: a load far smaller than the current version is held.

The adversarial case: a 50 MB line under a header quarantined its one row, and the 0-row
version superseded a real police extract. Now such a load is held (nothing written, the
current version stays) until confirmed, and superseding keeps the old quarantine report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import POLICE_HEADER, POLICE_ROWS, load, snapshot, write_csv

from sharewell.ingest import list_dataset_versions
from sharewell.ingest.shrink import shrink_hold
from sharewell.store import Workspace


def _records(workspace: Workspace) -> int:
    row = workspace.conn.execute(
        "SELECT count(*) FROM person_records WHERE partner = 'westshire_police'"
    ).fetchone()
    return int(row[0]) if row else 0


def test_a_file_whose_every_row_is_quarantined_does_not_replace_the_good_version(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    good = load(workspace, police_csv, police_mapping)
    before = snapshot(workspace)
    # The file, at test size: a header, then one enormous line with no delimiter.
    bad = write_csv(tmp_path / "bad.csv", [POLICE_HEADER, "x" * 2_000_000])
    report = load(workspace, bad, police_mapping)
    assert report.held is not None
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (1, 0, 1)
    assert report.dataset_version == good.dataset_version  # the version that stays
    assert report.superseded_version is None
    assert "no row of the new file was accepted" in report.held.message
    assert "from 3 accepted rows (dataset version 1) to 0 of the 1 rows read" in (
        report.held.message
    )
    assert snapshot(workspace) == before  # nothing written, not even quarantine
    assert _records(workspace) == 3


def test_a_file_below_half_the_current_rows_is_held_and_loads_once_accepted(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    load(workspace, police_csv, police_mapping)
    one = write_csv(tmp_path / "one.csv", [POLICE_HEADER, POLICE_ROWS[0]])
    held = load(workspace, one, police_mapping)
    assert held.held is not None and "below 50% of the current version" in held.held.message
    assert [v.status for v in list_dataset_versions(workspace)] == ["current"]
    accepted = load(workspace, one, police_mapping, accept_shrink=True)
    assert accepted.held is None and accepted.superseded_version == 1
    assert _records(workspace) == 1


def test_the_share_is_configurable(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    load(workspace, police_csv, police_mapping)
    two = write_csv(tmp_path / "two.csv", [POLICE_HEADER, *POLICE_ROWS[:2]])
    assert load(workspace, two, police_mapping, hold_share=0.9).held is not None
    assert load(workspace, two, police_mapping, hold_share=0.5).held is None
    assert _records(workspace) == 2


def test_a_first_load_is_never_held(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    bad = write_csv(tmp_path / "bad.csv", [POLICE_HEADER, "P1,,,,,,,not a date,??,"])
    report = load(workspace, bad, police_mapping)
    assert report.held is None and report.rows_accepted == 0


def test_superseding_keeps_the_old_versions_quarantine_report(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    first = load(
        workspace,
        write_csv(tmp_path / "a.csv", [POLICE_HEADER, *POLICE_ROWS, "P9,,,,,,,never,??,"]),
        police_mapping,
    )
    assert first.rows_quarantined == 1
    second = load(
        workspace, write_csv(tmp_path / "b.csv", [POLICE_HEADER, *POLICE_ROWS]), police_mapping
    )
    assert second.superseded_version == first.dataset_version
    kept = workspace.conn.execute(
        "SELECT file_name, row_number FROM quarantine WHERE dataset_version = ?",
        [first.dataset_version],
    ).fetchall()
    assert ("a.csv", 5) in kept  # evidence of what was sent, after the version was replaced
    records = workspace.conn.execute(
        "SELECT count(*) FROM records_police_mh_incident WHERE dataset_version = ?",
        [first.dataset_version],
    ).fetchone()
    assert records == (0,)


@pytest.mark.parametrize(
    ("current", "accepted", "share", "held"),
    [
        (None, 0, 0.5, False),  # nothing to replace
        (100, 50, 0.5, False),  # exactly half is not below half
        (100, 49, 0.5, True),
        (100, 0, 0.0, True),  # no accepted row is always held
        (100, 1, 0.0, False),
        (0, 0, 0.5, True),
        (0, 3, 0.5, False),
    ],
)
def test_the_rule_as_a_pure_function(
    current: int | None, accepted: int, share: float, held: bool
) -> None:
    hold = shrink_hold(
        partner="westshire_police",
        source_type="police.mh_incident",
        current_version=None if current is None else 7,
        current_rows=current or 0,
        rows_read=accepted + 1,
        rows_accepted=accepted,
        hold_share=share,
    )
    assert (hold is not None) == held


def test_a_share_outside_nought_to_one_is_a_bug() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        shrink_hold(
            partner="p",
            source_type="person",
            current_version=1,
            current_rows=1,
            rows_read=1,
            rows_accepted=1,
            hold_share=1.5,
        )
