"""Clerical review: pairs near the threshold, and an analyst's accept/reject decisions.

Decisions are stored in the workspace (``linkage_review_decisions``) and outrank the model
in every later run, full or incremental: an accepted pair always links, a rejected pair
never shares a person (clustering splits rather than chain through it). Every decision is
also a ``linkage_decision`` audit entry, written by ``decide`` itself so no caller can skip it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb

from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.errors import LinkageError, NotFound
from sharewell.linkage.run import attach_workspace
from sharewell.partnership import get_user, hub_engine

__all__ = ["Decision", "ReviewPair", "decide", "review_queue"]

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


def review_queue(settings: Settings, limit: int = 20) -> list[ReviewPair]:
    """Undecided pairs nearest the threshold first."""
    con = _connect(settings)
    try:
        thr = con.execute(
            "SELECT threshold FROM ws.linkage_runs ORDER BY started DESC LIMIT 1"
        ).fetchall()
        if not thr:
            raise NotFound("no linkage run yet: run `sharewell link` first")
        cols = ", ".join(f"CAST({c} AS VARCHAR)" for c in SHOWN)
        rows = con.execute(
            f"""
            SELECT q.unique_id_l, q.unique_id_r, q.match_probability, q.match_weight,
                   [{cols.replace("CAST(", "CAST(l.")}], [{cols.replace("CAST(", "CAST(r.")}]
            FROM ws.linkage_review_queue q
            ANTI JOIN ws.linkage_review_decisions d
                ON d.unique_id_l = q.unique_id_l AND d.unique_id_r = q.unique_id_r
            JOIN ws.person_records l ON l.unique_id = q.unique_id_l
            JOIN ws.person_records r ON r.unique_id = q.unique_id_r
            ORDER BY abs(q.match_probability - ?), q.unique_id_l, q.unique_id_r
            LIMIT ?
            """,
            [thr[0][0], limit],
        ).fetchall()
    finally:
        con.close()
    return [
        ReviewPair(
            r[0],
            r[1],
            float(r[2]),
            float(r[3]),
            dict(zip(SHOWN, r[4], strict=True)),
            dict(zip(SHOWN, r[5], strict=True)),
        )
        for r in rows
    ]


def decide(
    settings: Settings,
    unique_id_a: str,
    unique_id_b: str,
    decision: Decision,
    *,
    reviewer: str,
    note: str = "",
) -> tuple[str, str]:
    """Record (or change) a decision on a pair; later runs respect it. Returns the pair."""
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
