"""Analysts upload extracts through the web: progress, then the quarantine report; own data only."""

from __future__ import annotations

import re
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


def _people(n: int, start: int = 0) -> str:
    rows = [
        f"R{i},Ann{i},Smith,19{50 + i % 40}-0{1 + i % 9}-1{i % 9},WS1 1AA"
        for i in range(start, start + n)
    ]
    return "record_id,given_name,family_name,date_of_birth,postcode\n" + "\n".join(rows) + "\n"


def _visits(n: int, year: int) -> str:
    rows = [f"V{year}{i},Ann{i},Smith,WS1 1AA,{year}-0{1 + i % 9}-1{i % 9},true" for i in range(n)]
    return "record_id,given_name,family_name,postcode,visit_date,smoker\n" + "\n".join(rows) + "\n"


def _loads(client: TestClient) -> int:
    body = client.get("/uploads").text.split('id="loads"')[1].split("<tbody")[1]
    return body.split("</tbody>")[0].count('<tr class="govuk-table__row">')


def _decide(client: TestClient, page: str, **form: str) -> object:
    action = page.split('action="/uploads/jobs/')[1].split('"')[0]
    return client.post(f"/uploads/jobs/{action}", data={"csrf_token": form_csrf(page), **form})


def test_a_much_smaller_upload_waits_for_an_explicit_decision_then_replaces(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("analyst")
    kind = {"source_type": "fire.safe_and_well_visit"}
    first = follow_to_report(client, upload(client, _visits(40, 2023), **kind))
    assert "Load of people.csv" in first  # a first load replaces nothing: no confirm step
    confirm = follow_to_report(client, upload(client, _visits(5, 2024), **kind))
    assert "Check before you replace your data" in confirm
    assert "data-shrink-warning" in confirm
    assert "data-current-rows>40<" in confirm and "data-new-rows>5<" in confirm
    # the dates each version's records cover, side by side
    assert "10 January 2023 to 18 September 2023" in confirm
    assert "10 January 2024 to 14 May 2024" in confirm
    # Nothing changed while the analyst looks: the 40-row version is still the one in use.
    assert "40" in client.get("/uploads").text.split('id="loads"')[1].split("</tr>")[1]
    # Replacing a much smaller file needs the box ticked.
    unticked = _decide(client, confirm, decision="replace")
    assert unticked.status_code == 422  # type: ignore[attr-defined]
    assert "Confirm that you have checked the smaller file" in unticked.text  # type: ignore[attr-defined]
    done = _decide(client, confirm, decision="replace", checked="yes")
    report = follow_to_report(client, done)
    assert "Load of people.csv" in report
    assert re.search(r"Rows accepted\s*</dt>\s*<dd[^>]*>\s*5\s*<", report)
    ingests = [e for e in entries(web_hub.engine) if e.action == "ingest"]
    assert ingests[-1].outcome == "ok" and ingests[-1].detail.get("rows_accepted") in (5, None)


def test_a_declined_upload_keeps_the_data_in_use_and_is_recorded(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    follow_to_report(client, upload(client, _people(30)))
    confirm = follow_to_report(client, upload(client, _people(3, 200)))
    assert "data-shrink-warning" in confirm
    nothing = _decide(client, confirm)
    assert nothing.status_code == 422  # type: ignore[attr-defined]
    assert "Select whether to replace" in nothing.text  # type: ignore[attr-defined]
    kept = follow_to_report(client, _decide(client, confirm, decision="keep"))
    assert "The data in use was kept" in kept
    assert _loads(client) == 1  # still only the first load
    declined = [e for e in entries(web_hub.engine) if e.action == "ingest"][-1]
    assert declined.outcome == "held"
    assert declined.detail["decision"] == "kept the current version"
    # A second decision on the same upload changes nothing.
    again = _decide(client, confirm, decision="replace", checked="yes")
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert _loads(client) == 1


def test_a_replacement_of_similar_size_is_confirmed_without_the_extra_box(
    web_hub: WebHub,
) -> None:
    client = web_hub.sign_in("analyst")
    follow_to_report(client, upload(client, _people(20)))
    confirm = follow_to_report(client, upload(client, _people(22, 50)))
    assert "Check before you replace your data" in confirm
    assert "data-shrink-warning" not in confirm
    report = follow_to_report(client, _decide(client, confirm, decision="replace"))
    assert "Load of people.csv" in report


def test_the_api_refuses_a_much_smaller_file_unless_accepted(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    follow_to_report(client, upload(client, _people(30)))
    files = {"extract": ("small.csv", _people(2, 300).encode(), "text/csv")}
    held = client.post("/api/v1/uploads", data={"source_type": "person"}, files=files)
    assert held.status_code == 422 and "held, not loaded" in held.json()["error"]["message"]
    accepted = client.post(
        "/api/v1/uploads", data={"source_type": "person", "accept_shrink": "true"}, files=files
    )
    assert accepted.status_code == 201 and accepted.json()["rows_accepted"] == 2
