"""Shared helpers for the ingest tests: small synthetic extracts and workspace snapshots."""

from __future__ import annotations

from pathlib import Path

from sharewell.ingest import IngestReport, ingest_file
from sharewell.store import Workspace

POLICE_MAPPING = """\
source_type: police.mh_incident
columns:
  Incident Ref: record_id
  Forename: given_name
  Surname: family_name
  DOB: date_of_birth
  Sex: sex
  Post Code: postcode
  NHS No: nhs_number
  Incident Date: incident_date
  Type: incident_type
  Narrative: narrative
values:
  incident_type: {MH: mental_health, S136: section_136, CFW: concern_for_welfare}
"""

POLICE_HEADER = (
    "Incident Ref,Forename,Surname,DOB,Sex,Post Code,NHS No,Incident Date,Type,Narrative"
)
POLICE_ROWS = [
    "P1,Mr Bob,O'Brien,03/04/1950,M,sw1a1aa,943 476 5919,2024-01-02,S136,",
    "P2,Zoë,Smith-Jones,1961-12-25,F,EC1A 1BB,,3 Apr 2024,MH,",
    "P3,Alex,Jones,7 Jul 1975,F,W1A 0AX,,2024-02-29,CFW,",
]


def write_csv(path: Path, lines: list[str], *, encoding: str = "utf-8") -> Path:
    """Write CSV lines (with a trailing newline) in the given encoding."""
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def load(workspace: Workspace, path: Path, mapping: Path | None, **kw: object) -> IngestReport:
    """Ingest as the police partner unless told otherwise."""
    args: dict[str, object] = {"partner": "westshire_police", "loaded_by": "test"}
    args.update(kw)
    return ingest_file(workspace, path=path, mapping=mapping, **args)  # type: ignore[arg-type]


def snapshot(workspace: Workspace) -> dict[str, object]:
    """Everything ingest has stored, to compare before and after a refused load."""
    conn = workspace.conn
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    state: dict[str, object] = {}
    for table in tables:
        state[table] = sorted(
            conn.execute(f"SELECT * FROM {table}").fetchall(), key=lambda r: [str(v) for v in r]
        )
    state["person_records"] = sorted(
        conn.execute("SELECT unique_id FROM person_records").fetchall()
    )
    return state
