"""Analysts upload extracts through the web: progress, then the quarantine report; own data only."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from sharewell.audit import entries
from sharewell.partnership.accounts import add_api_token
from tests.web.conftest import WebHub, form_csrf

EXTRACT = (
    "record_id,given_name,family_name,date_of_birth,postcode\n"
    "F1,Ann,Smith,1950-02-03,WS1 1AA\n"
    "F2,Bob,Jones,31/02/1950,WS1 1AB\n"
    ",Cat,Brown,1960-01-01,WS2 2AA\n"
    "F4,Dan,<script>alert(1)</script>,1961-05-06,not a postcode\n"
)
MAPPING = """source_type: person
columns:
  Ref: record_id
  First: given_name
  Last: family_name
"""


def upload(client: TestClient, content: str = EXTRACT, **extra: object) -> object:
    token = form_csrf(client.get("/uploads").text)
    files: dict[str, tuple[str, bytes, str]] = {
        "extract": ("people.csv", content.encode(), "text/csv")
    }
    if "mapping" in extra:
        files["mapping_file"] = ("map.yaml", str(extra["mapping"]).encode(), "application/x-yaml")
    return client.post(
        "/uploads",
        data={"csrf_token": token, "source_type": str(extra.get("source_type", "person"))},
        files=files,
    )


def follow_to_report(client: TestClient, response: object) -> str:
    """Follow the progress page (as its refresh would) until the load ends; the final page."""
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith("/uploads/jobs/")
    deadline = time.monotonic() + 60
    while True:
        page = client.get(location)
        if page.status_code == 303:
            location = page.headers["location"]
            continue
        if page.status_code != 200 or 'http-equiv="refresh"' not in page.text:
            return page.text
        assert time.monotonic() < deadline, "the load did not finish"
        time.sleep(0.2)


def test_analyst_uploads_an_extract_and_sees_every_quarantined_row_with_its_reason(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("analyst")
    response = upload(client)
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = follow_to_report(client, response)
    assert "Load of people.csv" in page
    assert "Quarantine report" in page
    # The row without a record id is quarantined; the bad date and postcode are named.
    assert "row quarantined" in page and "value dropped" in page
    assert "date_of_birth" in page and "postcode" in page
    assert "<script>alert(1)</script>" not in page  # whatever a partner sends stays inert
    loads = client.get("/uploads").text
    assert "people.csv" in loads
    # Ingest's audited path recorded the load against the analyst and their organisation.
    ingests = [e for e in entries(web_hub.engine) if e.action == "ingest"]
    assert ingests[-1].actor == "westshire_fire.analyst"
    assert ingests[-1].organisation == "westshire_fire" and ingests[-1].outcome == "ok"


def test_upload_with_a_mapping_reads_the_partners_own_column_names(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    content = "Ref,First,Last\nA1,Ann,Smith\nA2,Bob,Jones\n"
    page = follow_to_report(client, upload(client, content, mapping=MAPPING))
    assert "Every row was accepted" in page


def test_a_file_missing_a_required_column_is_refused_and_says_why(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    page = follow_to_report(client, upload(client, "given_name,family_name\nAnn,Smith\n"))
    assert "was not loaded" in page and "record_id" in page
    failed = [e for e in entries(web_hub.engine) if e.action == "ingest"][-1]
    assert failed.outcome == "failed"


def test_upload_form_problems_are_shown_in_an_error_summary(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    # The police's kind of extract is not one a fire service sends.
    response = upload(client, source_type="police.mh_incident")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "govuk-error-summary" in response.text  # type: ignore[attr-defined]
    assert "Select the kind of extract" in response.text  # type: ignore[attr-defined]
    bad_mapping = upload(client, mapping="source_type: fire.incident\n")
    assert "The mapping cannot be used" in bad_mapping.text  # type: ignore[attr-defined]


def test_another_organisation_cannot_open_a_load_or_its_progress(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    response = upload(client)
    job = response.headers["location"]  # type: ignore[attr-defined]
    follow_to_report(client, response)
    version = client.get("/api/v1/uploads").json()[-1]["dataset_version"]
    other = web_hub.sign_in("other_analyst")
    assert other.get(job).status_code == 404
    job_id = job.rsplit("/", 1)[1]
    assert other.get(f"/api/v1/uploads/jobs/{job_id}").status_code == 404
    progress = client.get(f"/api/v1/uploads/jobs/{job_id}").json()
    assert progress["done"] is True and progress["step"] == progress["steps"] == 4
    assert progress["dataset_version"] == version
    assert other.get(f"/uploads/{version}").status_code == 403
    assert other.get(f"/api/v1/uploads/{version}").status_code == 403
    assert other.get("/api/v1/uploads").json() == []
    token = add_api_token(web_hub.engine, "westshire_fire", label="t", actor="test")
    api = TestClient(client.app, headers={"Authorization": f"Bearer {token}"})
    report = api.get(f"/api/v1/uploads/{version}").json()
    assert report["rows_read"] == 4 and report["problems_total"] >= 3
    assert {p["file"] for p in report["problems"]} == {"people.csv"}


def test_analyst_uploads_through_the_api_and_gets_the_report(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    response = client.post(
        "/api/v1/uploads",
        data={"source_type": "person"},
        files={"extract": ("api.csv", EXTRACT.encode(), "text/csv")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["partner"] == "westshire_fire" and body["rows_quarantined"] == 1
    refused = client.post(
        "/api/v1/uploads",
        data={"source_type": "nonsense"},
        files={"extract": ("api.csv", EXTRACT.encode(), "text/csv")},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["kind"] == "IngestError"
