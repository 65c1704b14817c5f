"""Front-line pages on a linked synthetic county: the crew's list, the crisis cohort, lookups."""

from __future__ import annotations

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
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td', page.text)
    assert len(rows) == 50
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
