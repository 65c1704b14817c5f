"""Each role's journey end to end in Debian Chromium, with an accessibility scan at every step.

The fire officer works the visit list down to a household and exports it; the police officer
looks people up (allowed, refused, not found); the trust's IG lead sees who looked at its data
and one person's report; the chief executive gets the savings answer. Every page on the way
is scanned with axe-core: no serious or critical violation. (The analyst's upload journey,
which changes data, runs on a hub of its own: test_upload_journey.py.)
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from sharewell.store import Workspace
from tests.web.axe import serious_violations
from tests.web.conftest import LiveHub, browser_sign_in

pytestmark = pytest.mark.browser

OFFICER = "westshire_police.frontline"
CREW = "westshire_fire.frontline"
MHT_LEAD = "westshire_mht.ig_lead"


class Journey:
    """A signed-in person's walk through the pages, scanning each page it stops on."""

    def __init__(self, page: Any, base: str, who: str) -> None:
        self.page, self.base, self.problems = page, base, []
        browser_sign_in(page, base, who)
        self.check()

    def check(self) -> None:
        """Scan the page as it is now (after any JavaScript has run)."""
        self.page.wait_for_load_state("load")
        self.problems += serious_violations(self.page)

    def click(self, selector: str) -> None:
        """Follow a link or press a button, then scan where it leads."""
        self.page.click(selector)
        self.check()

    def done(self) -> None:
        """The journey ends: fail on anything the scan found on the way."""
        assert not self.problems, "\n".join(self.problems)


def _someone_in_crisis(hub: LiveHub, skip: int = 0) -> tuple[str, str, str, str, str]:
    with Workspace(hub.settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode, "
            "i.person_id FROM records_mh_trust_crisis_contact r "
            "JOIN person_index i USING (unique_id) WHERE contact_date > DATE '2024-06-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            f"ORDER BY family_name, given_name LIMIT 1 OFFSET {skip}"
        ).fetchone()
    assert row is not None
    return row  # type: ignore[return-value]


def _look_up(
    journey: Journey, given: str, family: str, dob: str, postcode: str, forced: str = ""
) -> str:
    page = journey.page
    page.goto(journey.base + "/lookup")
    if forced:  # a purpose the form does not offer, put into it as a forged request would
        page.evaluate(
            "(p) => { const o = document.createElement('option'); o.value = p; o.text = p;"
            " document.querySelector('#purpose').append(o); }",
            forced,
        )
        page.select_option("#purpose", forced)
    for field, value in (("#given_name", given), ("#family_name", family), ("#postcode", postcode)):
        page.fill(field, value)
    day, month, year = dob.split("/")
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.fill(f"#date_of_birth-{part}", value)
    journey.click("button:has-text('Look up')")
    return page.locator("main").inner_text()


def test_fire_officer_works_the_list_down_to_a_household_and_exports_it(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    journey = Journey(browser_page, linked_live_server.url, CREW)
    page = journey.page
    assert page.locator("a:has-text('Crisis cohort')").count() == 0  # not offered
    journey.click("a:has-text('Safe and Well visit list')")
    # Drawn up for the latest date in the data (December 2024), not today.
    assert page.input_value("#as_of-year") == "2024"
    assert "Data as of" in page.locator("[data-data-as-of]").inner_text()
    caption = page.locator("#visit-list caption").inner_text()
    assert caption.startswith("Households 1 to 50 of ")
    journey.click(".govuk-pagination__next a")
    assert page.locator("#visit-list caption").inner_text().startswith("Households 51 to 100")
    first = page.locator("#visit-list tbody tr").first
    address = first.locator("td[data-label='Address'] a").inner_text()
    journey.click("#visit-list tbody tr >> nth=0 >> a")
    assert page.locator("h1").inner_text().lower().startswith(address.split(",")[0].lower())
    assert "Why it is on the list" in page.locator("main").inner_text()
    assert page.locator("#residents tbody tr").count() >= 1
    journey.click(".govuk-back-link")
    assert "page=" not in page.url or "Households" in page.locator("main").inner_text()
    with page.expect_download() as download:
        page.click("a:has-text('Download the whole list as CSV')")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["rank", "address", "postcode"]
    total = int(re.search(r"of ([\d,]+)", caption).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert len(rows) - 1 == total
    journey.click("a:has-text('Printable visit sheet')")
    assert page.locator(".sw-sheet-household").count() == 50
    # Printed, the sheet leaves off the service's header, phase banner and links.
    page.emulate_media(media="print")
    assert not page.locator(".govuk-header").is_visible()
    assert page.locator(".sw-sheet-household").first.is_visible()
    page.emulate_media(media="screen")
    # A page it is not offered says so plainly, and who to ask.
    response = page.goto(linked_live_server.url + "/crisis-cohort")
    assert response is not None and response.status == 403
    journey.check()
    refusal = page.locator("main").inner_text()
    assert "do not let you see the crisis cohort" in refusal
    assert "IG lead, Westshire Fire and Rescue Service" in refusal
    journey.done()


def test_police_officer_looks_up_allowed_refused_and_not_found(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    given, family, dob, postcode, _ = _someone_in_crisis(linked_live_server)
    journey = Journey(browser_page, linked_live_server.url, OFFICER)
    page = journey.page
    journey.click("a:has-text('Flag lookup')")
    # Only the purposes police agreements cover are offered.
    options = page.locator("#purpose option").evaluate_all("els => els.map(e => e.value)")
    assert options == ["mh_crisis_care"]
    # An empty form: field errors, focus on the summary, "Error:" in the title.
    journey.click("button:has-text('Look up')")
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    page.click(".govuk-error-summary a >> nth=0")
    assert page.evaluate("document.activeElement.id") == "family_name"
    # Allowed: identified, and the trust's crisis flag, named by its owner.
    result = _look_up(journey, given, family, dob, postcode)
    assert "Identified" in result and "Westshire Mental Health" in result
    assert "This lookup has been recorded" in result
    # Not found: said plainly, no flags, no guess.
    result = _look_up(journey, "Nobody", "Zzyzx", "01/01/1950", "WS1 1AA")
    assert "Not identified" in result and "No one matches these details" in result
    # Refused: a purpose the agreements do not cover (forced into the form) is refused
    # before anyone is searched for, and the page says so without a word about the person.
    refusal = _look_up(journey, given, family, dob, postcode, forced="safeguarding")
    assert "You may not look people up for safeguarding" in refusal
    assert "Identified" not in refusal and "Westshire Mental Health" not in refusal
    journey.done()


def test_trust_ig_lead_sees_who_looked_and_one_persons_report(
    linked_live_server: LiveHub, browser_page: Any, chromium: Any
) -> None:
    given, family, dob, postcode, person_id = _someone_in_crisis(linked_live_server, skip=5)
    officer = chromium.new_context()
    try:
        _look_up(
            Journey(officer.new_page(), linked_live_server.url, OFFICER),
            given,
            family,
            dob,
            postcode,
        )
    finally:
        officer.close()
    journey = Journey(browser_page, linked_live_server.url, MHT_LEAD)
    page = journey.page
    journey.click("a:has-text('Who looked at our data')")
    newest = page.locator("#who-looked tbody tr").first.inner_text()
    assert OFFICER in newest and "Mental health crisis care" in newest and "allowed" in newest
    page.select_option("#organisation", "westshire_police")
    page.select_option("#outcome", "allow")
    journey.click("button:has-text('Show')")
    rows = page.locator("#who-looked tbody tr")
    assert rows.count() >= 1
    assert all("Westshire Police" in t for t in rows.all_inner_texts())
    with page.expect_download() as download:
        page.click("[data-export]")
    exported = list(csv.DictReader(open(download.value.path(), encoding="utf-8-sig")))  # noqa: SIM115
    assert exported and {r["organisation"] for r in exported} == {"westshire_police"}
    # The person's report, found by what a subject access request gives.
    page.goto(linked_live_server.url + "/")
    journey.click("a:has-text('Person access report')")
    page.fill("#family_name", family)
    page.fill("#given_name", given)
    page.fill("#date_of_birth-day", dob)  # typed whole, as people do
    journey.click("button:has-text('Find the person')")
    journey.click(f"a[href='/audit/person?person_id={person_id}']")
    report = page.locator("main").inner_text()
    assert OFFICER in report and "Westshire Police" in report
    journey.done()


def test_chief_executive_gets_the_savings_answer_and_nothing_person_level(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    journey = Journey(browser_page, linked_live_server.url, "westshire_police.executive")
    page = journey.page
    offered = page.locator("main h2 a").all_inner_texts()
    assert offered == ["Savings scenarios"]
    journey.click("a:has-text('Savings scenarios')")
    page.select_option("#initiative", "safe_haven")
    journey.click("button:has-text('Show the answer')")
    answer = page.locator("[data-answer]").inner_text()
    assert "Westshire Police" in answer
    # An amount never breaks between its minus sign and its digits.
    cell = page.locator(".govuk-table__cell--numeric").first
    assert cell.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    for person_level in ("/safe-and-well", "/lookup", "/audit", "/uploads", "/linkage/review"):
        response = page.goto(linked_live_server.url + person_level)
        assert response is not None and response.status == 403, person_level
    journey.check()
    journey.done()


def test_pages_use_a_free_font_a_phase_banner_and_fit_a_phone(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    page = browser_page
    fonts: list[str] = []
    page.on("request", lambda r: fonts.append(r.url) if "/fonts/" in r.url else None)
    page.set_viewport_size({"width": 375, "height": 800})
    browser_sign_in(page, linked_live_server.url, CREW)
    family = page.locator("h1").evaluate("el => getComputedStyle(el).fontFamily")
    assert "GDS Transport" not in family and "arial" in family.lower()
    assert "Beta" in page.locator(".govuk-phase-banner").inner_text()
    assert "Share information safely" in page.locator(".govuk-service-navigation").inner_text()
    for path in ("/safe-and-well", "/safe-and-well?page=3"):
        page.goto(linked_live_server.url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
    assert fonts == []  # no font file is ever fetched
    # /api/docs draws Swagger UI from the hub's own copy: no request leaves the hub.
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(linked_live_server.url) else None,
    )
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(linked_live_server.url + "/api/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert [u for u in outside if not u.startswith("data:")] == []
