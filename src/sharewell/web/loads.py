"""An organisation's loads and their quarantine reports, as its analysts may see them.

Loads are dataset versions in the workspace registry; a load belongs to the organisation
that sent it, and only that organisation's analysts (and its API tokens) see it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.ingest import (
    DatasetVersion,
    get_dataset_version,
    list_dataset_versions,
    load_source_types,
    quarantine_entries,
)
from sharewell.partnership import get_organisation
from sharewell.web.roles import Principal
from sharewell.web.workspace import open_workspace

__all__ = [
    "LoadBody",
    "LoadReport",
    "QuarantineRow",
    "load_body",
    "load_report",
    "own_loads",
    "source_types_for",
]


def source_types_for(engine: Any, organisation: str) -> list[tuple[str, str]]:
    """Source types this organisation's kind sends: (name, title), as source_types.yaml says."""
    kind = get_organisation(engine, organisation).type
    return [
        (name, st.title)
        for name, st in load_source_types().items()
        if kind in st.organisation_types
    ]


def own_loads(settings: Settings, user: Principal) -> list[DatasetVersion]:
    """The organisation's loads, oldest first (none before the hub has a workspace)."""
    if not settings.workspace_path().exists():
        return []
    with open_workspace(settings) as ws:
        return [v for v in list_dataset_versions(ws) if v.partner == user.organisation]


class QuarantineRow(BaseModel):
    """One problem in one row of a loaded file."""

    file: str
    row: int
    field: str | None
    column: str | None
    value: str | None
    reason: str
    outcome: str


class LoadBody(BaseModel):
    """One load of an extract: what came in, what was accepted and what was quarantined."""

    dataset_version: int
    partner: str
    source_type: str
    file: str
    file_format: str
    status: str
    loaded_at: datetime
    loaded_by: str
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    values_dropped: int


class LoadReport(LoadBody):
    """A load and its quarantine: every problem, by row and field, with the reason."""

    problems_total: int
    problems: list[QuarantineRow]


def load_body(v: DatasetVersion) -> LoadBody:
    """A registry entry as the API shows it."""
    data = asdict(v)
    return LoadBody(
        dataset_version=v.id,
        file=v.file_name,
        **{k: data[k] for k in LoadBody.model_fields if k in data},
    )


def load_report(settings: Settings, user: Principal, version: int, limit: int | None) -> LoadReport:
    """One of the user's organisation's loads and its first ``limit`` problems (None: all)."""
    with open_workspace(settings) as ws:
        found = get_dataset_version(ws, version)
        if found.partner != user.organisation:
            raise AccessDenied(
                f"dataset version {version} was loaded by another organisation; you can see "
                "only your organisation's loads"
            )
        total, rows = quarantine_entries(ws, version, limit)
    problems = [
        QuarantineRow(
            file=r[0],
            row=r[1],
            field=r[2],
            column=r[3],
            value=r[4],
            reason=r[5],
            outcome="row quarantined" if r[6] == "row_quarantined" else "value dropped",
        )
        for r in rows
    ]
    return LoadReport(
        **load_body(found).model_dump(),
        problems_total=total,
        problems=problems,
    )
