"""A refused lookup on the web and the API: 403, and nothing about the person in the answer."""

from __future__ import annotations

from sharewell.store import Workspace
from tests.web.conftest import LinkedWeb, form_csrf

OFFICER = "westshire_police.frontline"


def _someone_known(linked_web: LinkedWeb) -> dict[str, str]:
    with Workspace(linked_web.settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, CAST(date_of_birth AS VARCHAR), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name LIMIT 1"
        ).fetchone()
    assert row is not None
    return dict(zip(("given_name", "family_name", "date_of_birth", "postcode"), row, strict=True))


NOBODY = {
    "given_name": "Zebedee",
    "family_name": "Quillfeather",
    "date_of_birth": "1904-02-29",
    "postcode": "ZZ9 9ZZ",
}


def test_the_api_refuses_a_wrong_purpose_alike_for_anyone(linked_web: LinkedWeb) -> None:
    client = linked_web.client(OFFICER)
    answers = []
    for person in (_someone_known(linked_web), NOBODY):
        answer = client.post(
            "/api/v1/lookup", json={**person, "purpose": "fire_prevention", "as_of": "2024-12-31"}
        )
        assert answer.status_code == 403
        assert answer.json()["error"]["kind"] == "AccessDenied"
        assert "identified" not in answer.text and "person_id" not in answer.text
        answers.append(answer.json()["error"]["message"])
    assert answers[0] == answers[1]
    assert "does not allow westshire_police" in answers[0]


def test_the_lookup_page_refuses_a_wrong_purpose_alike_for_anyone(linked_web: LinkedWeb) -> None:
    client = linked_web.client(OFFICER)
    results = []
    for person in (_someone_known(linked_web), NOBODY):
        form = {
            **person,
            "csrf_token": form_csrf(client.get("/lookup").text),
            "purpose": "fire_prevention",
            "as_of": "2024-12-31",
        }
        page = client.post("/lookup", data=form)
        assert page.status_code == 403
        assert 'id="lookup-result"' not in page.text and "Identified" not in page.text
        # the page may repeat what the officer typed, but nothing the hub holds
        text = page.text
        for value in person.values():
            text = text.replace(value, "")
        results.append(text.replace(form["csrf_token"], ""))
    assert results[0] == results[1]
