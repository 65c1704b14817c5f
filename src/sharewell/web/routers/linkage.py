"""Linkage for analysts: the runs, each run's quality report, and the clerical review queue.

Runs and their quality (counts, the model's match weights, how scored pairs spread) name
nobody, so any analyst, the hub administrator and API tokens may read them. The review
queue shows records side by side, so it goes through the agreements: an analyst sees a pair
only when each record is their own organisation's or one an agreement lets them see
identifiably, and each look is a governed, audited read. Decisions use linkage's own
``decide``; the next run respects them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from sharewell.agreements import (
    AccessRequest,
    Decision,
    current_agreements,
    decide,
    governed_read,
)
from sharewell.config import Settings
from sharewell.errors import AccessDenied, LinkageError, NotFound
from sharewell.linkage.review import SHOWN, ReviewPair, review_queue
from sharewell.linkage.review import decide as decide_pair
from sharewell.linkage.run import attach_workspace
from sharewell.linkage.threshold import probability_to_weight
from sharewell.partnership.model import PURPOSES
from sharewell.web.charts import Chart, level_weights, match_weights, pair_weights
from sharewell.web.deps import CsrfChecked, HubEngine, HubSettings, api_permission, page_permission
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.workspace import held_workspace

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/linkage", tags=["linkage"])

Reader = Annotated[Principal, Depends(page_permission("linkage.read"))]
Reviewer = Annotated[Principal, Depends(page_permission("linkage.review"))]
ApiReader = Annotated[Principal, Depends(api_permission("linkage.read"))]
ApiReviewer = Annotated[Principal, Depends(api_permission("linkage.review"))]

# Pairs read from the queue per page: the nearest the threshold, before the agreements filter.
QUEUE_WINDOW = 500
PAGE_PAIRS = 20
RUN_COLUMNS = (
    "run_id, kind, started, finished, engine, threshold, threshold_method, records, "
    "new_records, pairs_scored, links, persons, review_pairs"
)


class RunBody(BaseModel):
    """One linkage run: what it linked and how."""

    run_id: str
    kind: str
    started: datetime
    finished: datetime | None
    engine: str
    threshold: float
    threshold_method: str
    records: int
    new_records: int
    pairs_scored: int
    links: int
    persons: int
    review_pairs: int


class LevelWeightBody(BaseModel):
    """How far one level of one comparison moves the odds of a match (log2 Bayes factor)."""

    comparison: str
    level: str
    match_weight: float | None


class WeightBinBody(BaseModel):
    """Scored pairs whose match weight falls in [start, start + 0.5)."""

    start: float
    pairs: int


class RunReport(RunBody):
    """A run with its quality figures: the model's match weights and the scored pairs."""

    threshold_weight: float
    match_weights: list[LevelWeightBody]
    scored_pairs: list[WeightBinBody]


@contextmanager
def _linkage_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    with held_workspace(settings):
        con = duckdb.connect(":memory:")
        try:
            attach_workspace(con, settings)
            yield con
        finally:
            con.close()


def _run(row: tuple[Any, ...]) -> RunBody:
    names = [c.strip() for c in RUN_COLUMNS.split(",")]
    return RunBody.model_validate(dict(zip(names, row, strict=True)))


def list_runs(settings: Settings) -> list[RunBody]:
    """Every linkage run, newest first."""
    with _linkage_db(settings) as con:
        rows = con.execute(
            f"SELECT {RUN_COLUMNS} FROM ws.linkage_runs ORDER BY started DESC"
        ).fetchall()
    return [_run(r) for r in rows]


def run_report(settings: Settings, run_id: str) -> tuple[RunReport, dict[str, Any]]:
    """One run's quality report, and its model (for the chart)."""
    with _linkage_db(settings) as con:
        rows = con.execute(
            f"SELECT {RUN_COLUMNS}, model_path, model_json FROM ws.linkage_runs WHERE run_id = ?",
            [run_id],
        ).fetchall()
        if not rows:
            raise NotFound(f"no linkage run {run_id}; the linkage page lists the runs")
        *fields, model_path, model_json = rows[0]
        pairs = Path(model_path).parent / "pairs.parquet"
        bins: list[tuple[float, int]] = []
        if pairs.exists():
            source = str(pairs / "*.parquet") if pairs.is_dir() else str(pairs)
            bins = [
                (float(w), int(n))
                for w, n in con.execute(
                    "SELECT floor(match_weight * 2) / 2 AS w, count(*) FROM read_parquet(?) "
                    "GROUP BY w ORDER BY w",
                    [source],
                ).fetchall()
            ]
    run = _run(tuple(fields))
    model = json.loads(model_json) if model_json else {}
    report = RunReport(
        **run.model_dump(),
        threshold_weight=probability_to_weight(run.threshold),
        match_weights=[
            LevelWeightBody(comparison=w.comparison, level=w.level, match_weight=w.weight)
            for w in level_weights(model)
        ],
        scored_pairs=[WeightBinBody(start=w, pairs=n) for w, n in bins],
    )
    return report, model


# --- the review queue, through the agreements ----------------------------------------------


def _partner_and_source(unique_id: str) -> tuple[str, str]:
    # unique_id is partner:source:record_id (docs/extracts.md)
    partner, source, _ = unique_id.split(":", 2)
    return partner, source


def _purpose_for(
    user: Principal, source: str, provider: str, agreements: list[Any], now: datetime
) -> str | None:
    """A purpose under which an agreement lets ``user`` see these records identifiably."""
    for purpose in PURPOSES:
        request = AccessRequest(
            user=user.name,
            organisation=user.organisation,
            role=user.role,
            purpose=purpose,
            dataset=source,
            fields=SHOWN,
            level="identifiable",
            provider=provider,
        )
        if decide(request, agreements, now).allowed:
            return purpose
    return None


class ReviewRecordBody(BaseModel):
    """One record of a pair, with only the fields the agreements let the reviewer see."""

    unique_id: str
    partner: str
    source: str
    fields: dict[str, str | None]
    withheld: list[str]


class ReviewPairBody(BaseModel):
    """A pair the model was unsure about, both records side by side."""

    unique_id_l: str
    unique_id_r: str
    match_probability: float
    match_weight: float
    left: ReviewRecordBody
    right: ReviewRecordBody


class ReviewQueueBody(BaseModel):
    """Pairs the reviewer may decide, and how many others need someone else's eyes."""

    pairs: list[ReviewPairBody]
    not_shown: int


def _visible_sides(
    engine: Engine, user: Principal, pairs: list[ReviewPair]
) -> tuple[list[ReviewPair], dict[tuple[str, str], str | None]]:
    """The pairs whose records the user may see, and the purpose for each partner's source."""
    now = datetime.now(UTC)
    agreements = list(current_agreements(engine))
    purposes: dict[tuple[str, str], str | None] = {}
    shown = []
    for pair in pairs:
        ok = True
        for uid in (pair.unique_id_l, pair.unique_id_r):
            partner, source = _partner_and_source(uid)
            if (partner, source) not in purposes:
                own = user.organisation == partner
                purposes[(partner, source)] = (
                    "own" if own else _purpose_for(user, source, partner, agreements, now)
                )
            ok = ok and purposes[(partner, source)] is not None
        if ok:
            shown.append(pair)
    return shown, purposes


def _person_ids(settings: Settings, unique_ids: list[str]) -> dict[str, str]:
    if not unique_ids:
        return {}
    with _linkage_db(settings) as con:
        rows = con.execute(
            "SELECT unique_id, person_id FROM ws.person_index WHERE unique_id IN "
            "(SELECT unnest(?))",
            [unique_ids],
        ).fetchall()
    return {str(u): str(p) for u, p in rows}


def reviewable(
    engine: Engine, settings: Settings, user: Principal, limit: int = PAGE_PAIRS
) -> ReviewQueueBody:
    """The review queue as this analyst may see it; each partner's records read governed."""
    with held_workspace(settings):
        queue = review_queue(settings, limit=QUEUE_WINDOW)
    visible, purposes = _visible_sides(engine, user, queue)
    page = visible[:limit]
    person_of = _person_ids(settings, [u for p in page for u in (p.unique_id_l, p.unique_id_r)])
    records: dict[str, tuple[dict[str, str | None], list[str]]] = {}
    groups: dict[tuple[str, str], list[tuple[str, dict[str, str | None]]]] = {}
    for pair in page:
        for uid, values in ((pair.unique_id_l, pair.left), (pair.unique_id_r, pair.right)):
            groups.setdefault(_partner_and_source(uid), []).append((uid, values))
    for (partner, source), members in sorted(groups.items()):
        purpose = purposes[(partner, source)]
        if purpose == "own":
            for uid, values in members:
                records[uid] = (dict(values), [])
            continue
        assert purpose is not None
        # The audit names the persons seen, so a subject access report finds this look.
        fetched = [{"person_id": person_of.get(uid, uid), **values} for uid, values in members]

        def fetch(
            _decision: Decision, rows: list[dict[str, Any]] = fetched
        ) -> list[dict[str, Any]]:
            return rows

        result = governed_read(
            engine,
            username=user.name,
            purpose=purpose,
            dataset=source,
            fields=SHOWN,
            level="identifiable",
            fetch=fetch,
            provider=partner,
        )
        withheld = list(result.decision.withheld)
        for (uid, _), row in zip(members, result.rows, strict=True):
            records[uid] = ({f: row.get(f) for f in result.decision.fields}, withheld)

    def side(uid: str) -> ReviewRecordBody:
        partner, source = _partner_and_source(uid)
        fields, withheld = records[uid]
        return ReviewRecordBody(
            unique_id=uid, partner=partner, source=source, fields=fields, withheld=withheld
        )

    return ReviewQueueBody(
        pairs=[
            ReviewPairBody(
                unique_id_l=p.unique_id_l,
                unique_id_r=p.unique_id_r,
                match_probability=p.match_probability,
                match_weight=p.match_weight,
                left=side(p.unique_id_l),
                right=side(p.unique_id_r),
            )
            for p in page
        ],
        not_shown=len(queue) - len(visible),
    )


def record_decision(
    engine: Engine,
    settings: Settings,
    user: Principal,
    unique_id_a: str,
    unique_id_b: str,
    decision: str,
    note: str,
) -> tuple[str, str]:
    """Decide a pair, if the analyst may see both of its records."""
    if decision not in ("accept", "reject"):
        raise LinkageError("choose whether the two records are the same person")
    now = datetime.now(UTC)
    agreements = list(current_agreements(engine))
    for uid in (unique_id_a, unique_id_b):
        if uid.count(":") < 2:
            raise NotFound(f"no record {uid}; records are named partner:source:record_id")
        partner, source = _partner_and_source(uid)
        if partner != user.organisation and not _purpose_for(
            user, source, partner, agreements, now
        ):
            raise AccessDenied(
                f"no agreement lets you see {partner}'s {source} records, so you cannot decide "
                "this pair; someone whose agreements cover both records must review it"
            )
    with held_workspace(settings):
        return decide_pair(
            settings,
            unique_id_a,
            unique_id_b,
            decision,  # type: ignore[arg-type]
            reviewer=user.name,
            note=note,
        )


# --- pages ----------------------------------------------------------------------------------


@pages.get("/linkage")
def runs_page(request: Request, user: Reader, settings: HubSettings) -> Response:
    """Every linkage run, newest first, each with its quality report."""
    return render(
        request, "linkage/runs.html", user, title="Linkage runs", runs=list_runs(settings)
    )


@pages.get("/linkage/runs/{run_id}")
def run_page(request: Request, user: Reader, settings: HubSettings, run_id: str) -> Response:
    """One run's quality: its figures, the model's match weights and the scored pairs."""
    report, model = run_report(settings, run_id)
    charts: list[Chart] = [match_weights(model)]
    if report.scored_pairs:
        charts.append(
            pair_weights([(b.start, b.pairs) for b in report.scored_pairs], report.threshold_weight)
        )
    return render(
        request,
        "linkage/run.html",
        user,
        title=f"Linkage run {run_id}",
        run=report,
        charts=charts,
    )


@pages.get("/linkage/review")
def review_page(
    request: Request,
    user: Reviewer,
    engine: HubEngine,
    settings: HubSettings,
    decided: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """Pairs near the threshold that the analyst's agreements let them see, to decide."""
    return render(
        request,
        "linkage/review.html",
        user,
        title="Clerical review",
        queue=reviewable(engine, settings, user),
        decided=decided in ("accept", "reject") and decided,
        shown=SHOWN,
    )


@pages.post("/linkage/review", dependencies=[CsrfChecked])
def review_decide(
    user: Reviewer,
    engine: HubEngine,
    settings: HubSettings,
    unique_id_l: Annotated[str, Form(max_length=300)] = "",
    unique_id_r: Annotated[str, Form(max_length=300)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Record the analyst's decision on one pair; back to the queue."""
    record_decision(engine, settings, user, unique_id_l, unique_id_r, decision, note)
    return RedirectResponse(f"/linkage/review?decided={decision}", status_code=303)


# --- API ------------------------------------------------------------------------------------


@api.get("/runs", response_model=list[RunBody])
def api_runs(caller: ApiReader, settings: HubSettings) -> list[RunBody]:
    """Every linkage run, newest first."""
    return list_runs(settings)


@api.get("/runs/{run_id}", response_model=RunReport)
def api_run(caller: ApiReader, settings: HubSettings, run_id: str) -> RunReport:
    """One run's quality report: figures, the model's match weights, scored pairs by weight."""
    return run_report(settings, run_id)[0]


@api.get("/review", response_model=ReviewQueueBody)
def api_review_queue(
    caller: ApiReviewer,
    engine: HubEngine,
    settings: HubSettings,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE_PAIRS,
) -> ReviewQueueBody:
    """Pairs awaiting review that the caller's agreements let them see, nearest first."""
    return reviewable(engine, settings, caller, limit)


class DecisionBody(BaseModel):
    """A reviewer's decision on one pair."""

    unique_id_l: str = Field(max_length=300)
    unique_id_r: str = Field(max_length=300)
    decision: Literal["accept", "reject"]
    note: str = Field(default="", max_length=500)


@api.post("/review", response_model=DecisionBody)
def api_review_decide(
    caller: ApiReviewer, engine: HubEngine, settings: HubSettings, body: DecisionBody
) -> DecisionBody:
    """Record that two records are (accept) or are not (reject) the same person."""
    left, right = record_decision(
        engine,
        settings,
        caller,
        body.unique_id_l,
        body.unique_id_r,
        body.decision,
        body.note,
    )
    return DecisionBody(unique_id_l=left, unique_id_r=right, decision=body.decision, note=body.note)
