"""link-files links on whatever identifying columns two files share (issue 21).

Every subset of two or more of the usual fields gets a model, blocking rules and an EM plan
in which no session is left with nothing to train; a pair of files sharing one field is
refused (exit 3). The end-to-end runs cover every pair of fields and every set missing one
field; the plan check covers all 247 subsets (each end-to-end run costs seconds).
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from pathlib import Path

import duckdb
import pytest
from people import People, make_people
from splink import DuckDBAPI, Linker

from sharewell.cli import ExitCode, main
from sharewell.errors import LinkageError
from sharewell.linkage.files import link_files
from sharewell.linkage.model import ModelSpec, person_settings
from sharewell.linkage.plan import free_comparisons, training_plan
from sharewell.linkage.prepare import PREPARED_COLUMNS

FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "nhs_number",
    "phone",
)
SUBSETS = [c for n in range(2, len(FIELDS) + 1) for c in itertools.combinations(FIELDS, n)]
END_TO_END = [
    c for c in SUBSETS if len(c) == 2 or len(c) >= len(FIELDS) - 1
]  # 28 pairs, 8 sets missing one field, and all eight


def _phone(person: str) -> str:
    return "07700 9" + str(int(hashlib.sha256(person.encode()).hexdigest(), 16) % 100000).zfill(5)


def _middle(person: str) -> str:
    return "ABCDEFGHJKLMNPRSTW"[int(hashlib.sha256(person.encode()).hexdigest(), 16) % 18]


def _write(path: Path, people: People, records: list[dict[str, object]]) -> None:
    header = ["record_id", *FIELDS, "middle_initial", "town", "notes"]
    # Each person's NHS number on both sides (the maker gives it to NHS partners only).
    nhs = {
        people.truth[str(r["unique_id"])]: r["nhs_number"]
        for r in people.records
        if r["nhs_number"]
    }
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        for r in records:
            person = people.truth[str(r["unique_id"])]
            dob = r["date_of_birth"]
            out.writerow(
                [
                    r["record_id"],
                    r["given_name"],
                    r["family_name"],
                    dob.strftime("%d/%m/%Y") if dob else "",  # type: ignore[attr-defined]
                    r["sex"] or "",
                    r["postcode"] or "",
                    str(r["address"]).replace(" westshire", ""),
                    nhs.get(person, ""),
                    _phone(person),
                    _middle(person),
                    "westshire",
                    "free text nobody maps",
                ]
            )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, People]:
    """Two small files of the same synthetic people, split by partner."""
    people = make_people(150, seed=29)
    left_partners = {"westshire_cc", "westshire_fire", "westshire_police"}
    d = tmp_path_factory.mktemp("any-fields")
    _write(d / "a.csv", people, [r for r in people.records if r["partner"] in left_partners])
    _write(d / "b.csv", people, [r for r in people.records if r["partner"] not in left_partners])
    return d / "a.csv", d / "b.csv", people


def _prepared_field(field: str) -> str:
    return "dob" if field == "date_of_birth" else field


def test_every_subset_of_fields_gets_a_model_that_can_be_trained() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE l AS SELECT "
        + ", ".join(f"NULL::VARCHAR AS {c}" for c in PREPARED_COLUMNS)
        + " LIMIT 0"
    )
    con.execute("CREATE TABLE r AS SELECT * FROM l")
    for subset in SUBSETS:
        db_api = DuckDBAPI(connection=con)
        spec = ModelSpec(present=frozenset(map(_prepared_field, subset)), link_type="link_only")
        assert spec.prediction_rules(), subset
        assert spec.deterministic_rules(), subset
        linker = Linker(
            [db_api.register("l", table_name="l"), db_api.register("r", table_name="r")],
            person_settings(spec),
        )
        comparisons = linker._settings_obj.comparisons
        assert len(comparisons) == len(subset) - ({"postcode", "address"} <= set(subset)), subset
        plan = training_plan(spec.em_rules(), comparisons, "duckdb")
        for session in plan.sessions:
            # Never a session with nothing to train (issue 21's crash).
            assert free_comparisons(session.rule, comparisons, "duckdb"), (subset, session)
        covered = {c for s in plan.sessions for c in s.estimates}
        names = {c.output_column_name for c in comparisons}
        assert covered | set(plan.untrainable) == names, subset


@pytest.mark.slow
@pytest.mark.parametrize("subset", END_TO_END, ids=["+".join(s) for s in END_TO_END])
def test_link_files_links_on_any_fields_it_is_given(
    pair: tuple[Path, Path, People], tmp_path: Path, subset: tuple[str, ...]
) -> None:
    left, right, _ = pair
    summary = link_files(left, right, list(subset), tmp_path / "links.csv")
    assert set(summary.fields_used) == set(subset)
    assert summary.records_left > 0 and summary.records_right > 0
    assert (tmp_path / "links.csv").exists()
    # Nothing mapped on purpose is reported as unused, with the other columns.
    unused = {c for u in summary.unused for c in u.columns}
    assert "notes" in unused and not unused & set(subset)


def test_names_and_address_with_no_date_of_birth_link(
    pair: tuple[Path, Path, People], tmp_path: Path
) -> None:
    # Issue 21: given name, middle initial, family name, address, town and postcode, as a
    # council tax or electoral register extract holds them; this crashed before.
    left, right, people = pair
    cols = ["given_name", "middle_initial", "family_name", "address", "town", "postcode"]
    out = tmp_path / "links.csv"
    summary = link_files(left, right, cols, out)
    assert set(summary.fields_used) == {
        "given_name",
        "middle_name",
        "family_name",
        "address",
        "town",
        "postcode",
    }
    truth = {r["record_id"]: people.truth[r["unique_id"]] for r in people.records}
    got = duckdb.sql(f"SELECT left_id, right_id FROM read_csv('{out}', all_varchar=true)")
    pairs = got.fetchall()
    assert len(pairs) > 50
    assert sum(truth[a] == truth[b] for a, b in pairs) / len(pairs) >= 0.95


def test_record_id_is_the_default_id_and_unused_columns_are_listed(
    pair: tuple[Path, Path, People], tmp_path: Path
) -> None:
    left, right, _ = pair
    summary = link_files(left, right, [], tmp_path / "links.csv")
    assert summary.id_columns == ("record_id", "record_id")
    assert {"middle_name", "town"} <= set(summary.fields_used)
    assert [u.columns for u in summary.unused] == [["notes"], ["notes"]]
    ids = duckdb.sql(
        f"SELECT left_id FROM read_csv('{tmp_path / 'links.csv'}', all_varchar=true) LIMIT 1"
    ).fetchall()
    assert not ids[0][0].startswith("row ")


def test_files_sharing_one_field_are_refused_with_exit_3(
    pair: tuple[Path, Path, People], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    left, right, _ = pair
    with pytest.raises(LinkageError, match="share 1 identifying field"):
        link_files(left, right, ["family_name"], tmp_path / "x.csv")
    code = main(
        ["link-files", str(left), str(right), "--map", "postcode", "--out", str(tmp_path / "x.csv")]
    )
    assert code == ExitCode.BAD_INPUT
    assert "at least two" in capsys.readouterr().err


def test_a_file_whose_identifying_columns_are_all_empty_is_refused(
    pair: tuple[Path, Path, People], tmp_path: Path
) -> None:
    left, _, _ = pair
    empty = tmp_path / "empty.csv"
    empty.write_text("record_id,given_name,family_name\nx1,,\nx2,N/A,\n")
    with pytest.raises(LinkageError, match="right file's identifying columns"):
        link_files(left, empty, [], tmp_path / "x.csv")
