"""The savings page answers an executive for their own organisation, cash apart from capacity,
with the box page 1 of the savings report shows, and names partners from the hub."""

from __future__ import annotations

import re

from tests.web.conftest import WebHub


def test_an_executive_gets_their_organisations_savings_answer(web_hub: WebHub) -> None:
    client = web_hub.sign_in("executive")  # the fire service's chief executive
    page = client.get("/savings?initiative=information_sharing_hub").text
    assert "the answer for Westshire Fire and Rescue Service" in page
    box = page[page.index('data-organisation="westshire_fire"') :]
    box = box[: box.index("</tbody>")]
    # Its own box: cost, cash NPV, capacity value, chance ahead, break-even and what it pays.
    assert re.search(r"£207,512.*-£207,512", " ".join(box.split()))
    assert "0% / 0%" in box and "no split proposed" in box
    answer = page[page.index("data-answer") :]
    assert "pays £207,512 and gets no cash back" in answer
    # Nothing about any person is on the page.
    assert "person_id" not in page and "P000" not in page


def test_the_api_gives_an_executive_cash_and_capacity_apart(web_hub: WebHub) -> None:
    client = web_hub.sign_in("executive")
    answer = client.get("/api/v1/savings/information_sharing_hub/westshire_fire").json()
    assert answer["cash_npv"] == answer["cashable"] - answer["costs"]
    assert answer["capacity_value"] > 0 and answer["pays_under_proposal"] is None
