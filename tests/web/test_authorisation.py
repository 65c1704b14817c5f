"""Every route, walked as every kind of caller: nobody reaches what their role does not allow.

The routes come from the app itself, so a new route fails here until its rule is written down.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sharewell.partnership import hub_engine
from sharewell.partnership.accounts import add_api_token
from sharewell.store import Workspace
from tests.web.conftest import PEOPLE, LinkedWeb, WebHub, form_csrf

# Open to anyone: the start page, sign-in, health, and the API's description.
PUBLIC = {
    ("GET", "/"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in"),
    ("GET", "/api/v1/health"),
    ("GET", "/openapi.json"),
    ("GET", "/api/docs"),
}
SIGNED_IN = {("POST", "/sign-out")}  # any signed-in person
IG = {"admin", "ig_lead"}
# Everything else: exactly who may use it ("token" is an organisation's API token).
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("GET", "/agreements"): IG,
    ("GET", "/agreements/upload"): {"ig_lead"},
    ("POST", "/agreements/upload"): {"ig_lead"},
    ("GET", "/agreements/{agreement_id}"): IG,
    ("POST", "/agreements/{agreement_id}/suspend"): {"ig_lead"},
    ("GET", "/audit"): IG,
    ("GET", "/audit/person"): IG,
    ("POST", "/audit/person"): IG,
    ("GET", "/audit/who-looked"): IG,
    ("GET", "/audit/who-looked.csv"): IG,
    ("GET", "/audit/verify"): IG,
    ("GET", "/savings"): {"analyst", "executive"},
    ("GET", "/uploads"): {"analyst"},
    ("POST", "/uploads"): {"analyst"},
    ("GET", "/uploads/jobs/{job_id}"): {"analyst"},
    ("GET", "/uploads/jobs/{job_id}/confirm"): {"analyst"},
    ("POST", "/uploads/jobs/{job_id}/confirm"): {"analyst"},
    ("GET", "/uploads/{dataset_version}"): {"analyst"},
    ("GET", "/linkage"): {"admin", "analyst"},
    ("GET", "/linkage/runs/{run_id}"): {"admin", "analyst"},
    ("GET", "/linkage/review"): {"analyst"},
    ("POST", "/linkage/review"): {"analyst"},
    ("GET", "/safe-and-well"): {"frontline"},
    ("GET", "/safe-and-well/export.{fmt}"): {"frontline"},
    ("GET", "/safe-and-well/households/{ref}"): {"frontline"},
    ("GET", "/safe-and-well/sheet"): {"frontline"},
    ("GET", "/crisis-cohort"): {"frontline"},
    ("GET", "/lookup"): {"frontline"},
    ("POST", "/lookup"): {"frontline"},
    ("GET", "/api/v1/agreements"): IG | {"token"},
    ("GET", "/api/v1/agreements/{agreement_id}"): IG | {"token"},
    ("GET", "/api/v1/audit/verify"): IG | {"token"},
    ("GET", "/api/v1/audit/entries"): IG,
    ("GET", "/api/v1/audit/persons/{person_id}"): IG,
    ("POST", "/api/v1/agreements"): {"ig_lead"},
    ("POST", "/api/v1/agreements/{agreement_id}/suspend"): {"ig_lead"},
    ("GET", "/api/v1/savings"): {"analyst", "executive", "token"},
    ("GET", "/api/v1/savings/{initiative}/{organisation}"): {"analyst", "executive", "token"},
    ("GET", "/api/v1/uploads"): {"analyst", "token"},
    ("POST", "/api/v1/uploads"): {"analyst"},
    ("GET", "/api/v1/uploads/jobs/{job_id}"): {"analyst"},
    ("GET", "/api/v1/uploads/{dataset_version}"): {"analyst", "token"},
    ("GET", "/api/v1/linkage/runs"): {"admin", "analyst", "token"},
    ("GET", "/api/v1/linkage/runs/{run_id}"): {"admin", "analyst", "token"},
    ("GET", "/api/v1/linkage/review"): {"analyst"},
    ("POST", "/api/v1/linkage/review"): {"analyst"},
    ("GET", "/api/v1/safe-and-well"): {"frontline"},
    ("GET", "/api/v1/crisis-cohort"): {"frontline"},
    ("POST", "/api/v1/lookup"): {"frontline"},
}
# Front-line views: the role opens the door, then the agreements decide (a fire crew member
# asking for the crisis cohort is refused by the policy, and that refusal is audited).
POLICY_DECIDES = {
    ("GET", "/crisis-cohort"),
    ("GET", "/safe-and-well"),
    ("GET", "/safe-and-well/export.{fmt}"),
    ("GET", "/safe-and-well/households/{ref}"),
    ("GET", "/safe-and-well/sheet"),
    ("POST", "/lookup"),
    ("GET", "/api/v1/crisis-cohort"),
    ("GET", "/api/v1/safe-and-well"),
    ("POST", "/api/v1/lookup"),
}
# Path parameters that name real things the fire service's people may see.
SAMPLES = {
    "agreement_id": "fire-prevention",
    "initiative": "safe_haven",
    "organisation": "westshire_fire",
    "job_id": "0" * 32,
    "dataset_version": "1",
    "run_id": "no-such-run",
    "person_id": "P-nobody",
    "fmt": "csv",
    "ref": "0" * 16,
}
CALLERS = ("anonymous", "token", "admin", "ig_lead", "analyst", "frontline", "executive")


def _routes(app: object) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app.router.routes):  # type: ignore[attr-defined]
        for method in sorted(route.methods or ()):
            if method != "HEAD" and route.path:
                found.append((method, route.path))
    return found


def _client(
    sign_in: Callable[[str], TestClient], engine: Engine, caller: str, app: object
) -> tuple[TestClient, dict[str, str]]:
    if caller == "anonymous":
        return TestClient(app, follow_redirects=False), {}  # type: ignore[arg-type]
    if caller == "token":
        token = add_api_token(engine, "westshire_fire", label="walk", actor="test")
        client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
        client.headers["Authorization"] = f"Bearer {token}"
        return client, {}
    client = sign_in(caller)
    return client, {"csrf_token": form_csrf(client.get("/").text)}


def test_every_route_has_an_authorisation_rule(web_hub: WebHub) -> None:
    client = web_hub.sign_in("ig_lead")
    unlisted = [r for r in _routes(client.app) if r not in PUBLIC | SIGNED_IN and r not in ALLOWED]
    assert not unlisted, f"add these routes to ALLOWED (who may use them): {unlisted}"


def test_every_route_refuses_every_caller_its_role_does_not_allow(web_hub: WebHub) -> None:
    _walk(web_hub.sign_in, web_hub.engine)


def test_every_route_refuses_every_caller_on_a_hub_with_linked_data(
    linked_web: LinkedWeb,
) -> None:
    # With people in the workspace the allowed callers get real pages (review pairs read
    # through the agreements, visit lists), not "no data yet": the refusals must still hold.
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        fire_load = ws.conn.execute(
            "SELECT min(id) FROM dataset_versions WHERE partner = 'westshire_fire'"
        ).fetchone()
    assert fire_load is not None
    engine = hub_engine(linked_web.settings)
    try:
        _walk(
            lambda who: linked_web.client(PEOPLE.get(who, who)),
            engine,
            {**SAMPLES, "dataset_version": str(fire_load[0])},
        )
    finally:
        engine.dispose()


def _walk(
    sign_in: Callable[[str], TestClient], engine: Engine, samples: dict[str, str] = SAMPLES
) -> None:
    app = sign_in("ig_lead").app
    routes = _routes(app)
    assert len(routes) >= len(ALLOWED)
    for caller in CALLERS:
        client, form = _client(sign_in, engine, caller, app)
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            if (method, path) in SIGNED_IN and caller != "anonymous":
                continue  # signing out here would sign the caller out of the rest of the walk
            url = path.format(**samples)
            # Empty forms: an allowed caller gets a validation message, nothing is changed.
            response = client.request(method, url, data=form if method == "POST" else None)
            where = f"{caller} {method} {url}"
            assert response.status_code < 500, where
            # Pages take only a signed-in person: a token there is no better than nothing.
            if caller == "anonymous" or (caller == "token" and not path.startswith("/api/")):
                if path.startswith("/api/"):
                    assert response.status_code == 401, where
                    assert response.json()["error"]["kind"] == "SignInRequired"
                else:
                    assert response.status_code in (303, 403), where
                    if response.status_code == 303:
                        assert response.headers["location"].startswith("/sign-in"), where
                continue
            if caller in ALLOWED[(method, path)]:
                if (method, path) not in POLICY_DECIDES:
                    assert response.status_code not in (401, 403), where
                assert not response.headers.get("location", "").startswith("/sign-in"), where
            else:
                assert response.status_code == 403, where
                if path.startswith("/api/"):
                    assert response.json()["error"]["kind"] == "AccessDenied", where
                else:
                    assert "You cannot see this page" in response.text, where


def test_ig_lead_of_another_organisation_cannot_open_its_agreement_by_url(
    web_hub: WebHub,
) -> None:
    other = web_hub.sign_in("other_ig_lead")  # ambulance: not party to fire-prevention
    assert other.get("/agreements/fire-prevention").status_code == 403
    assert other.get("/api/v1/agreements/fire-prevention").status_code == 403
    form = {"csrf_token": form_csrf(other.get("/").text), "reason": "not mine"}
    assert other.post("/agreements/fire-prevention/suspend", data=form).status_code == 403
    listed = other.get("/agreements").text
    assert "mh-crisis-care" in listed and "fire-prevention" not in listed
    # ...and the fire service's IG lead still sees it active: nothing was suspended.
    page = web_hub.sign_in("ig_lead").get("/agreements/fire-prevention").text
    assert "suspended" not in page.split("Versions")[0]


def test_api_token_sees_only_its_organisations_agreements(web_hub: WebHub) -> None:
    token = add_api_token(web_hub.engine, "westshire_ambulance", label="t", actor="test")
    client = TestClient(web_hub.sign_in("ig_lead").app)
    client.headers["Authorization"] = f"Bearer {token}"
    ids = {a["id"] for a in client.get("/api/v1/agreements").json()}
    assert ids == {"mh-crisis-care", "service-evaluation"}
    assert client.get("/api/v1/agreements/fire-prevention").status_code == 403
    client.headers["Authorization"] = "Bearer not-a-real-token"
    refused = client.get("/api/v1/agreements")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
