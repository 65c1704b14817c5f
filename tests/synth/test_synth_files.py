"""The written partnership: reproducible, laid out as docs/extracts.md says, truth kept apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from synth_files import parse_date, read_extract, read_table

from sharewell.cli import ExitCode, main
from sharewell.errors import ConfigError, SharewellError
from sharewell.ingest.source_types import load_source_types
from sharewell.synth import Partnership, SynthConfig, generate, write_partnership
from sharewell.synth.identifiers import POSTCODE_PATTERN, is_valid_nhs_number


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    config = SynthConfig(people=600, seed=5)
    write_partnership(generate(config), tmp_path / "a")
    write_partnership(generate(config), tmp_path / "b")
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert "westshire_icb/over65_register.xlsx" in first
    for name in first:
        assert first[name] == second[name], name

    write_partnership(generate(SynthConfig(people=600, seed=6)), tmp_path / "c")
    assert _files(tmp_path / "c")["truth/people.csv"] != first["truth/people.csv"]


def test_manifest_lists_every_extract_with_its_mapping_and_row_count(written: Path) -> None:
    manifest = json.loads((written / "manifest.json").read_text())
    assert manifest["county"] == "Westshire" and manifest["seed"] == 7
    assert {o["slug"] for o in manifest["organisations"]} == {
        "westshire_cc", "westshire_fire", "westshire_police", "westshire_mht", "westshire_icb",
        "westshire_ambulance",
    }  # fmt: skip
    # Every source type has an extract; the generic person list is the council tax extract.
    assert {e["source_type"] for e in manifest["extracts"]} == set(load_source_types())
    for entry in manifest["extracts"]:
        assert (written / entry["mapping"]).is_file()
        sheet = yaml.safe_load((written / entry["mapping"]).read_text()).get("sheet")
        assert len(read_extract(written / entry["file"], sheet)) == entry["rows"] > 0
    assert sorted(p.name for p in (written / "truth").iterdir()) == [
        "config.json", "households.csv", "people.csv", "records.csv",
    ]  # fmt: skip


def test_truth_maps_every_record_to_a_person_with_consistent_attributes(written: Path) -> None:
    manifest = json.loads((written / "manifest.json").read_text())
    people = {p["person_id"]: p for p in read_table(written / "truth/people.csv")}
    households = {h["household_id"]: h for h in read_table(written / "truth/households.csv")}
    # Records dated before a move rightly carry the previous address.
    previous = {pid: households[p["household_id"]]["previous_uprn"] for pid, p in people.items()}
    truth = read_table(written / "truth/records.csv")
    by_file: dict[str, dict[str, dict[str, str]]] = {}
    for rec in truth:
        by_file.setdefault(rec["file"], {})[rec["record_id"]] = rec
    assert len(truth) == len({r["unique_id"] for r in truth})

    checked = 0
    for entry in manifest["extracts"]:
        mapping = yaml.safe_load((written / entry["mapping"]).read_text())
        to_partner = {canon: col for col, canon in mapping["columns"].items()}
        rows = read_extract(written / entry["file"], mapping.get("sheet"))
        records = by_file[entry["file"]]
        assert {str(r[to_partner["record_id"]]) for r in rows} == set(records)
        for row in rows:
            rec = records[str(row[to_partner["record_id"]])]
            person = people[rec["person_id"]]
            errors = set(rec["errors"].split(";")) - {""}
            # A field with no recording problem says exactly what is true of the person.
            if not errors & {"nickname", "typo", "swapped_names"}:
                checked += 1
                assert row[to_partner["given_name"]] == person["given_name"]
            if not errors & {"typo", "swapped_names", "name_suffix"}:
                assert row[to_partner["family_name"]] == person["family_name"]
            # Not every partner holds every field: the council tax list has no birthday.
            if "date_of_birth" in to_partner and not errors & {
                "dob_missing",
                "dob_partial",
                "dob_transposed",
            }:
                dob = parse_date(row[to_partner["date_of_birth"]])
                assert str(dob) == person["date_of_birth"]
            if "nhs_number" in to_partner:
                nhs = str(row[to_partner["nhs_number"]] or "").replace(" ", "")
                if "nhs_typo" in errors:
                    assert nhs != person["nhs_number"] and len(nhs) == 10
                else:
                    assert nhs == ("" if "nhs_missing" in errors else person["nhs_number"])
            if "sex" in to_partner and "sex_unknown" not in errors:
                code = str(row[to_partner["sex"]])
                assert mapping["values"]["sex"].get(code, code) == person["sex"]
            if not errors & {"address_variant", "stale_address", "uprn_missing"}:
                assert str(row[to_partner["uprn"]] or "") in (
                    person["uprn"],
                    previous[rec["person_id"]],
                )
    assert checked > 2000


def test_identifiers_have_valid_formats(partnership: Partnership) -> None:
    people = partnership.people_truth()
    assert all(is_valid_nhs_number(n) for n in people["nhs_number"])
    # In the extracts, only a keying slip makes an NHS number fail its check.
    for extract in partnership.extracts:
        canonical = [canon for _, canon in extract.shape.columns]
        if "nhs_number" not in canonical:
            continue  # the council tax list holds none
        col = canonical.index("nhs_number")
        for row, errors in zip(extract.rows, extract.errors, strict=True):
            if row[col] and "nhs_typo" not in errors:
                assert is_valid_nhs_number(str(row[col]).replace(" ", ""))
    assert len(set(people["nhs_number"])) == len(people["nhs_number"])
    assert all(n.startswith("9") for n in people["nhs_number"])
    households = partnership.households_truth()
    assert all(POSTCODE_PATTERN.match(pc) for pc in households["postcode"])
    assert all(len(u) == 12 and u.isdigit() for u in households["uprn"])
    assert len(set(households["uprn"])) == len(households["uprn"])


def test_nhs_number_check_digit() -> None:
    assert is_valid_nhs_number("943 476 5919")  # the NHS's published example
    assert not is_valid_nhs_number("943 476 5918")
    assert not is_valid_nhs_number("94347659")


def test_mappings_map_onto_source_type_columns_and_every_code_used(written: Path) -> None:
    types = load_source_types()
    manifest = json.loads((written / "manifest.json").read_text())
    for entry in manifest["extracts"]:
        mapping = yaml.safe_load((written / entry["mapping"]).read_text())
        st = types[mapping["source_type"]]
        assert st.name == entry["source_type"]
        assert set(mapping["columns"].values()) <= set(st.columns), entry["mapping"]
        assert set(st.required_columns) <= set(mapping["columns"].values()), entry["mapping"]
        rows = read_extract(written / entry["file"], mapping.get("sheet"))
        to_partner = {canon: col for col, canon in mapping["columns"].items()}
        for canon, codes in mapping.get("values", {}).items():
            column = st.columns[canon]
            if column.type == "boolean":
                assert set(codes.values()) == {"true", "false"}
            else:
                assert column.type == "category" and column.values is not None
                assert set(codes.values()) <= set(column.values), (entry["mapping"], canon)
            used = {
                str(r[to_partner[canon]]) for r in rows if r[to_partner[canon]] not in ("", None)
            }
            assert used <= set(codes), (entry["mapping"], canon, used - set(codes))
        for canon, column in st.columns.items():
            if (
                column.type == "category"
                and canon in to_partner
                and canon not in mapping.get("values", {})
            ):
                used = {r[to_partner[canon]] for r in rows} - {"", None}
                assert used <= set(column.values or ()), (entry["mapping"], canon)


def test_each_partner_writes_dates_its_own_way(written: Path) -> None:
    first = {
        "westshire_cc/asc_clients.csv": "Date of Birth",
        "westshire_fire/incidents.csv": "DateOfBirth",
        "westshire_fire/safe_and_well_visits.csv": "Occupier DOB",
    }
    shapes = {}
    for file, column in first.items():
        values = [r[column] for r in read_extract(written / file) if r[column]]
        shapes[file] = Counter("/" if "/" in v else " " if " " in v else "-" for v in values)
    assert set(shapes["westshire_cc/asc_clients.csv"]) == {"/"}
    assert set(shapes["westshire_fire/incidents.csv"]) == {"-"}
    assert set(shapes["westshire_fire/safe_and_well_visits.csv"]) == {" "}
    # The council's export came through Excel: a byte order mark and CRLF line ends.
    raw = (written / "westshire_cc/asc_clients.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw


def test_cli_synth_reports_the_manifest_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "westshire"
    assert main(["synth", "--people", "80", "--seed", "3", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["people"] == 80 and report["seed"] == 3
    assert report == json.loads((out / "manifest.json").read_text())


def test_bad_config_is_refused_with_the_field_named(tmp_path: Path) -> None:
    from datetime import date

    with pytest.raises(ConfigError, match="safe_haven_open"):
        generate(SynthConfig(people=100, safe_haven_open=date(2030, 1, 1)))
    assert main(["synth", "--people", "5", "--out", str(tmp_path)]) == ExitCode.USAGE


def test_refuses_to_overwrite_a_directory_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(SharewellError, match="not a synthetic partnership"):
        write_partnership(generate(SynthConfig(people=50)), tmp_path)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_every_setting_is_documented() -> None:
    from dataclasses import fields

    from sharewell.synth import PartnerQuality

    doc = (Path(__file__).parents[2] / "docs" / "synthetic.md").read_text()
    for f in (*fields(SynthConfig), *fields(PartnerQuality)):
        assert f"`{f.name}`" in doc, f.name


@pytest.mark.slow
def test_a_hundred_thousand_people_generate_and_write_in_under_a_minute(tmp_path: Path) -> None:
    import time

    began = time.perf_counter()
    manifest = write_partnership(generate(SynthConfig(people=100_000, seed=1)), tmp_path / "big")
    assert time.perf_counter() - began < 60
    assert manifest.people == 100_000


def test_demo_writes_the_partnership_beside_the_hub(tmp_path: Path) -> None:
    from sharewell.demo import run_demo

    summary = run_demo(tmp_path / "demo", people=300, seed=2, console=None)
    stage = summary.stages["synthetic partnership"]
    manifest = json.loads((tmp_path / "demo" / "extracts" / "manifest.json").read_text())
    assert manifest["people"] == 300
    for entry in manifest["extracts"]:
        assert stage[entry["file"]] == f"{entry['rows']} rows"


@settings(max_examples=20, deadline=None)
@given(people=st.integers(min_value=10, max_value=400), seed=st.integers(0, 2**32 - 1))
def test_any_small_county_generates_and_keeps_its_promises(people: int, seed: int) -> None:
    partnership = generate(SynthConfig(people=people, seed=seed))
    truth = partnership.people_truth()
    assert len(truth["person_id"]) == people
    assert all(is_valid_nhs_number(n) for n in truth["nhs_number"])
    records = partnership.records_truth()
    assert len(records["unique_id"]) == sum(len(e.rows) for e in partnership.extracts)
    assert set(records["person_id"]) <= set(truth["person_id"])
