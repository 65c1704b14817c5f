"""Loads: the workspace contract, idempotency, supersession, deletion and the row accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_support import POLICE_HEADER, POLICE_ROWS, load, snapshot, write_csv

from sharewell.errors import IngestError, NotFound
from sharewell.ingest import (
    delete_dataset_version,
    get_dataset_version,
    ingest_file,
    list_dataset_versions,
    load_source_types,
    source_type,
)
from sharewell.store import Workspace

CONTRACT_COLUMNS = [
    "unique_id",
    "record_id",
    "partner",
    "source",
    "dataset_version",
    "given_name",
    "given_name_canonical",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "postcode_outward",
    "postcode_sector",
    "uprn",
    "nhs_number",
    "phone",
    "email",
]


def test_person_records_has_the_contract_columns_and_normalised_values(
    workspace: Workspace, police_csv: Path, police_mapping: Path
) -> None:
    report = load(workspace, police_csv, police_mapping)
    described = workspace.conn.execute("DESCRIBE person_records").fetchall()
    assert [r[0] for r in described] == CONTRACT_COLUMNS
    assert dict((r[0], r[1]) for r in described)["date_of_birth"] == "DATE"
    row = workspace.conn.execute("SELECT * FROM person_records WHERE record_id = 'P1'").fetchone()
    assert row is not None
    got = dict(zip(CONTRACT_COLUMNS, row, strict=True))
    assert got["unique_id"] == "westshire_police:police.mh_incident:P1"
    assert (got["given_name"], got["given_name_canonical"], got["family_name"]) == (
        "bob",
        "robert",
        "obrien",
    )
    assert (got["postcode"], got["postcode_outward"], got["postcode_sector"]) == (
        "SW1A 1AA",
        "SW1A",
        "SW1A 1",
    )
    assert (got["sex"], got["nhs_number"], got["dataset_version"]) == (
        "male",
        "9434765919",
        report.dataset_version,
    )


def test_canonical_given_name_uses_sex_where_the_nickname_needs_it(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [
        POLICE_HEADER,
        "P1,Alex,A,,F,,,2024-01-01,MH,",
        "P2,Alex,B,,M,,,2024-01-01,MH,",
        "P3,Alex,C,,,,,2024-01-01,MH,",
        "P4,Bobby Joe,D,,,,,2024-01-01,MH,",
    ]
    load(workspace, write_csv(tmp_path / "alex.csv", lines), police_mapping)
    got = dict(
        workspace.conn.execute(
            "SELECT record_id, given_name_canonical FROM person_records"
        ).fetchall()
    )
    assert got == {"P1": "alexandra", "P2": "alexander", "P3": "alex", "P4": "robert"}


def test_typed_table_holds_event_columns_for_views(
    workspace: Workspace, police_csv: Path, police_mapping: Path
) -> None:
    load(workspace, police_csv, police_mapping)
    table = source_type("police.mh_incident").table_name
    assert table == "records_police_mh_incident"
    rows = workspace.conn.execute(
        f"SELECT unique_id, incident_date::VARCHAR, incident_type FROM {table} ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("westshire_police:police.mh_incident:P1", "2024-01-02", "section_136"),
        ("westshire_police:police.mh_incident:P2", "2024-04-03", "mental_health"),
        ("westshire_police:police.mh_incident:P3", "2024-02-29", "concern_for_welfare"),
    ]


def test_every_source_type_loads_from_canonical_column_names(
    workspace: Workspace, tmp_path: Path
) -> None:
    for name, stype in load_source_types().items():
        header = list(stype.columns)
        sample = {
            "record_id": "R1",
            "date": "01/02/2020",
            "category": None,
            "boolean": "Y",
            "integer": "2",
            "number": "1.5",
            "string": "x",
        }
        row = []
        for col in stype.columns.values():
            value = sample["record_id"] if col.name == "record_id" else sample[col.type]
            row.append((col.values or ("",))[0] if col.type == "category" else value)
        for col_name, value in (
            ("postcode", "SW1A 1AA"),
            ("nhs_number", "9434765919"),
            ("phone", "01632 960001"),
            ("email", "a@b.org"),
            ("uprn", "100023336956"),
        ):
            row[header.index(col_name)] = value
        path = write_csv(tmp_path / f"{name}.csv", [",".join(header), ",".join(row)])
        report = ingest_file(
            workspace, partner="westshire_cc", source_type=name, path=path, loaded_by="t"
        )
        assert (report.rows_accepted, report.values_dropped) == (1, 0), (
            name,
            report.quarantine_sample,
        )
    count = workspace.conn.execute("SELECT count(DISTINCT source) FROM person_records").fetchone()
    assert count == (len(load_source_types()),)


def test_accepted_plus_quarantined_is_rows_read(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER, *POLICE_ROWS, "P9,x", "P10,,,,,,,,MH,", "P11,Ann,,,,,,2024-01-01,XX,"]
    report = load(workspace, write_csv(tmp_path / "some-bad.csv", lines), police_mapping)
    assert report.rows_read == 6
    assert report.rows_accepted + report.rows_quarantined == report.rows_read
    stored = workspace.conn.execute(
        "SELECT (SELECT count(*) FROM person_records), "
        "(SELECT count(DISTINCT row_number) FROM quarantine WHERE action = 'row_quarantined')"
    ).fetchone()
    assert stored == (report.rows_accepted, report.rows_quarantined)


def test_loading_the_same_file_twice_is_recognised_and_stores_nothing_new(
    workspace: Workspace, police_csv: Path, police_mapping: Path
) -> None:
    first = load(workspace, police_csv, police_mapping)
    before = snapshot(workspace)
    second = load(workspace, police_csv, police_mapping)
    assert second.recognised and second.dataset_version == first.dataset_version
    assert second.rows_accepted == first.rows_accepted
    assert snapshot(workspace) == before
    assert len(list_dataset_versions(workspace)) == 1


def test_a_newer_version_supersedes_the_older_for_that_partner_and_source(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    first = load(workspace, police_csv, police_mapping)
    other = load(workspace, police_csv, police_mapping, partner="other_force")
    newer = write_csv(
        tmp_path / "newer.csv", [POLICE_HEADER, POLICE_ROWS[0], "P4,Dee,Doe,,F,,,2024-05-05,MH,"]
    )
    second = load(workspace, newer, police_mapping)
    assert second.superseded_version == first.dataset_version
    ids = {
        r[0]
        for r in workspace.conn.execute(
            "SELECT record_id FROM person_records WHERE partner = 'westshire_police'"
        ).fetchall()
    }
    assert ids == {"P1", "P4"}
    assert get_dataset_version(workspace, first.dataset_version).status == "superseded"
    assert (
        get_dataset_version(workspace, first.dataset_version).superseded_by
        == second.dataset_version
    )
    assert get_dataset_version(workspace, other.dataset_version).status == "current"
    unique = workspace.conn.execute(
        "SELECT count(*) = count(DISTINCT unique_id) FROM person_records"
    ).fetchone()
    assert unique == (True,)


def test_reloading_an_older_file_after_a_newer_one_makes_it_current_again(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    load(workspace, police_csv, police_mapping)
    smaller = write_csv(tmp_path / "b.csv", [POLICE_HEADER, POLICE_ROWS[0]])
    load(workspace, smaller, police_mapping, accept_shrink=True)
    again = load(workspace, police_csv, police_mapping)
    assert not again.recognised and again.rows_accepted == 3
    assert [v.status for v in list_dataset_versions(workspace)] == [
        "superseded",
        "superseded",
        "current",
    ]


def test_registry_records_who_what_and_the_counts(
    workspace: Workspace, police_csv: Path, police_mapping: Path
) -> None:
    report = load(workspace, police_csv, police_mapping, loaded_by="analyst@westshire")
    (version,) = list_dataset_versions(workspace)
    assert (version.id, version.partner, version.source_type, version.file_name) == (
        report.dataset_version,
        "westshire_police",
        "police.mh_incident",
        "police.csv",
    )
    assert (version.rows_read, version.rows_accepted, version.rows_quarantined) == (3, 3, 0)
    assert version.content_hash == report.content_hash and len(version.content_hash) == 64
    assert version.loaded_by == "analyst@westshire" and version.status == "current"


def test_deleting_a_version_removes_its_records_and_quarantine_but_keeps_the_entry(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    kept = load(workspace, police_csv, police_mapping, partner="other_force")
    lines = [POLICE_HEADER, *POLICE_ROWS, "P9,bad"]
    gone = load(workspace, write_csv(tmp_path / "x.csv", lines), police_mapping)
    deletion = delete_dataset_version(workspace, gone.dataset_version)
    assert (deletion.records, deletion.quarantine_rows) == (3, 1)
    partners = workspace.conn.execute("SELECT DISTINCT partner FROM person_records").fetchall()
    assert partners == [("other_force",)]
    assert workspace.conn.execute(
        "SELECT count(*) FROM quarantine WHERE dataset_version = ?", [gone.dataset_version]
    ).fetchone() == (0,)
    assert [v.id for v in list_dataset_versions(workspace)] == [kept.dataset_version]
    deleted = get_dataset_version(workspace, gone.dataset_version)
    assert deleted.status == "deleted" and deleted.deleted_at is not None
    assert delete_dataset_version(workspace, gone.dataset_version).already_deleted
    with pytest.raises(NotFound):
        delete_dataset_version(workspace, 999)


def test_quarantined_rows_keep_the_whole_original_record(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER, "P1,Ann,Lee,01/01/1990,F,,,not a date,MH,note"]
    load(workspace, write_csv(tmp_path / "q.csv", lines), police_mapping)
    import json

    row = workspace.conn.execute(
        "SELECT file_name, row_number, column_name, value, record FROM quarantine"
    ).fetchone()
    assert row is not None
    assert row[:4] == ("q.csv", 2, "Incident Date", "not a date")
    assert json.loads(row[4])["Narrative"] == "note"


def test_mapping_and_source_must_agree(
    workspace: Workspace, police_csv: Path, police_mapping: Path
) -> None:
    with pytest.raises(IngestError, match=r"mapping is for source type 'police\.mh_incident'"):
        ingest_file(
            workspace,
            partner="p",
            source_type="fire.incident",
            path=police_csv,
            mapping=police_mapping,
            loaded_by="t",
        )
    with pytest.raises(IngestError, match="not an organisation slug"):
        load(workspace, police_csv, police_mapping, partner="Westshire Police!")
    with pytest.raises(NotFound, match="unknown source type"):
        ingest_file(workspace, partner="p", source_type="nope", path=police_csv, loaded_by="t")


def test_a_partnership_manifest_loads_every_extract_with_its_mapping(
    workspace: Workspace, tmp_path: Path, police_csv: Path, police_mapping: Path
) -> None:
    import json

    from sharewell.ingest import ingest_manifest

    people = write_csv(tmp_path / "people.csv", ["record_id,given_name", "C1,Ann"])
    (tmp_path / "manifest.json").write_text(
        json.dumps(
            {
                "extracts": [
                    {
                        "partner": "westshire_police",
                        "source_type": "police.mh_incident",
                        "file": police_csv.name,
                        "mapping": police_mapping.name,
                        "rows": 3,
                    },
                    {"partner": "westshire_cc", "source_type": "person", "file": people.name},
                ]
            }
        )
    )
    reports = ingest_manifest(workspace, tmp_path, loaded_by="demo")
    assert [(r.partner, r.rows_accepted) for r in reports] == [
        ("westshire_police", 3),
        ("westshire_cc", 1),
    ]
    with pytest.raises(IngestError, match="does not exist"):
        ingest_manifest(workspace, tmp_path / "nowhere", loaded_by="demo")
