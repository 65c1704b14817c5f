"""The lookup's in-memory candidate index follows the workspace: rebuilt when linkage changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from sharewell.ingest.source_types import source_type
from sharewell.views.flag_lookup import LookupQuery, identify
from sharewell.views.lookup import candidate_index

DOB = date(1961, 4, 3)


def _workspace(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    conn.execute(
        "CREATE TABLE person_records (unique_id VARCHAR, given_name VARCHAR, "
        "given_name_canonical VARCHAR, family_name VARCHAR, date_of_birth DATE, "
        "postcode VARCHAR, nhs_number VARCHAR)"
    )
    conn.execute("CREATE TABLE person_index (unique_id VARCHAR, person_id VARCHAR, run_id VARCHAR)")
    conn.execute("CREATE TABLE notes (note VARCHAR)")
    conn.execute(
        "INSERT INTO person_records VALUES ('r1', 'bob', 'robert', 'hughes', ?, 'WX3 1LB', NULL)",
        [DOB],
    )
    conn.execute("INSERT INTO person_index VALUES ('r1', 'p1', 'run-1')")
    return conn


def test_a_new_linkage_run_is_seen_by_the_next_lookup(tmp_path: Path) -> None:
    conn = _workspace(tmp_path / "workspace.duckdb")
    query = LookupQuery(given_name="robert", family_name="hughes", date_of_birth=DOB)
    assert identify(query, candidate_index(conn).candidates(query)).person_id == "p1"
    # a later run links the same record to a different person id
    conn.execute("UPDATE person_index SET person_id = 'p9', run_id = 'run-2'")
    assert identify(query, candidate_index(conn).candidates(query)).person_id == "p9"
    conn.close()


def test_other_writes_to_the_workspace_keep_the_index(tmp_path: Path) -> None:
    conn = _workspace(tmp_path / "workspace.duckdb")
    index = candidate_index(conn)
    assert candidate_index(conn) is index
    conn.execute("INSERT INTO notes VALUES ('an ingest, not a linkage run')")
    assert candidate_index(conn) is index
    conn.execute(
        "INSERT INTO person_records VALUES ('r2', 'amy', 'amy', 'khan', ?, NULL, NULL)", [DOB]
    )
    conn.execute("INSERT INTO person_index VALUES ('r2', 'p2', 'run-2')")
    rebuilt = candidate_index(conn)
    assert rebuilt is not index
    assert [
        r.person_id for r in rebuilt.candidates(LookupQuery(family_name="khan", date_of_birth=DOB))
    ] == ["p2"]
    conn.close()


def test_records_deleted_from_the_workspace_are_not_read_for_flags_again(tmp_path: Path) -> None:
    conn = _workspace(tmp_path / "workspace.duckdb")
    table = source_type("mh_trust.crisis_contact").table_name
    conn.execute(
        f"CREATE TABLE {table} (unique_id VARCHAR, partner VARCHAR, contact_date DATE, "
        "contact_type VARCHAR, diagnosis VARCHAR)"
    )
    conn.execute(
        f"INSERT INTO {table} VALUES ('c1', 'westshire_mht', ?, 'crisis_team', 'F20')", [DOB]
    )
    conn.execute("INSERT INTO person_index VALUES ('c1', 'p1', 'run-1')")
    index = candidate_index(conn)
    (row,) = index.records_of(conn, "mh_trust.crisis_contact", "p1")
    # only what flag rules read is held, never the diagnosis
    assert row == {
        "person_id": "p1",
        "partner": "westshire_mht",
        "contact_date": DOB,
        "contact_type": "crisis_team",
    }
    conn.execute(f"DELETE FROM {table}")  # retention deletes the trust's dataset
    assert candidate_index(conn) is index  # the person index itself did not change
    assert index.records_of(conn, "mh_trust.crisis_contact", "p1") == []
    conn.close()
