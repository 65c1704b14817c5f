"""Pages by role: home, agreements (list, view, upload, suspend), audit, savings; the API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sharewell.agreements import EXAMPLES_DIR, get_agreement
from sharewell.audit import entries
from sharewell.cli import ExitCode, main
from sharewell.config import Settings
from sharewell.partnership import hub_engine
from sharewell.partnership.accounts import add_api_token, sign_in, token_organisation
from tests.web.conftest import WebHub, form_csrf


def _upload(client: TestClient, name: str, content: str) -> object:
    token = form_csrf(client.get("/agreements/upload").text)
    return client.post(
        "/agreements/upload",
        data={"csrf_token": token},
        files={"agreement_file": (name, content.encode(), "application/x-yaml")},
    )


def test_home_page_lists_what_each_role_can_do(web_hub: WebHub) -> None:
    lead = web_hub.sign_in("ig_lead").get("/").text
    assert "Data sharing agreements" in lead and "Verify the audit log" in lead
    assert "Savings scenarios" not in lead
    analyst = web_hub.sign_in("analyst").get("/").text
    assert "Savings scenarios" in analyst and "Search the audit log" not in analyst
    frontline = web_hub.sign_in("frontline").get("/").text
    assert "Safe and Well visit list" in frontline and "Flag lookup" in frontline
    assert "Savings scenarios" not in frontline and "Search the audit log" not in frontline
    # The chief executive: the savings answer and nothing person-level.
    executive = web_hub.sign_in("executive")
    home = executive.get("/").text
    assert "Savings scenarios" in home and "Chief executive" in home
    for link in ("/safe-and-well", "/lookup", "/uploads", "/audit", "/linkage"):
        assert f'href="{link}' not in home, link
    assert executive.get("/savings?initiative=safe_haven").status_code == 200
    for page in ("/safe-and-well", "/crisis-cohort", "/lookup", "/linkage/review", "/uploads"):
        assert executive.get(page).status_code == 403, page


def test_ig_lead_uploads_a_new_version_and_sees_it(web_hub: WebHub) -> None:
    client = web_hub.sign_in("ig_lead")
    text = (EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8")
    changed = text.replace("version: 1", "version: 2").replace(
        "retention_days: ", "retention_days: 1"
    )
    response = _upload(client, "fire_prevention_v2.yaml", changed)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/agreements/fire-prevention"  # type: ignore[attr-defined]
    stored = get_agreement(web_hub.engine, "fire-prevention")
    assert stored.agreement.version == 2 and stored.recorded_by == "westshire_fire.ig_lead"
    page = client.get("/agreements/fire-prevention").text
    assert "version 2" in page and "Version 1" in page


def test_invalid_agreement_upload_lists_every_problem_in_an_error_summary(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("ig_lead")
    text = (EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8")
    broken = text.replace("version: 1", "version: 2").replace("article_6: public_task", "")
    response = _upload(client, "broken.yaml", broken)
    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "govuk-error-summary" in page and "There is a problem" in page
    assert "article_6" in page and page.startswith("<!DOCTYPE html>")
    assert "<title>Error: Upload an agreement" in page
    assert get_agreement(web_hub.engine, "fire-prevention").agreement.version == 1
    not_yaml = _upload(client, "bad.yaml", "id: [unclosed")
    assert "not valid YAML at line" in not_yaml.text  # type: ignore[attr-defined]
    clash = _upload(client, "same_version.yaml", text.replace("Westshire fire", "Changed"))
    assert "is already stored" in clash.text  # type: ignore[attr-defined]


def test_ig_lead_cannot_upload_an_agreement_their_organisation_is_not_party_to(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("other_ig_lead")  # ambulance
    text = (EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8")
    response = _upload(client, "fp.yaml", text.replace("version: 1", "version: 2"))
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "is not a provider or recipient" in response.text  # type: ignore[attr-defined]
    assert get_agreement(web_hub.engine, "fire-prevention").agreement.version == 1


def test_suspending_needs_a_reason_and_is_audited(web_hub: WebHub) -> None:
    client = web_hub.sign_in("ig_lead")
    token = form_csrf(client.get("/").text)
    blank = client.post("/agreements/fire-prevention/suspend", data={"csrf_token": token})
    assert blank.status_code == 422 and "Enter why the agreement is being suspended" in blank.text
    done = client.post(
        "/agreements/fire-prevention/suspend",
        data={"csrf_token": token, "reason": "data breach under investigation"},
    )
    assert done.status_code == 303
    assert get_agreement(web_hub.engine, "fire-prevention").agreement.status == "suspended"
    last = entries(web_hub.engine, agreement_id="fire-prevention")[-1]
    assert last.actor == "westshire_fire.ig_lead"
    assert "data breach" in last.detail["change"]


def test_audit_search_shows_the_organisations_own_entries_and_admin_sees_all(
    web_hub: WebHub,
) -> None:
    web_hub.sign_in("other_ig_lead")  # an ambulance sign-in, audited against the ambulance
    lead = web_hub.sign_in("ig_lead").get("/audit?action=login").text
    assert "westshire_fire.ig_lead" in lead and "westshire_ambulance.ig_lead" not in lead
    admin = web_hub.sign_in("admin").get("/audit?action=login").text
    assert "westshire_fire.ig_lead" in admin and "westshire_ambulance.ig_lead" in admin


def test_person_access_report_of_an_unknown_person_says_so_and_chain_verification(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("ig_lead")
    unknown = client.get("/audit/person?person_id=P9")
    assert unknown.status_code == 404 and "There is no person P9" in unknown.text
    # Nothing was looked at, so nothing was recorded about anyone.
    assert entries(web_hub.engine, person_id="P9") == []
    verified = client.get("/audit/verify").text
    assert "The audit log is intact" in verified


def test_analyst_runs_a_savings_scenario_with_table_and_charts(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    form = client.get("/savings").text
    assert "Mental health crisis safe haven" in form
    page = client.get("/savings?initiative=safe_haven&organisation=westshire_police").text
    assert "Over 5 years Westshire Police" in page
    # Two Vega-Lite charts, each with its spec and the same figures as a table.
    assert 'id="spec-by-organisation"' in page and 'id="spec-over-time"' in page
    assert page.count("data-chart-table") == 2
    assert "All public bodies" in page
    # The answer box of the report's page 1: cash NPV apart from capacity, for this partner.
    assert 'data-organisation="westshire_police"' in page and "Cash NPV" in page
    assert "Capacity value" in page and "Would pay" in page
    mine = client.get("/savings?initiative=safe_and_well").text  # defaults to their own org
    assert "Westshire Fire and Rescue Service pays £" in mine
    bad = client.get("/savings?initiative=../../etc/passwd")
    assert bad.status_code == 422 and "Select one of the initiatives listed" in bad.text


def test_api_answers_with_a_token_and_errors_have_one_shape(web_hub: WebHub) -> None:
    token = add_api_token(web_hub.engine, "westshire_police", label="t", actor="test")
    client = TestClient(web_hub.sign_in("analyst").app)
    assert client.get("/api/v1/agreements").json()["error"]["kind"] == "SignInRequired"
    client.headers["Authorization"] = f"Bearer {token}"
    answer = client.get("/api/v1/savings/safe_haven/westshire_police").json()
    assert answer["answer"].startswith("Over 5 years Westshire Police")
    assert answer["benefits"] > 0
    # Police officer time released is capacity, not cash: the answer keeps them apart.
    assert answer["cashable"] == 0 and answer["capacity_value"] == answer["benefits"]
    missing = client.get("/api/v1/savings/safe_haven/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["kind"] == "NotFound"
    assert client.get("/api/v1/audit/verify").json()["ok"] is True
    spec = client.get("/openapi.json").json()
    assert {
        "/api/v1/agreements",
        "/api/v1/agreements/{agreement_id}",
        "/api/v1/audit/verify",
        "/api/v1/savings/{initiative}/{organisation}",
    } <= set(spec["paths"])


def test_cli_creates_the_first_admin_with_a_password_and_an_api_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hub = str(tmp_path / "hub")
    assert main(["init", hub]) == ExitCode.OK
    org = ["org", "add", "westshire_cc", "--name", "Westshire CC", "--type", "local_authority"]
    assert main([*org, "--hub", hub]) == ExitCode.OK
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    args = ["user", "add", "first.admin", "--org", "westshire_cc", "--role", "admin"]
    assert main([*args, "--password-stdin", "--hub", hub, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["password_set"] is True
    engine = hub_engine(Settings(hub_dir=Path(hub)))
    assert sign_in(engine, "first.admin", "a long enough password").user.role == "admin"
    assert main(["token", "add", "--org", "westshire_cc", "--hub", hub, "--json"]) == ExitCode.OK
    token = json.loads(capsys.readouterr().out)["token"]
    assert token_organisation(engine, token) == "westshire_cc"
    assert main(["token", "add", "--org", "nowhere", "--hub", hub]) == ExitCode.NOT_FOUND
    capsys.readouterr()
    assert main(["token", "list", "--hub", hub, "--json"]) == ExitCode.OK
    listed = json.loads(capsys.readouterr().out)
    assert [t["organisation"] for t in listed] == ["westshire_cc"]
    assert token not in json.dumps(listed)  # the list never shows a token itself
    assert main(["token", "revoke", listed[0]["id"], "--hub", hub]) == ExitCode.OK
    assert token_organisation(engine, token) is None
    assert main(["token", "revoke", "0" * 12, "--hub", hub]) == ExitCode.NOT_FOUND
    # the same person again with a new password: a reset, their details kept
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    capsys.readouterr()
    assert main([*args, "--password-stdin", "--hub", hub, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["added"] is False
    assert sign_in(engine, "first.admin", "another long password").user.role == "admin"
    engine.dispose()


def test_ig_lead_uploads_and_suspends_through_the_api(web_hub: WebHub) -> None:
    client = web_hub.sign_in("ig_lead")
    text = (EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8")
    broken = client.post(
        "/api/v1/agreements",
        files={"agreement_file": ("v2.yaml", text.replace("start: ", "start: x").encode())},
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["kind"] == "AgreementError"
    assert "start" in broken.json()["error"]["message"]
    changed = text.replace("version: 1", "version: 2")
    stored = client.post(
        "/api/v1/agreements", files={"agreement_file": ("v2.yaml", changed.encode())}
    )
    assert stored.status_code == 201 and stored.json()["versions"] == [1, 2]
    suspended = client.post(
        "/api/v1/agreements/fire-prevention/suspend", json={"reason": "breach under review"}
    )
    assert suspended.json()["agreement"]["status"] == "suspended"
    assert suspended.json()["versions"] == [1, 2, 3]
    other = web_hub.sign_in("other_ig_lead")
    refused = other.post("/api/v1/agreements/fire-prevention/suspend", json={"reason": "x"})
    assert refused.status_code == 403


def test_ig_lead_searches_the_audit_log_through_the_api(web_hub: WebHub) -> None:
    web_hub.sign_in("ig_lead")
    lead = web_hub.sign_in("ig_lead")
    found = lead.get("/api/v1/audit/entries?action=login").json()
    assert found and {e["organisation"] for e in found} == {"westshire_fire"}
    assert found[0]["seq"] > found[-1]["seq"]  # newest first
    report = lead.get("/api/v1/audit/persons/P-123")
    assert report.status_code == 404 and report.json()["error"]["kind"] == "NotFound"
    admin = web_hub.sign_in("admin").get("/api/v1/audit/entries?action=login").json()
    assert len({e["organisation"] for e in admin}) > 1
