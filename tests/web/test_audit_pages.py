"""The data owner's side of the audit: who looked at our data, and one person's access report."""

from __future__ import annotations

import csv
import io
import re

import pytest

from sharewell.audit import entries
from sharewell.partnership import hub_engine
from sharewell.store import Workspace
from tests.web.conftest import LinkedWeb, form_csrf

AS_OF = "2024-12-31"
OFFICER = "westshire_police.frontline"
CREW = "westshire_fire.frontline"
MHT_LEAD = "westshire_mht.ig_lead"


@pytest.fixture(scope="module")
def looked_up(linked_web: LinkedWeb) -> dict[str, str]:
    """A police officer looked up someone the trust holds; a fire officer was refused."""
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode, "
            "i.person_id FROM records_mh_trust_crisis_contact r "
            "JOIN person_index i USING (unique_id) WHERE contact_date > DATE '2024-06-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name, given_name LIMIT 1 OFFSET 3"
        ).fetchone()
    assert row is not None
    given, family, dob, postcode, person_id = row
    officer = linked_web.client(OFFICER)
    page = officer.post(
        "/lookup",
        data={
            "csrf_token": form_csrf(officer.get("/lookup").text),
            "purpose": "mh_crisis_care",
            "given_name": given,
            "family_name": family,
            "date_of_birth": dob,
            "postcode": postcode,
            "as_of": AS_OF,
        },
    )
    assert "Identified" in page.text
    assert linked_web.client(CREW).get(f"/crisis-cohort?as_of={AS_OF}").status_code == 403
    return {"given": given, "family": family, "dob": dob, "person_id": person_id}


def _rows(html: str) -> list[str]:
    if 'id="who-looked"' not in html:
        return []
    body = html.split('id="who-looked"')[1].split("</table>")[0]
    return re.findall(r'<tr class="govuk-table__row">.*?</tr>', body.split("<tbody")[1], re.S)


def test_the_trust_sees_the_police_lookup_and_the_fire_refusal(
    linked_web: LinkedWeb, looked_up: dict[str, str]
) -> None:
    page = linked_web.client(MHT_LEAD).get("/audit/who-looked")
    assert page.status_code == 200
    rows = _rows(page.text)
    police = [r for r in rows if OFFICER in r]
    assert police, "the police lookup of the trust's flag is shown to the trust"
    assert "Mental health crisis care" in police[0] and "mh-crisis-care v1" in police[0]
    assert "Westshire Police" in police[0] and "allowed" in police[0]
    assert "yes/no flags" in police[0]  # the level, in words
    fire = [r for r in rows if CREW in r]
    assert fire and all("refused" in r for r in fire)
    assert "Westshire Fire and Rescue Service" in fire[0]


def test_filters_narrow_the_reads(linked_web: LinkedWeb, looked_up: dict[str, str]) -> None:
    client = linked_web.client(MHT_LEAD)
    refused = _rows(client.get("/audit/who-looked?outcome=deny").text)
    assert refused and all("refused" in r for r in refused)
    police = _rows(client.get("/audit/who-looked?organisation=westshire_police").text)
    assert police and all("Westshire Police" in r for r in police)
    none = _rows(client.get("/audit/who-looked?organisation=westshire_icb").text)
    assert none == []


def test_another_organisation_does_not_see_the_trusts_readers(
    linked_web: LinkedWeb, looked_up: dict[str, str]
) -> None:
    # The fire service's IG lead sees reads of fire data only: no police lookup of trust flags.
    page = linked_web.client("westshire_fire.ig_lead").get("/audit/who-looked").text
    assert not [r for r in _rows(page) if OFFICER in r and "crisis contacts" in r]
    # ...and cannot ask for another owner's readers (only the hub administrator may).
    forced = linked_web.client("westshire_fire.ig_lead").get(
        "/audit/who-looked?owner=westshire_mht"
    )
    assert "Westshire Fire and Rescue Service's records" in forced.text
    admin = linked_web.client("hub.admin").get("/audit/who-looked?owner=westshire_mht").text
    assert [r for r in _rows(admin) if OFFICER in r]


def test_the_reads_download_as_csv_and_the_download_is_recorded(
    linked_web: LinkedWeb, looked_up: dict[str, str]
) -> None:
    client = linked_web.client(MHT_LEAD)
    page = client.get("/audit/who-looked?organisation=westshire_police").text
    total = int(re.search(r"([\d,]+) reads?", page).group(1).replace(",", ""))  # type: ignore[union-attr]
    response = client.get("/audit/who-looked.csv?organisation=westshire_police")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == total
    assert {r["organisation"] for r in rows} == {"westshire_police"}
    assert rows[0]["data_owner"] == "westshire_mht" and rows[0]["agreement"] == "mh-crisis-care"
    engine = hub_engine(linked_web.settings)
    last = entries(engine)[-1]
    engine.dispose()
    assert (last.actor, last.action, last.detail["rows"]) == (MHT_LEAD, "export", total)


def test_the_ig_lead_finds_the_person_by_name_and_opens_their_report(
    linked_web: LinkedWeb, looked_up: dict[str, str]
) -> None:
    client = linked_web.client(MHT_LEAD)
    token = form_csrf(client.get("/audit/person").text)
    found = client.post(
        "/audit/person",
        data={
            "csrf_token": token,
            "family_name": looked_up["family"],
            "given_name": looked_up["given"],
            "date_of_birth": looked_up["dob"],
        },
    )
    assert found.status_code == 200
    link = f'href="/audit/person?person_id={looked_up["person_id"]}"'
    assert link in found.text
    engine = hub_engine(linked_web.settings)
    searched = [e for e in entries(engine, person_id=looked_up["person_id"]) if e.actor == MHT_LEAD]
    engine.dispose()
    assert searched and searched[-1].target == "person search (subject access)"  # audited
    report = client.get(f"/audit/person?person_id={looked_up['person_id']}").text
    assert OFFICER in report and "Westshire Police" in report
    assert "Mental health crisis care" in report
    assert 'class="govuk-back-link"' in report


def test_the_person_search_needs_enough_detail_and_a_real_date(linked_web: LinkedWeb) -> None:
    client = linked_web.client(MHT_LEAD)
    token = form_csrf(client.get("/audit/person").text)
    empty = client.post("/audit/person", data={"csrf_token": token})
    assert empty.status_code == 422 and "Enter a family name, or an NHS number" in empty.text
    impossible = client.post(
        "/audit/person",
        data={
            "csrf_token": token,
            "family_name": "Hughes",
            "date_of_birth-day": "30",
            "date_of_birth-month": "2",
            "date_of_birth-year": "1961",
        },
    )
    assert impossible.status_code == 422 and "Date of birth must be a real date" in impossible.text
    nobody = client.post(
        "/audit/person",
        data={"csrf_token": token, "family_name": "Zzyzx", "date_of_birth": "1961-04-03"},
    )
    assert nobody.status_code == 200 and "Nobody in" in nobody.text
