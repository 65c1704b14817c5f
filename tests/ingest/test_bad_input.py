"""Every kind of bad input the issue lists gets a clear outcome, and nothing stored is lost.

Each test first loads a good police extract, then offers the bad one: either it is refused
with an IngestError that says what is wrong (and the workspace is exactly as before), or it
loads with the bad rows/values in quarantine and a reason a person can act on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import POLICE_HEADER, POLICE_ROWS, load, snapshot, write_csv
from openpyxl import Workbook

from sharewell.errors import IngestError
from sharewell.store import Workspace


@pytest.fixture
def loaded(workspace: Workspace, police_csv: Path, police_mapping: Path) -> dict[str, object]:
    """A workspace already holding a good dataset from another partner; its state before."""
    load(workspace, police_csv, police_mapping, partner="other_force")
    return snapshot(workspace)


def refused(workspace: Workspace, path: Path, mapping: Path | None, before: object) -> str:
    """Offer ``path``; assert it is refused and nothing changed; return the message."""
    with pytest.raises(IngestError) as caught:
        load(workspace, path, mapping)
    assert snapshot(workspace) == before
    return str(caught.value)


def quarantine(workspace: Workspace) -> list[tuple[object, ...]]:
    """(row, field, reason, action) of every quarantine entry of the newest version."""
    return workspace.conn.execute(
        "SELECT row_number, field, reason, action FROM quarantine "
        "WHERE dataset_version = (SELECT max(id) FROM dataset_versions) ORDER BY 1, 2"
    ).fetchall()


# --- whole files that cannot be read are refused, nothing changes ------------------------


def test_empty_file_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "empty" in refused(workspace, path, police_mapping, loaded)


def test_blank_lines_only_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\n\n  \n")
    assert "no content" in refused(workspace, path, police_mapping, loaded)


def test_header_only_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = write_csv(tmp_path / "header.csv", [POLICE_HEADER])
    assert "header row but no data rows" in refused(workspace, path, police_mapping, loaded)


def test_binary_garbage_named_csv_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 64)
    assert "not a text file" in refused(workspace, path, police_mapping, loaded)


def test_excel_workbook_named_csv_is_refused_with_what_it_is(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "really.csv"
    Workbook().save(path)
    assert "Excel workbook" in refused(workspace, path, police_mapping, loaded)


def test_unsupported_file_type_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "extract.json"
    path.write_text("{}")
    assert "unsupported file type .json" in refused(workspace, path, police_mapping, loaded)


def test_old_xls_is_refused_with_advice(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert "save it as .xlsx" in refused(workspace, path, police_mapping, loaded)


def test_truncated_excel_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    good = tmp_path / "good.xlsx"
    Workbook().save(good)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good.read_bytes()[:300])
    assert "not a readable Excel workbook" in refused(workspace, path, police_mapping, loaded)


def test_truncated_parquet_is_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"Incident Ref": ["P1"]}), good)
    path = tmp_path / "cut.parquet"
    path.write_bytes(good.read_bytes()[:-20])
    assert "truncated" in refused(workspace, path, police_mapping, loaded)


def test_missing_required_columns_are_refused_naming_them(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = write_csv(tmp_path / "nodate.csv", ["Incident Ref,Forename,Type", "P1,Bob,MH"])
    message = refused(workspace, path, police_mapping, loaded)
    assert "incident_date (column 'Incident Date')" in message
    assert "Incident Ref, Forename, Type" in message


def test_wrong_columns_altogether_are_refused(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    path = write_csv(tmp_path / "other.csv", ["a,b,c", "1,2,3"])
    assert "required columns not found" in refused(workspace, path, police_mapping, loaded)


# --- readable files with bad parts: rows quarantined, values dropped, reasons given ----


def test_semicolon_delimited_file_is_read(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [line.replace(",", ";") for line in [POLICE_HEADER, *POLICE_ROWS]]
    report = load(workspace, write_csv(tmp_path / "semi.csv", lines), police_mapping)
    assert (report.rows_accepted, report.details["delimiter"]) == (3, "semicolon")


def test_tab_delimited_file_is_read(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [line.replace(",", "\t") for line in [POLICE_HEADER, *POLICE_ROWS]]
    report = load(workspace, write_csv(tmp_path / "tabs.tsv", lines), police_mapping)
    assert (report.rows_accepted, report.details["delimiter"]) == (3, "tab")


def test_rows_with_the_wrong_delimiter_are_quarantined_with_a_hint(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    bad = POLICE_ROWS[1].replace(",", ";")
    path = write_csv(tmp_path / "mixed.csv", [POLICE_HEADER, POLICE_ROWS[0], bad, POLICE_ROWS[2]])
    report = load(workspace, path, police_mapping)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (3, 2, 1)
    ((row, field, reason, action),) = quarantine(workspace)
    assert (row, field, action) == (3, None, "row_quarantined")
    assert "is the delimiter right" in reason
    record = workspace.conn.execute("SELECT record FROM quarantine").fetchone()
    assert record is not None and json.loads(record[0]) == bad


def test_ragged_rows_are_quarantined_and_numbered_as_in_a_spreadsheet(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [
        POLICE_HEADER,
        POLICE_ROWS[0],
        "P9,Short,Row",
        POLICE_ROWS[1],
        POLICE_ROWS[2] + ",extra",
    ]
    report = load(workspace, write_csv(tmp_path / "ragged.csv", lines), police_mapping)
    assert (report.rows_read, report.rows_accepted, report.rows_quarantined) == (4, 2, 2)
    reasons = {row: reason for row, _f, reason, _a in quarantine(workspace)}
    assert reasons[3] == "row has 3 fields but the header has 10"
    assert reasons[5] == "row has 11 fields but the header has 10"
    accepted = {
        r[0]
        for r in workspace.conn.execute(
            "SELECT record_id FROM person_records WHERE partner = 'westshire_police'"
        ).fetchall()
    }
    assert accepted == {"P1", "P2"}


def test_quoted_newlines_stay_in_their_field(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [
        POLICE_HEADER,
        POLICE_ROWS[0] + '"Called at 10pm,\nmoved to place of safety"',
        POLICE_ROWS[1],
        "P4,Ann,Lee,31/02/1990,F,,,2024-01-01,MH,",
    ]
    report = load(workspace, write_csv(tmp_path / "newlines.csv", lines), police_mapping)
    assert (report.rows_read, report.rows_accepted) == (3, 3)
    narrative = workspace.conn.execute(
        "SELECT narrative FROM records_police_mh_incident WHERE record_id = 'P1'"
    ).fetchone()
    assert narrative == ("Called at 10pm,\nmoved to place of safety",)
    # the record after the quoted newline is still numbered as a spreadsheet shows it
    assert quarantine(workspace)[0][:2] == (4, "date_of_birth")


def test_extra_columns_are_ignored_and_reported(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER + ",Officer,Shoe Size", *[row + ",PC 1,9" for row in POLICE_ROWS]]
    report = load(workspace, write_csv(tmp_path / "extra.csv", lines), police_mapping)
    assert report.rows_accepted == 3
    assert report.ignored_columns == ("Officer", "Shoe Size")


def test_mapped_identifier_columns_missing_from_the_file_refuse_it(
    workspace: Workspace, tmp_path: Path, police_mapping: Path, loaded: object
) -> None:
    # The mapping promises names and dates of birth; a file without them would load 100%
    # "accepted" and then link on nothing, silently.
    lines = ["Incident Ref,Incident Date,Type", "P1,2024-01-01,MH"]
    message = refused(workspace, write_csv(tmp_path / "slim.csv", lines), police_mapping, loaded)
    assert "identifier columns are not in the file" in message
    assert "'DOB' (date_of_birth)" in message and "--allow-missing-columns" in message


def test_missing_columns_allowed_are_left_empty_and_warned_about(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = ["Incident Ref,Incident Date,Type", "P1,2024-01-01,MH"]
    path = write_csv(tmp_path / "slim.csv", lines)
    report = load(workspace, path, police_mapping, allow_missing_columns=True)
    assert report.rows_accepted == 1
    assert {"given_name", "postcode", "nhs_number"} <= set(report.missing_columns)
    warned = " ".join(report.warnings)
    assert "'DOB' (date_of_birth) is not in the file" in warned
    assert "'Narrative' (narrative) is not in the file" in warned


def test_a_missing_non_identifier_column_loads_with_a_warning(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    header = POLICE_HEADER.removesuffix(",Narrative")
    rows = [r.removesuffix(",") for r in POLICE_ROWS]
    report = load(
        workspace, write_csv(tmp_path / "no-narrative.csv", [header, *rows]), police_mapping
    )
    assert report.rows_accepted == 3
    assert report.warnings == (
        "the mapping's column 'Narrative' (narrative) is not in the file: narrative is empty "
        "for every record",
    )


def test_utf8_bom_is_not_part_of_the_first_column(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join([POLICE_HEADER, *POLICE_ROWS]) + "\n").encode())
    report = load(workspace, path, police_mapping)
    assert (report.rows_accepted, report.details["encoding"]) == (3, "utf-8-sig")


def test_windows_1252_export_is_decoded(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    path = write_csv(tmp_path / "win.csv", [POLICE_HEADER, *POLICE_ROWS], encoding="cp1252")
    report = load(workspace, path, police_mapping)
    assert (report.rows_accepted, report.details["encoding"]) == (3, "cp1252")
    assert ("zoe",) in workspace.conn.execute("SELECT given_name FROM person_records").fetchall()


def test_utf16_export_is_decoded(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    path = write_csv(tmp_path / "u16.csv", [POLICE_HEADER, *POLICE_ROWS], encoding="utf-16")
    assert load(workspace, path, police_mapping).rows_accepted == 3


def test_mixed_encodings_are_decoded_line_by_line_with_a_warning(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    path = tmp_path / "mixed.csv"
    utf8 = "P5,Zoë,Brontë,01/01/1980,F,,,2024-01-01,MH,".encode()
    cp1252 = "P6,Renée,Müller,01/01/1981,F,,,2024-01-01,MH,".encode("cp1252")
    path.write_bytes(POLICE_HEADER.encode() + b"\n" + utf8 + b"\n" + cp1252 + b"\n")
    report = load(workspace, path, police_mapping)
    assert report.rows_accepted == 2
    assert "mixes UTF-8 and cp1252" in report.warnings[0]
    names = set(
        workspace.conn.execute("SELECT given_name, family_name FROM person_records").fetchall()
    )
    assert names == {("zoe", "bronte"), ("renee", "muller")}


def test_a_10_mb_field_is_dropped_with_its_length_and_the_row_kept(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    huge = "x" * (10 * 1024 * 1024)
    lines = [POLICE_HEADER, POLICE_ROWS[0] + huge, POLICE_ROWS[1]]
    report = load(workspace, write_csv(tmp_path / "huge.csv", lines), police_mapping)
    assert (report.rows_read, report.rows_accepted, report.values_dropped) == (2, 2, 1)
    ((row, field, reason, action),) = quarantine(workspace)
    assert (row, field, action) == (2, "narrative", "value_dropped")
    assert reason.startswith("value is 10485760 characters long")
    stored = workspace.conn.execute("SELECT length(value) FROM quarantine").fetchone()
    assert stored == (len(huge),)  # the original is kept, not lost


def test_impossible_date_is_rejected_not_guessed(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER, "P1,Ann,Lee,31/02/1990,F,,,31/02/2024,MH,"]
    report = load(workspace, write_csv(tmp_path / "dates.csv", lines), police_mapping)
    assert report.rows_quarantined == 1  # incident_date is required
    assert quarantine(workspace) == [
        (2, "date_of_birth", "'31/02/1990' is not a real calendar date", "row_quarantined"),
        (2, "incident_date", "'31/02/2024' is not a real calendar date", "row_quarantined"),
    ]


def test_bad_nhs_check_digit_drops_the_number_and_keeps_the_record(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER, "P1,Ann,Lee,01/01/1990,F,,943 476 5918,2024-01-01,MH,"]
    report = load(workspace, write_csv(tmp_path / "nhs.csv", lines), police_mapping)
    assert (report.rows_accepted, report.values_dropped) == (1, 1)
    ((_, field, reason, action),) = quarantine(workspace)
    assert (field, action) == ("nhs_number", "value_dropped")
    assert "fails the modulus 11 check" in reason
    assert workspace.conn.execute("SELECT nhs_number FROM person_records").fetchone() == (None,)


def test_postcode_na_is_missing_not_an_error(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [
        POLICE_HEADER,
        "P1,Ann,Lee,01/01/1990,F,N/A,,2024-01-01,MH,",
        "P2,Bo,Li,01/01/1990,F,NOT A PC,,2024-01-01,MH,",
    ]
    report = load(workspace, write_csv(tmp_path / "pc.csv", lines), police_mapping)
    assert (report.rows_accepted, report.values_dropped) == (2, 1)
    assert quarantine(workspace) == [
        (3, "postcode", "'NOT A PC' is not a UK postcode (e.g. SW1A 1AA)", "value_dropped")
    ]


def test_formula_injection_strings_are_stored_as_plain_text(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    evil = '"=HYPERLINK(""http://evil.example"",""click"")"'
    lines = [POLICE_HEADER, f"P1,@SUM(A1),+Smith,01/01/1990,F,,,2024-01-01,MH,{evil}"]
    report = load(workspace, write_csv(tmp_path / "evil.csv", lines), police_mapping)
    assert report.rows_accepted == 1
    row = workspace.conn.execute(
        "SELECT given_name, family_name, narrative FROM records_police_mh_incident"
    ).fetchone()
    # names lose punctuation on normalising; free text is kept verbatim, exported safely later
    assert row == ("sum a", "smith", '=HYPERLINK("http://evil.example","click")')


def test_duplicate_record_ids_keep_the_first_and_quarantine_the_rest(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    lines = [POLICE_HEADER, POLICE_ROWS[0], POLICE_ROWS[1].replace("P2", "P1")]
    report = load(workspace, write_csv(tmp_path / "dup.csv", lines), police_mapping)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 1)
    assert (
        quarantine(workspace)[0][2]
        == "record_id 'P1' is also on row 2; each record needs its own id"
    )


# --- Excel and Parquet -------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[object]], *, title: str = "Sheet") -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return book


def _excel_rows() -> list[list[object]]:
    return [[c for c in line.split(",")] for line in [POLICE_HEADER, *POLICE_ROWS]]


def test_excel_named_sheet_is_read(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "police.xlsx"
    book = Workbook()
    book.active.title = "Cover"  # type: ignore[union-attr]
    data = book.create_sheet("Incidents")
    for row in _excel_rows():
        data.append(row)
    book.save(path)
    mapping = tmp_path / "m.yaml"
    from ingest_support import POLICE_MAPPING

    mapping.write_text(POLICE_MAPPING + "sheet: Incidents\n")
    report = load(workspace, path, mapping)
    assert (report.rows_accepted, report.details["sheet"]) == (3, "Incidents")
    mapping.write_text(POLICE_MAPPING + "sheet: Missing\n")
    with pytest.raises(
        IngestError, match="has no sheet 'Missing'; its sheets are: Cover, Incidents"
    ):
        load(workspace, path, mapping)


def test_excel_dates_and_numbers_come_through_as_values(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    from datetime import datetime

    rows = _excel_rows()
    rows[1][3] = datetime(1950, 4, 3)
    rows[1][6] = 9434765919
    report = load(workspace, _path(tmp_path, rows), police_mapping)
    assert report.rows_accepted == 3
    got = workspace.conn.execute(
        "SELECT date_of_birth::VARCHAR, nhs_number FROM person_records WHERE record_id = 'P1'"
    ).fetchone()
    assert got == ("1950-04-03", "9434765919")


def _path(tmp_path: Path, rows: list[list[object]]) -> Path:
    path = tmp_path / "police.xlsx"
    _workbook(path, rows)
    return path


def test_excel_merged_cells_quarantine_the_rows_they_cover(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    path = tmp_path / "merged.xlsx"
    book = _workbook(path, _excel_rows())
    sheet = book.active
    assert sheet is not None
    sheet.merge_cells("H2:H3")  # one incident date typed once for two rows
    book.save(path)
    report = load(workspace, path, police_mapping)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 1)
    ((row, field, reason, _),) = quarantine(workspace)
    assert (row, field) == (3, "incident_date")
    assert reason == "cell H3 is inside merged cells H2:H3; unmerge them and fill in every row"


def test_excel_formulas_without_saved_results_are_quarantined(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    rows = _excel_rows()
    rows[2][7] = "=DATE(2024,1,1)"  # openpyxl saves the formula but no computed result
    report = load(workspace, _path(tmp_path, rows), police_mapping)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 1)
    ((row, field, reason, _),) = quarantine(workspace)
    assert (row, field) == (3, "incident_date")
    assert "is a formula (=DATE(2024,1,1)) with no saved result" in reason


def _save_formula_results(path: Path, results: dict[str, str]) -> None:
    """Write saved results into formula cells, as Excel does when it saves a workbook."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, value in results.items():
        sheet = re.sub(
            rf'<c r="{cell}"><f>(.*?)</f><v\s*/>',
            rf'<c r="{cell}" t="str"><f>\1</f><v>{value}</v>',
            sheet,
        )
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def test_excel_formulas_saved_by_excel_give_their_results(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    rows = _excel_rows()
    rows[2][7] = '=CONCAT("2024-","05-06")'
    path = _path(tmp_path, rows)
    _save_formula_results(path, {"H3": "2024-05-06"})
    report = load(workspace, path, police_mapping)
    assert (report.rows_accepted, report.rows_quarantined) == (3, 0)
    got = workspace.conn.execute(
        "SELECT incident_date::VARCHAR FROM records_police_mh_incident WHERE record_id = 'P2'"
    ).fetchone()
    assert got == ("2024-05-06",)


def test_excel_formula_in_an_ignored_column_does_not_matter(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    rows = _excel_rows()
    rows[0].append("Check")
    for row in rows[1:]:
        row.append("=1+1")
    report = load(workspace, _path(tmp_path, rows), police_mapping)
    assert (report.rows_accepted, report.ignored_columns) == (3, ("Check",))


def test_parquet_extract_is_read(
    workspace: Workspace, tmp_path: Path, police_mapping: Path
) -> None:
    from datetime import date

    path = tmp_path / "police.parquet"
    table = pa.table(
        {
            "Incident Ref": ["P1", "P2"],
            "Forename": ["Bob", "Ann"],
            "DOB": [date(1950, 4, 3), None],
            "NHS No": [9434765919.0, None],
            "Incident Date": [date(2024, 1, 1), date(2024, 1, 2)],
            "Type": ["MH", "S136"],
        }
    )
    pq.write_table(table, path)
    report = load(workspace, path, police_mapping, allow_missing_columns=True)
    assert (report.file_format, report.rows_accepted) == ("parquet", 2)
    got = workspace.conn.execute(
        "SELECT record_id, date_of_birth::VARCHAR, nhs_number FROM person_records ORDER BY 1"
    ).fetchall()
    assert got == [("P1", "1950-04-03", "9434765919"), ("P2", None, None)]
