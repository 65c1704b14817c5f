"""Clerical review: pairs near the threshold, and an analyst's accept/reject decisions.

Decisions are stored in the workspace (``linkage_review_decisions``) and outrank the model
in every later run, full or incremental: an accepted pair always links, a rejected pair
never shares a person (clustering splits rather than chain through it). Every decision is
also a ``linkage_decision`` audit entry, written by ``decide`` itself so no caller can skip it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.errors import LinkageError, NotFound
from sharewell.linkage.run import attach_workspace
from sharewell.partnership import get_user, hub_engine

__all__ = [
    "SHOWN",
    "Decision",
    "PendingPair",
    "ReviewPair",
    "decide",
    "pending_pairs",
    "record_values",
    "review_queue",
]

Decision = Literal["accept", "reject"]


@dataclass(frozen=True)
class ReviewPair:
    """A pair awaiting review, with both records side by side."""

    unique_id_l: str
    unique_id_r: str
    match_probability: float
    match_weight: float
    left: dict[str, str | None]
    right: dict[str, str | None]


SHOWN = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number")


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    attach_workspace(con, settings)
    return con


@dataclass(frozen=True)
class PendingPair:
    """A pair awaiting review: its two records' ids and how sure the model was."""

    unique_id_l: str
    unique_id_r: str
    match_probability: float
    match_weight: float


def pending_pairs(settings: Settings, limit: int = 20) -> list[PendingPair]:
    """Undecided pairs nearest the threshold first, without their records' values."""
    con = _connect(settings)
    try:
        thr = con.execute(
            "SELECT threshold FROM ws.linkage_runs ORDER BY started DESC LIMIT 1"
        ).fetchall()
        if not thr:
            raise NotFound("no linkage run yet: run `sharewell link` first")
        rows = con.execute(
            """
            SELECT q.unique_id_l, q.unique_id_r, q.match_probability, q.match_weight
            FROM ws.linkage_review_queue q
            ANTI JOIN ws.linkage_review_decisions d
                ON d.unique_id_l = q.unique_id_l AND d.unique_id_r = q.unique_id_r
            ORDER BY abs(q.match_probability - ?), q.unique_id_l, q.unique_id_r
            LIMIT ?
            """,
            [thr[0][0], limit],
        ).fetchall()
    finally:
        con.close()
    return [PendingPair(r[0], r[1], float(r[2]), float(r[3])) for r in rows]


def record_values(
    settings: Settings, unique_ids: Sequence[str], fields: Sequence[str] = SHOWN
) -> dict[str, dict[str, Any]]:
    """The named records' ``fields`` (as text) and ``person_id``, by unique_id.

    Only for a caller that has already been allowed to see them (``review_access``).
    """
    if not unique_ids:
        return {}
    unknown = [f for f in fields if f not in SHOWN]
    if unknown:
        raise LinkageError(f"review shows only {', '.join(SHOWN)}, not {', '.join(unknown)}")
    cols = "".join(f", CAST(r.{c} AS VARCHAR)" for c in fields)
    con = _connect(settings)
    try:
        rows = con.execute(
            f"SELECT r.unique_id, i.person_id{cols} FROM ws.person_records r "
            "LEFT JOIN ws.person_index i USING (unique_id) WHERE r.unique_id IN (SELECT unnest(?))",
            [list(unique_ids)],
        ).fetchall()
    finally:
        con.close()
    return {str(r[0]): {"person_id": r[1], **dict(zip(fields, r[2:], strict=True))} for r in rows}


def review_queue(settings: Settings, limit: int = 20) -> list[ReviewPair]:
    """Undecided pairs nearest the threshold first, both records side by side (ungoverned:
    linkage's own view; people see pairs only through ``review_access``)."""
    pairs = pending_pairs(settings, limit)
    values = record_values(settings, [u for p in pairs for u in (p.unique_id_l, p.unique_id_r)])

    def shown(uid: str) -> dict[str, str | None]:
        return {f: values[uid][f] for f in SHOWN}

    return [
        ReviewPair(
            p.unique_id_l,
            p.unique_id_r,
            p.match_probability,
            p.match_weight,
            shown(p.unique_id_l),
            shown(p.unique_id_r),
        )
        for p in pairs
    ]


def decide(
    settings: Settings,
    unique_id_a: str,
    unique_id_b: str,
    decision: Decision,
    *,
    reviewer: str,
    note: str = "",
    purpose: str | None = None,
) -> tuple[str, str]:
    """Record (or change) a decision on a pair; later runs respect it. Returns the pair.

    ``purpose`` is the purpose the review serves (``review_access`` decides it), recorded
    with the decision's audit entry.
    """
    if decision not in ("accept", "reject"):
        raise LinkageError(f"a decision is accept or reject, not {decision!r}")
    if unique_id_a == unique_id_b:
        raise LinkageError("a pair needs two different records")
    left, right = sorted((unique_id_a, unique_id_b))
    con = _connect(settings)
    try:
        found = {
            r[0]
            for r in con.execute(
                "SELECT unique_id FROM ws.person_records WHERE unique_id IN (?, ?)", [left, right]
            ).fetchall()
        }
        missing = {left, right} - found
        if missing:
            raise NotFound(f"no record {', '.join(sorted(missing))} in person_records")
        previous = con.execute(
            "SELECT decision FROM ws.linkage_review_decisions "
            "WHERE unique_id_l = ? AND unique_id_r = ?",
            [left, right],
        ).fetchall()
        persons = con.execute(
            "SELECT DISTINCT person_id FROM ws.person_index WHERE unique_id IN (?, ?) "
            "ORDER BY person_id",
            [left, right],
        ).fetchall()
        con.execute(
            """
            INSERT OR REPLACE INTO ws.linkage_review_decisions VALUES (?, ?, ?, ?, ?, ?)
            """,
            [left, right, decision, reviewer, datetime.now(UTC).replace(tzinfo=None), note],
        )
    finally:
        con.close()
    _audit(
        settings,
        reviewer,
        left,
        right,
        decision,
        note,
        previous=previous[0][0] if previous else None,
        persons=tuple(str(p[0]) for p in persons),
        purpose=purpose,
    )
    return left, right


def _audit(
    settings: Settings,
    reviewer: str,
    left: str,
    right: str,
    decision: Decision,
    note: str,
    *,
    previous: str | None,
    persons: tuple[str, ...],
    purpose: str | None = None,
) -> None:
    """The audit entry of a stored decision (as ingest records a load once it has committed).

    The decision is in the workspace first; if the operational store is down the error
    says so and rerunning ``decide`` (idempotent) writes the entry.
    """
    engine = hub_engine(settings)
    try:
        try:
            organisation: str | None = get_user(engine, reviewer).organisation
        except NotFound:
            organisation = None  # e.g. the CLI's default user
        record(
            engine,
            AuditEvent(
                actor=reviewer,
                action="linkage_decision",
                target=f"record pair {left} / {right}",
                outcome="ok",
                organisation=organisation,
                purpose=purpose,
                # The persons the two records belonged to when the analyst looked at them.
                persons=persons,
                detail={
                    "decision": decision,
                    "previous_decision": previous,
                    "unique_id_l": left,
                    "unique_id_r": right,
                    "note": note,
                },
            ),
        )
    finally:
        engine.dispose()
