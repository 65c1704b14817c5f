"""Exports for crews: formula-safe CSV or Excel, each one written to the audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from sharewell.audit import AuditEvent, record
from sharewell.errors import SharewellError
from sharewell.ingest import write_csv, write_xlsx
from sharewell.partnership import get_user
from sharewell.views.safe_and_well import PURPOSE, SafeAndWellList

__all__ = ["VISIT_LIST_COLUMNS", "export_visit_list"]

# `household` is the list's household id; in PPRL mode, where the hub holds no address, it is
# the household pseudonym the providers' reveal is joined on (docs/privacy.md).
VISIT_LIST_COLUMNS = [
    "rank",
    "address",
    "postcode",
    "uprn",
    "people",
    "score",
    "reasons",
    "household",
]


def export_visit_list(engine: Engine, visits: SafeAndWellList, path: Path, *, username: str) -> int:
    """Write the list to ``path`` (.csv or .xlsx) and audit the export; returns rows written.

    The file is removed again if the audit entry cannot be written: no export goes unrecorded.
    """
    rows = [
        [
            rank,
            h.address,
            h.postcode,
            h.uprn,
            "; ".join(h.names),
            round(h.risk.score, 5),
            h.risk.reasons,
            h.household_id,
        ]
        for rank, h in enumerate(visits.households, start=1)
    ]
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise SharewellError(f"cannot export to {path.name}: use a .csv or .xlsx file name")
    if suffix == ".csv":
        write_csv(path, VISIT_LIST_COLUMNS, rows)
    else:
        write_xlsx(path, VISIT_LIST_COLUMNS, rows, sheet="Safe and Well visits")
    user = get_user(engine, username)
    try:
        record(
            engine,
            AuditEvent(
                actor=username,
                action="export",
                target=f"Safe and Well list to {path.name}",
                outcome="ok",
                organisation=user.organisation,
                role=user.role,
                purpose=PURPOSE,
                persons=tuple(p.person_id for h in visits.households for p in h.risk.people),
                detail={"rows": len(rows), "as_of": visits.as_of.isoformat()},
            ),
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return len(rows)
