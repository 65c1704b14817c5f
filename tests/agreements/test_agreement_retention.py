"""Retention: data outliving every agreement it was shared under is deleted; counts audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine

from sharewell.agreements import (
    current_agreements,
    load_agreement,
    retention_decisions,
    run_retention,
)
from sharewell.agreements.demo_partnership import EXAMPLES_DIR
from sharewell.audit import entries, verify

FIRE = load_agreement(EXAMPLES_DIR / "fire_prevention.yaml")  # 365 days
CRISIS = load_agreement(EXAMPLES_DIR / "mh_crisis_care.yaml")  # 730 days
EVALUATION = load_agreement(EXAMPLES_DIR / "service_evaluation.yaml")  # 1095 days


@dataclass(frozen=True)
class Held:
    id: int
    partner: str
    source_type: str
    loaded_at: datetime
    rows_accepted: int


OLD_POLICE = Held(1, "westshire_police", "police.mh_incident", datetime(2026, 1, 10), 40)
OLD_ICB = Held(2, "westshire_icb", "nhs.over65_register", datetime(2026, 1, 10), 25)
RECENT_POLICE = Held(1, "westshire_police", "police.mh_incident", datetime(2027, 6, 1), 40)
# Under every demo agreement, OLD_ICB is kept 1095 days (service evaluation): to 2029-01-09.
AFTER_ICB_RETENTION = date(2029, 2, 1)


def test_the_longest_retention_of_the_covering_agreements_applies() -> None:
    # Police MH incidents are shared under fire prevention (365) and crisis care (730).
    [d] = retention_decisions([OLD_POLICE], [FIRE, CRISIS], date(2027, 6, 1))
    assert (d.due, d.retention_days, d.delete_after) == (False, 730, date(2028, 1, 10))
    [d] = retention_decisions([OLD_POLICE], [FIRE, CRISIS], date(2028, 1, 11))
    assert d.due and d.agreements == ("fire-prevention", "mh-crisis-care")


def test_a_dataset_due_only_under_one_agreement_is_deleted_after_it() -> None:
    [d] = retention_decisions([OLD_ICB], [FIRE], date(2027, 1, 11))
    assert d.due and d.delete_after == date(2027, 1, 10)
    [d] = retention_decisions([OLD_ICB], [FIRE], date(2027, 1, 10))
    assert not d.due


def test_drafts_do_not_count_and_uncovered_data_is_kept_for_review() -> None:
    draft = FIRE.model_copy(update={"status": "draft"})
    [d] = retention_decisions([OLD_ICB], [draft], date(2030, 1, 1))
    assert not d.due
    assert "no agreement covers" in d.reason


def test_a_suspended_agreement_still_sets_the_retention_clock() -> None:
    suspended = FIRE.model_copy(update={"status": "suspended", "version": 2})
    [d] = retention_decisions([OLD_ICB], [FIRE, suspended], date(2027, 2, 1))
    assert d.due


def _workspace(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(tmp_path / "ws.duckdb"))
    conn.execute("CREATE TABLE records (dataset_version INTEGER, given_name VARCHAR)")
    conn.execute("INSERT INTO records SELECT 1, 'x' FROM range(40)")
    conn.execute("INSERT INTO records SELECT 2, 'y' FROM range(25)")
    return conn


def _delete(ws: duckdb.DuckDBPyConnection, version: int) -> dict[str, int]:
    deleted = ws.execute(
        "DELETE FROM records WHERE dataset_version = ? RETURNING given_name", [version]
    ).fetchall()
    return {"records": len(deleted)}


def test_retention_run_deletes_due_versions_and_audits_counts_not_contents(
    demo_engine: Engine, tmp_path: Path
) -> None:
    ws = _workspace(tmp_path)

    report = run_retention(
        demo_engine,
        [RECENT_POLICE, OLD_ICB],
        current_agreements(demo_engine),
        lambda version: _delete(ws, version),
        actor="retention",
        today=AFTER_ICB_RETENTION,
    )

    assert (report.deleted_versions, report.deleted_rows) == (1, 25)
    assert ws.execute("SELECT dataset_version, count(*) FROM records GROUP BY 1").fetchall() == [
        (1, 40)
    ]
    entry = entries(demo_engine)[-1]
    assert (entry.action, entry.outcome, entry.persons) == ("deletion", "ok", ())
    assert entry.detail["rows_deleted"] == 25 and entry.detail["dataset_version"] == 2
    assert set(entry.detail) == {  # what was deleted and why: no record contents
        "reason",
        "dataset_version",
        "source_type",
        "rows_deleted",
        "retention_days",
        "delete_after",
        "agreements",
        "removed",
    }
    assert entry.detail["removed"] == {"records": 25}
    assert verify(demo_engine).ok


def test_a_dry_run_deletes_nothing(demo_engine: Engine, tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    before = len(entries(demo_engine))
    report = run_retention(
        demo_engine,
        [OLD_ICB],
        current_agreements(demo_engine),
        lambda v: ws.execute("DELETE FROM records"),
        actor="retention",
        today=AFTER_ICB_RETENTION,
        dry_run=True,
    )
    assert report.decisions[0].due and report.deleted_versions == 0
    assert ws.execute("SELECT count(*) FROM records").fetchone() == (65,)
    assert len(entries(demo_engine)) == before


def test_a_failed_delete_leaves_no_deletion_entry(demo_engine: Engine) -> None:
    before = len(entries(demo_engine))

    def fails(_version: str) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        run_retention(
            demo_engine,
            [OLD_ICB],
            current_agreements(demo_engine),
            fails,
            actor="r",
            today=AFTER_ICB_RETENTION,
        )
    assert len(entries(demo_engine)) == before
