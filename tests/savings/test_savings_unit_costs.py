"""The shipped unit cost library says, row by row, what was checked against which source."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from sharewell.errors import SavingsError
from sharewell.savings.unit_costs import DATA_DIR, load_deflators, load_library

HEAD = "code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source"


def _rows() -> list[dict[str, str]]:
    with (DATA_DIR / "unit_costs.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_shipped_row_says_whether_it_was_checked_against_its_source() -> None:
    for row in _rows():
        assert row["verified"] in ("yes", "partly", "no"), row["code"]
        assert row["verification"].strip(), f"{row['code']}: say what was (or was not) checked"
        if row["verified"] != "no":
            assert row["source_url"].startswith("https://"), row["code"]
            assert row["source_ref"] and row["published_value"], row["code"]


def test_checked_figures_are_the_published_ones_or_add_up_to_them() -> None:
    # A unit cost split by payer keeps the published total: parts (same code) sum to it.
    parts: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows():
        if row["verified"] == "yes":
            parts[row["code"]].append(row)
    assert parts, "no checked rows"
    for code, rows in parts.items():
        published = {float(r["published_value"]) for r in rows}
        years = {r["published_price_year"] for r in rows}
        assert years == {rows[0]["price_year"]}, f"{code}: price year differs from the source"
        total = sum(float(r["cost_gbp"]) for r in rows)
        if len(published) == 1:
            assert total == pytest.approx(published.pop()), code
        else:  # each part is its own published sub-entry (e.g. HE7.10.1 and HE7.10.2)
            assert [float(r["cost_gbp"]) for r in rows] == [
                float(r["published_value"]) for r in rows
            ], code


def test_unverified_figures_are_graded_as_weak_evidence() -> None:
    for row in _rows():
        if row["verified"] != "yes":
            assert int(row["confidence_grade"]) >= 5, f"{row['code']} is unverified but graded up"


def test_a_composite_is_no_better_evidenced_than_its_weakest_part(tmp_path: Path) -> None:
    weak = tmp_path / "weak.csv"
    weak.write_text(
        f"{HEAD}\nCR9.0,Officer hour (local guess),hour,police,fiscal,40,2024/25,0,6,guess\n",
        encoding="utf-8",
    )
    assert load_library().get("S136.DETENTION").confidence_grade == 5
    s136 = load_library([weak]).get("S136.DETENTION")
    assert s136.confidence_grade == 6
    # The local file has no `verified` column, so the composite is not checked either.
    assert s136.verified == "no"


def test_a_verified_column_with_an_unknown_value_is_refused_naming_the_row(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{HEAD},verified\nX1,Thing,event,police,fiscal,10,2024/25,0,3,somewhere,probably\n",
        encoding="utf-8",
    )
    with pytest.raises(SavingsError, match=r"bad.csv row 2 \(X1\), verified: 'probably'"):
        load_library([bad])


def test_the_deflator_series_is_rebased_so_only_ratios_matter(tmp_path: Path) -> None:
    shipped = load_library().deflators
    rebased = tmp_path / "rebased.csv"
    rebased.write_text(
        "financial_year,index\n" + "".join(f"{y},{v * 3.7}\n" for y, v in shipped.index.items()),
        encoding="utf-8",
    )
    other = load_deflators(rebased)
    assert other.factor("2008/09", "2024/25") == pytest.approx(
        shipped.index["2024/25"] / shipped.index["2008/09"]
    )
    assert "March 2026" in shipped.source and shipped.verification
