"""Front-line pages on a linked synthetic county: the crew's list, the crisis cohort, lookups."""

from __future__ import annotations

import json
import re

from sharewell.audit import entries
from sharewell.partnership import hub_engine
from sharewell.store import Workspace
from tests.web.conftest import LinkedWeb, form_csrf

AS_OF = "2024-12-31"
CREW = "westshire_fire.frontline"
OFFICER = "westshire_police.frontline"
CRISIS_TEAM = "westshire_mht.frontline"


def test_crew_sees_the_ranked_list_with_reasons(linked_web: LinkedWeb) -> None:
    page = linked_web.client(CREW).get(f"/safe-and-well?as_of={AS_OF}")
    assert page.status_code == 200
    visit_list = page.text.split('id="visit-list"')[1].split("</table>")[0]
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td', visit_list)
    assert len(rows) == 50
    # The risk distribution: a Vega-Lite spec, and the same figures as a table without JS.
    assert 'id="spec-risk-distribution"' in page.text
    assert "Chance of a fire in a year" in page.text
    assert "shared by westshire_cc" in page.text
    assert "diagnosis" not in page.text.lower()


def test_a_crisis_team_member_gets_no_fire_list_and_the_refusal_is_audited(
    linked_web: LinkedWeb,
) -> None:
    page = linked_web.client(CRISIS_TEAM).get(f"/safe-and-well?as_of={AS_OF}")
    assert page.status_code == 403
    engine = hub_engine(linked_web.settings)
    refused = [e for e in entries(engine) if e.actor == CRISIS_TEAM and e.outcome == "deny"]
    engine.dispose()
    assert refused


def test_crisis_team_sees_the_cohort_with_timelines(linked_web: LinkedWeb) -> None:
    page = linked_web.client(CRISIS_TEAM).get(f"/crisis-cohort?as_of={AS_OF}")
    assert page.status_code == 200
    assert page.text.count('class="govuk-details"') >= 5
    assert re.search(r"2024-\d\d-\d\d — [^<]+ \(westshire_(police|mht|ambulance)\)", page.text)


def test_officer_lookup_identifies_and_shows_only_granted_flags(linked_web: LinkedWeb) -> None:
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        given, family, dob, postcode = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name LIMIT 1"
        ).fetchone()
    client = linked_web.client(OFFICER)
    form = {
        "csrf_token": form_csrf(client.get("/lookup").text),
        "purpose": "mh_crisis_care",
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "postcode": postcode,
        "as_of": AS_OF,
    }
    page = client.post("/lookup", data=form)
    assert page.status_code == 200
    assert "Identified" in page.text
    assert "held by westshire_mht" in page.text
    assert dob not in page.text.split('id="lookup-result"')[1].split("</div>")[0]
    # without the CSRF token the lookup is refused
    assert client.post("/lookup", data={**form, "csrf_token": "x"}).status_code == 403


def test_crew_gets_the_visit_list_from_the_api(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    body = client.get(f"/api/v1/safe-and-well?as_of={AS_OF}&limit=10").json()
    assert len(body["households"]) == 10 and body["households_total"] >= 50
    assert [h["rank"] for h in body["households"]] == list(range(1, 11))
    assert "nhs_number" not in json.dumps(body)
    refused = linked_web.client(CRISIS_TEAM).get(f"/api/v1/safe-and-well?as_of={AS_OF}")
    assert refused.status_code == 403 and refused.json()["error"]["kind"] == "AccessDenied"
    bad = client.get("/api/v1/safe-and-well?as_of=yesterday")
    assert bad.status_code == 422 and bad.json()["error"]["kind"] == "InvalidRequest"


def test_crisis_team_gets_the_cohort_from_the_api(linked_web: LinkedWeb) -> None:
    body = linked_web.client(CRISIS_TEAM).get(f"/api/v1/crisis-cohort?as_of={AS_OF}").json()
    assert len(body["members"]) >= 5
    assert all(m["crisis_contacts"] >= 3 for m in body["members"])
    assert body["members"][0]["timeline"][0]["agency"].startswith("westshire_")


def test_officer_looks_up_flags_through_the_api_and_the_owner_is_told(
    linked_web: LinkedWeb,
) -> None:
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        given, family, dob, postcode = ws.conn.execute(
            "SELECT given_name, family_name, CAST(date_of_birth AS VARCHAR), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name DESC LIMIT 1"
        ).fetchone()
    client = linked_web.client(OFFICER)
    request = {
        "purpose": "mh_crisis_care",
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "postcode": postcode,
        "as_of": AS_OF,
    }
    body = client.post("/api/v1/lookup", json=request).json()
    assert body["identified"] is True
    assert {f["owner"] for f in body["flags"]} == {"westshire_mht"}
    engine = hub_engine(linked_web.settings)
    looked = [e for e in entries(engine) if e.actor == OFFICER and e.target.startswith("mh_")]
    engine.dispose()
    assert looked and looked[-1].detail.get("provider") == "westshire_mht"
    not_enough = client.post(
        "/api/v1/lookup", json={"purpose": "mh_crisis_care", "family_name": family}
    )
    assert not_enough.json()["identified"] is False
    wrong = client.post("/api/v1/lookup", json={**request, "purpose": "marketing"})
    assert wrong.status_code == 422 and wrong.json()["error"]["kind"] == "InvalidRequest"
