"""Linkage for analysts: the runs, each run's quality report, and the clerical review queue.

Runs and their quality (counts, the model's match weights, how scored pairs spread) name
nobody, so any analyst, the hub administrator and API tokens may read them. The review queue
shows records side by side, so it goes through the agreements
(``sharewell.linkage.review_access``, shared with the command line).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from sharewell.config import Settings
from sharewell.linkage.review import SHOWN
from sharewell.linkage.review_access import ReviewQueueView
from sharewell.linkage.runs import linkage_run, linkage_runs
from sharewell.linkage.threshold import probability_to_weight
from sharewell.web.charts import Chart, level_weights, match_weights, pair_weights
from sharewell.web.deps import CsrfChecked, HubEngine, HubSettings, api_permission, page_permission
from sharewell.web.review import PAGE_PAIRS, record_decision, reviewable
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


def list_runs(settings: Settings) -> list[RunBody]:
    """Every linkage run, newest first."""
    with held_workspace(settings):
        return [RunBody.model_validate(r) for r in linkage_runs(settings)]


def run_report(settings: Settings, run_id: str) -> tuple[RunReport, dict[str, Any]]:
    """One run's quality report, and its model (for the chart)."""
    with held_workspace(settings):
        fields, model_json, bins = linkage_run(settings, run_id)
    run = RunBody.model_validate(fields)
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


@api.get("/review", response_model=ReviewQueueView)
def api_review_queue(
    caller: ApiReviewer,
    engine: HubEngine,
    settings: HubSettings,
    limit: Annotated[int, Query(ge=1, le=200)] = PAGE_PAIRS,
) -> ReviewQueueView:
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
