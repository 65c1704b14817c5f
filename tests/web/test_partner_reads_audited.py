"""Every page and API route that shows partner data leaves an audit entry with its purpose.

Each route of the app is classified below: either it reads partner data (and is walked, as
a user allowed to, checking the entries it wrote), or it says why it does not. A new route
fails ``test_every_route_is_classified`` until someone decides which it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sharewell.audit import entries
from sharewell.partnership import hub_engine
from sharewell.web.routers.safe_and_well import household_ref
from tests.web.conftest import LinkedWeb, form_csrf, someone_in_crisis

AS_OF = "2024-12-31"
CREW = "westshire_fire.frontline"
OFFICER = "westshire_police.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
MHT_ANALYST = "westshire_mht.analyst"


def _someone_in_crisis(web: LinkedWeb) -> dict[str, str]:
    given, family, dob, postcode = someone_in_crisis(web.settings)
    return {"given_name": given, "family_name": family, "date_of_birth": dob, "postcode": postcode}


def _lookup_page(web: LinkedWeb, client: TestClient) -> Any:
    form = {
        "csrf_token": form_csrf(client.get("/lookup").text),
        "purpose": "mh_crisis_care",
        "as_of": AS_OF,
        **_someone_in_crisis(web),
    }
    return client.post("/lookup", data=form)


def _lookup_api(web: LinkedWeb, client: TestClient) -> Any:
    body = {"purpose": "mh_crisis_care", "as_of": AS_OF, **_someone_in_crisis(web)}
    return client.post("/api/v1/lookup", json=body)


def _household(web: LinkedWeb, client: TestClient) -> Any:
    first = client.get(f"/api/v1/safe-and-well?as_of={AS_OF}&limit=1").json()["households"][0]
    ref = household_ref(first["household_id"])
    return client.get(f"/safe-and-well/households/{ref}?as_of={AS_OF}")


def _decide(web: LinkedWeb, client: TestClient) -> Any:
    queue = client.get("/api/v1/linkage/review?limit=200").json()["pairs"]
    pair = next(p for p in queue if p["purpose"])
    page = client.get("/linkage/review")
    return client.post(
        "/linkage/review",
        data={
            "csrf_token": form_csrf(page.text),
            "unique_id_l": pair["unique_id_l"],
            "unique_id_r": pair["unique_id_r"],
            "decision": "reject",
            "note": "audit walk",
        },
    )


@dataclass(frozen=True)
class Read:
    """A route that shows partner data: who may call it, how, and the purpose it serves."""

    user: str
    call: Callable[[LinkedWeb, TestClient], Any]
    purpose: str
    actions: tuple[str, ...] = ("access", "export", "reveal")


def _get(url: str) -> Callable[[LinkedWeb, TestClient], Any]:
    return lambda _web, client: client.get(url)


PARTNER_READS: dict[tuple[str, str], Read] = {
    ("GET", "/safe-and-well"): Read(CREW, _get(f"/safe-and-well?as_of={AS_OF}"), "fire_prevention"),
    ("GET", "/api/v1/safe-and-well"): Read(
        CREW, _get(f"/api/v1/safe-and-well?as_of={AS_OF}&limit=5"), "fire_prevention"
    ),
    ("GET", "/safe-and-well/export.{fmt}"): Read(
        CREW, _get(f"/safe-and-well/export.csv?as_of={AS_OF}"), "fire_prevention"
    ),
    ("GET", "/safe-and-well/households/{ref}"): Read(CREW, _household, "fire_prevention"),
    ("GET", "/safe-and-well/sheet"): Read(
        CREW, _get(f"/safe-and-well/sheet?as_of={AS_OF}"), "fire_prevention"
    ),
    ("GET", "/crisis-cohort"): Read(
        CRISIS_TEAM, _get(f"/crisis-cohort?as_of={AS_OF}"), "mh_crisis_care"
    ),
    ("GET", "/api/v1/crisis-cohort"): Read(
        CRISIS_TEAM, _get(f"/api/v1/crisis-cohort?as_of={AS_OF}"), "mh_crisis_care"
    ),
    ("POST", "/lookup"): Read(OFFICER, _lookup_page, "mh_crisis_care"),
    ("POST", "/api/v1/lookup"): Read(OFFICER, _lookup_api, "mh_crisis_care"),
    ("GET", "/linkage/review"): Read(MHT_ANALYST, _get("/linkage/review"), "mh_crisis_care"),
    ("GET", "/api/v1/linkage/review"): Read(
        MHT_ANALYST, _get("/api/v1/linkage/review?limit=50"), "mh_crisis_care"
    ),
    # A decision shows nothing new, but is recorded under the purpose the review serves.
    ("POST", "/linkage/review"): Read(
        MHT_ANALYST, _decide, "mh_crisis_care", actions=("linkage_decision",)
    ),
}
"""Routes that show partner data, walked by ``test_each_partner_read_is_audited``."""

NOT_PARTNER_DATA: dict[tuple[str, str], str] = {
    ("GET", "/sign-in"): "a form",
    ("POST", "/sign-in"): "signing in (audited as login)",
    ("POST", "/sign-out"): "signing out",
    ("GET", "/"): "the home page's links",
    ("GET", "/api/v1/health"): "liveness",
    ("GET", "/agreements"): "agreements are the partnership's shared rules, not records",
    ("GET", "/agreements/upload"): "a form",
    ("POST", "/agreements/upload"): "an agreement change (audited as agreement_change)",
    ("GET", "/agreements/{agreement_id}"): "an agreement",
    ("POST", "/agreements/{agreement_id}/suspend"): "an agreement change",
    ("GET", "/api/v1/agreements"): "agreements",
    ("GET", "/api/v1/agreements/{agreement_id}"): "an agreement",
    ("POST", "/api/v1/agreements"): "an agreement change",
    ("POST", "/api/v1/agreements/{agreement_id}/suspend"): "an agreement change",
    ("GET", "/audit"): "the audit log itself (who did what), not partner records",
    ("GET", "/audit/person"): "a person's access report from the audit log",
    ("POST", "/audit/person"): "an IG lead's search of their own organisation's records for a "
    "subject access request, audited as a look at whoever it finds (no sharing purpose)",
    ("GET", "/audit/who-looked"): "the audit log's reads of the organisation's data",
    ("GET", "/audit/who-looked.csv"): "the same, as CSV",
    ("GET", "/audit/verify"): "the chain's check",
    ("GET", "/api/v1/audit/verify"): "the chain's check",
    ("GET", "/api/v1/audit/entries"): "the audit log itself",
    ("GET", "/api/v1/audit/persons/{person_id}"): "a person's access report",
    ("GET", "/uploads"): "the user's own organisation's loads (counts), never another's",
    ("POST", "/uploads"): "a load of the user's own organisation's extract (audited as ingest)",
    ("GET", "/uploads/jobs/{job_id}"): "an upload's progress",
    ("GET", "/uploads/jobs/{job_id}/confirm"): "the own organisation's current and new versions",
    ("POST", "/uploads/jobs/{job_id}/confirm"): "confirming the own organisation's load",
    ("GET", "/uploads/{dataset_version}"): "the own organisation's quarantine; others refused",
    ("GET", "/api/v1/uploads/jobs/{job_id}"): "an upload's progress",
    ("GET", "/api/v1/uploads"): "the own organisation's loads",
    ("GET", "/api/v1/uploads/{dataset_version}"): "the own organisation's quarantine",
    ("POST", "/api/v1/uploads"): "a load of the own organisation's extract",
    ("GET", "/linkage"): "linkage runs: counts, nobody named",
    ("GET", "/linkage/runs/{run_id}"): "a run's model and figures, nobody named",
    ("GET", "/api/v1/linkage/runs"): "linkage runs",
    ("GET", "/api/v1/linkage/runs/{run_id}"): "a run's model and figures",
    ("POST", "/api/v1/linkage/review"): "a decision, audited as on the page (POST above)",
    ("GET", "/savings"): "appraisals of initiatives from templates and unit costs",
    ("GET", "/api/v1/savings"): "initiatives",
    ("GET", "/api/v1/savings/{initiative}/{organisation}"): "an appraisal",
    ("GET", "/lookup"): "the lookup form",
}
"""Routes that show no partner record, and why."""


def _routes(app: Any) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves, pages and API (not docs or assets)."""
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        for r in inner.routes if inner is not None else [route]:
            for method in sorted(getattr(r, "methods", None) or ()):
                if method != "HEAD":
                    yield method, r.path


_SERVED_BY_FASTAPI = {"/openapi.json", "/api/docs", "/docs/oauth2-redirect"}


def test_every_route_is_classified(linked_web: LinkedWeb) -> None:
    served = {r for r in _routes(linked_web.app) if r[1] not in _SERVED_BY_FASTAPI}
    unclassified = served - set(PARTNER_READS) - set(NOT_PARTNER_DATA)
    assert not unclassified, (
        "routes nobody has said whether they show partner data (add each to PARTNER_READS, "
        f"walked and audited, or NOT_PARTNER_DATA with why): {sorted(unclassified)}"
    )
    assert not (set(PARTNER_READS) | set(NOT_PARTNER_DATA)) - served, "routes that are gone"


@pytest.mark.parametrize("route", sorted(PARTNER_READS), ids=" ".join)
def test_each_partner_read_is_audited(linked_web: LinkedWeb, route: tuple[str, str]) -> None:
    read = PARTNER_READS[route]
    engine = hub_engine(linked_web.settings)
    try:
        before = max((e.seq for e in entries(engine)), default=0)
        response = read.call(linked_web, linked_web.client(read.user))
        assert response.status_code in (200, 303), (route, response.text[:300])
        written = [e for e in entries(engine) if e.seq > before and e.actor == read.user]
    finally:
        engine.dispose()
    reads = [e for e in written if e.action in read.actions and e.outcome in ("allow", "ok")]
    assert reads, (route, [(e.action, e.outcome, e.purpose) for e in written])
    # each entry names the purpose the read served, and (but for a decision) its agreement
    assert {e.purpose for e in reads} == {read.purpose}, route
    # every read under an agreement names it (an export entry records the list it wrote)
    assert all(e.agreement_id for e in reads if e.action == "access"), route
