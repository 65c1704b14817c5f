"""Front-line pages on a linked synthetic county: the crew's list, the crisis cohort, lookups."""

from __future__ import annotations

import csv
import io
import json
import re

import openpyxl

from sharewell.audit import entries
from sharewell.partnership import hub_engine
from sharewell.store import Workspace
from sharewell.views.export import VISIT_LIST_COLUMNS
from tests.web.conftest import LinkedWeb, form_csrf

AS_OF = "2024-12-31"
CREW = "westshire_fire.frontline"
OFFICER = "westshire_police.frontline"
CRISIS_TEAM = "westshire_mht.frontline"


def _rows(html: str, table: str = "visit-list") -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</table>")[0]
    return re.findall(r'<tr class="govuk-table__row">\s*<td.*?</tr>', body, re.S)


def _audit(linked_web: LinkedWeb) -> list:  # type: ignore[type-arg]
    engine = hub_engine(linked_web.settings)
    try:
        return entries(engine)
    finally:
        engine.dispose()


def test_crew_sees_the_ranked_list_with_reasons(linked_web: LinkedWeb) -> None:
    page = linked_web.client(CREW).get(f"/safe-and-well?as_of={AS_OF}")
    assert page.status_code == 200
    assert len(_rows(page.text)) == 50
    # The risk distribution: a Vega-Lite spec, and the same figures as a table without JS.
    assert 'id="spec-risk-distribution"' in page.text
    assert "Chance of a fire in a year" in page.text
    # Sources by name, not by code.
    assert "shared by Westshire County Council" in page.text
    assert "westshire_cc" not in page.text
    assert "diagnosis" not in page.text.lower()


def test_the_list_goes_on_page_by_page(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    first = client.get(f"/safe-and-well?as_of={AS_OF}").text
    total = int(re.search(r"Households 1 to 50 of ([\d,]+)", first).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert total > 100
    assert f'href="/safe-and-well?as_of={AS_OF}&amp;page=2"' in first  # GOV.UK pagination
    second = client.get(f"/safe-and-well?as_of={AS_OF}&page=2").text
    assert "Households 51 to 100 of" in second
    assert re.search(r'data-label="Rank">51<', _rows(second)[0])
    assert _rows(second)[0] not in _rows(first)
    last = -(-total // 50)
    beyond = client.get(f"/safe-and-well?as_of={AS_OF}&page={last + 5}").text
    assert f"Households {(last - 1) * 50 + 1} to {total} of" in beyond


def test_the_date_defaults_to_the_latest_date_in_the_data_and_says_how_old_it_is(
    linked_web: LinkedWeb,
) -> None:
    page = linked_web.client(CREW).get("/safe-and-well").text
    # The demo data ends in December 2024: the list is drawn up then, not today.
    day = re.search(r'name="as_of-year" type="text" value="(\d+)"', page)
    assert day and day.group(1) == "2024"
    assert len(_rows(page)) == 50
    data_as_of = page.split("data-data-as-of")[1].split("</details>")[0]
    assert "Council adult social care clients" in data_as_of  # source titles, not codes
    assert "Westshire County Council" in data_as_of
    assert "December 2024" in data_as_of


def test_one_date_input_reads_day_month_year_and_whole_dates(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    reference = _rows(client.get(f"/safe-and-well?as_of={AS_OF}").text)
    for query in (
        "as_of-day=31&as_of-month=12&as_of-year=2024",
        "as_of=31/12/2024",
        "as_of-day=31/12/2024",
        "as_of-day=2024-12-31",
    ):
        page = client.get(f"/safe-and-well?{query}")
        assert page.status_code == 200, query
        assert _rows(page.text) == reference, query
    wrong = client.get("/safe-and-well?as_of-day=31&as_of-month=2&as_of-year=2024")
    assert wrong.status_code == 422
    assert wrong.text.count("The date must be a real date") >= 2  # summary and field
    assert "<title>Error: " in wrong.text
    assert 'href="#as_of-day"' in wrong.text and "govuk-error-summary" in wrong.text
    missing = client.get("/safe-and-well?as_of-day=31&as_of-year=2024")
    assert missing.status_code == 422 and "The date must include a month" in missing.text


def test_crew_exports_the_whole_list_minimised_and_audited(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    page = client.get(f"/safe-and-well?as_of={AS_OF}").text
    total = int(re.search(r"of ([\d,]+)</caption>", page).group(1).replace(",", ""))  # type: ignore[union-attr]
    before = len(_audit(linked_web))
    response = client.get(f"/safe-and-well/export.csv?as_of={AS_OF}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == VISIT_LIST_COLUMNS
    assert len(rows) - 1 == total
    assert "nhs_number" not in response.text and "diagnosis" not in response.text.lower()
    exported = [e for e in _audit(linked_web)[before:] if e.action == "export"]
    assert len(exported) == 1 and exported[0].actor == CREW
    assert exported[0].detail["rows"] == total and exported[0].persons
    xlsx = client.get(f"/safe-and-well/export.xlsx?as_of={AS_OF}")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row - 1 == total


def test_household_page_shows_who_lives_there_why_and_the_visits(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    page = client.get(f"/safe-and-well?as_of={AS_OF}").text
    link = re.search(r'href="(/safe-and-well/households/[0-9a-f]{16}\?as_of=[\d-]+)"', page)
    assert link
    before = len(_audit(linked_web))
    household = client.get(link.group(1).replace("&amp;", "&"))
    assert household.status_code == 200
    assert "Why it is on the list" in household.text and 'id="residents"' in household.text
    assert 'class="govuk-back-link"' in household.text
    assert "Visit history" in household.text
    # The visits were read for this household's people only, and that read is on record.
    reads = [
        e
        for e in _audit(linked_web)[before:]
        if e.target.startswith("fire.safe_and_well_visit") and e.outcome == "allow"
    ]
    assert reads and 0 < len(reads[-1].persons) <= 10
    assert client.get(f"/safe-and-well/households/{'0' * 16}").status_code == 404


def test_visit_sheet_prints_one_page_of_households(linked_web: LinkedWeb) -> None:
    sheet = linked_web.client(CREW).get(f"/safe-and-well/sheet?as_of={AS_OF}&page=2").text
    assert sheet.count('class="sw-sheet-household"') == 50
    assert "51. " in sheet and "Outcome" in sheet


def test_a_crisis_team_member_gets_no_fire_list_and_the_refusal_is_audited(
    linked_web: LinkedWeb,
) -> None:
    page = linked_web.client(CRISIS_TEAM).get(f"/safe-and-well?as_of={AS_OF}")
    assert page.status_code == 403
    assert "do not let you see the Safe and Well visit list" in page.text
    refused = [e for e in _audit(linked_web) if e.actor == CRISIS_TEAM and e.outcome == "deny"]
    assert refused


def test_crisis_team_sees_the_cohort_page_by_page_with_timelines(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CRISIS_TEAM)
    page = client.get(f"/crisis-cohort?as_of={AS_OF}").text
    size = int(re.search(r"data-cohort-size>([\d,]+)", page).group(1).replace(",", ""))  # type: ignore[union-attr]
    shown = page.count('<details class="govuk-details">')
    assert shown == min(size, 50) and shown >= 5
    assert re.search(r"\d+ \w+ 2024 — [^<]+ \(Westshire (Police|Ambulance|Mental)", page)
    if size > 50:
        rest = client.get(f"/crisis-cohort?as_of={AS_OF}&page=2").text
        assert rest.count('<details class="govuk-details">') == min(size - 50, 50)


def test_a_fire_officer_is_not_offered_the_crisis_cohort_and_is_told_who_to_ask(
    linked_web: LinkedWeb,
) -> None:
    client = linked_web.client(CREW)
    home = client.get("/").text
    assert 'href="/safe-and-well"' in home and 'href="/crisis-cohort"' not in home
    refused = client.get(f"/crisis-cohort?as_of={AS_OF}")
    assert refused.status_code == 403
    assert "do not let you see the crisis cohort" in refused.text
    assert "IG lead, Westshire Fire and Rescue Service" in refused.text  # who to ask
    assert "The rule that refused it" in refused.text
    police = linked_web.client(OFFICER).get("/").text
    assert 'href="/lookup"' in police
    assert 'href="/crisis-cohort"' not in police and 'href="/safe-and-well"' not in police


def _person(linked_web: LinkedWeb, order: str = "") -> tuple[str, str, str, str]:
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            f"ORDER BY family_name {order} LIMIT 1"
        ).fetchone()
    assert row is not None
    return row  # type: ignore[return-value]


def test_officer_lookup_identifies_and_shows_only_granted_flags(linked_web: LinkedWeb) -> None:
    given, family, dob, postcode = _person(linked_web)
    client = linked_web.client(OFFICER)
    form = {
        "csrf_token": form_csrf(client.get("/lookup").text),
        "purpose": "mh_crisis_care",
        "given_name": given,
        "family_name": family,
        "date_of_birth-day": dob,  # a whole date typed into the day box is read too
        "postcode": postcode,
        "as_of": AS_OF,
    }
    page = client.post("/lookup", data=form)
    assert page.status_code == 200
    assert "Identified" in page.text
    assert "held by Westshire Mental Health" in page.text
    assert dob not in page.text.split('id="lookup-result"')[1].split("</div>")[0]
    # without the CSRF token the lookup is refused
    assert client.post("/lookup", data={**form, "csrf_token": "x"}).status_code == 403


def test_lookup_offers_only_the_purposes_the_officers_agreements_cover(
    linked_web: LinkedWeb,
) -> None:
    form = linked_web.client(OFFICER).get("/lookup").text
    options = re.findall(
        r'<option value="(\w*)"', form.split('id="purpose"')[1].split("</select>")[0]
    )
    assert options == ["mh_crisis_care"]


def test_an_empty_or_impossible_lookup_gets_field_errors_and_is_not_recorded(
    linked_web: LinkedWeb,
) -> None:
    client = linked_web.client(OFFICER)
    token = form_csrf(client.get("/lookup").text)
    before = len(_audit(linked_web))
    empty = client.post("/lookup", data={"csrf_token": token, "purpose": "mh_crisis_care"})
    assert empty.status_code == 422
    assert "<title>Error: " in empty.text
    for message in ("Enter a family name", "Enter a date of birth", "Enter a given name"):
        assert empty.text.count(message) == 2, message  # in the summary and at the field
    impossible = client.post(
        "/lookup",
        data={
            "csrf_token": token,
            "purpose": "mh_crisis_care",
            "family_name": "Hughes",
            "given_name": "Bob",
            "date_of_birth-day": "31",
            "date_of_birth-month": "2",
            "date_of_birth-year": "1950",
        },
    )
    assert impossible.status_code == 422
    assert "Date of birth must be a real date" in impossible.text
    assert "(ignored)" not in impossible.text
    assert len(_audit(linked_web)) == before  # neither was a lookup


def test_officer_told_plainly_when_a_purpose_is_refused_or_nobody_matches(
    linked_web: LinkedWeb,
) -> None:
    given, family, dob, postcode = _person(linked_web, "DESC")
    client = linked_web.client(OFFICER)
    form = {
        "csrf_token": form_csrf(client.get("/lookup").text),
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "postcode": postcode,
        "as_of": AS_OF,
    }
    before = len(_audit(linked_web))
    refused = client.post("/lookup", data={**form, "purpose": "safeguarding"})
    assert refused.status_code == 403
    assert "You may not look people up for safeguarding" in refused.text
    assert "Identified" not in refused.text and "No flag" not in refused.text
    assert any(e.outcome == "deny" for e in _audit(linked_web)[before:])
    nobody = client.post(
        "/lookup", data={**form, "purpose": "mh_crisis_care", "family_name": "Zzyzx-Nobody"}
    )
    assert nobody.status_code == 200
    assert "Not identified" in nobody.text and "no one matches" in nobody.text.lower()


def test_crew_gets_the_visit_list_from_the_api(linked_web: LinkedWeb) -> None:
    client = linked_web.client(CREW)
    body = client.get(f"/api/v1/safe-and-well?as_of={AS_OF}&limit=10").json()
    assert len(body["households"]) == 10 and body["households_total"] >= 50
    assert [h["rank"] for h in body["households"]] == list(range(1, 11))
    assert "nhs_number" not in json.dumps(body)
    # without a date, the latest date in the data
    assert client.get("/api/v1/safe-and-well?limit=1").json()["as_of"].startswith("2024-")
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
    looked = [e for e in _audit(linked_web) if e.actor == OFFICER and e.target.startswith("mh_")]
    assert looked and looked[-1].detail.get("provider") == "westshire_mht"
    not_enough = client.post(
        "/api/v1/lookup", json={"purpose": "mh_crisis_care", "family_name": family}
    )
    assert not_enough.json()["identified"] is False
    wrong = client.post("/api/v1/lookup", json={**request, "purpose": "marketing"})
    assert wrong.status_code == 422 and wrong.json()["error"]["kind"] == "InvalidRequest"
