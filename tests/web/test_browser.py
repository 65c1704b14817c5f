"""Pages work in a real browser: GOV.UK Frontend styles load, sign-in, forms, charts, refusals."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sharewell.agreements import EXAMPLES_DIR
from sharewell.store import Workspace
from tests.web.conftest import PASSWORD, PEOPLE, LiveHub

pytestmark = pytest.mark.browser

AS_OF = "2024-12-31"


def _sign_in(page: Any, base: str, who: str) -> None:
    page.goto(base + "/sign-in")
    page.fill("#username", PEOPLE.get(who, who))
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")


def test_start_page_renders_with_govuk_styles(live_server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(live_server + "/")
    assert page.title() == "Share information safely – sharewell"
    heading = page.locator("h1")
    assert "Share information safely" in heading.inner_text()
    # GOV.UK Frontend's stylesheet really applied: the heading uses its font size (48px at xl).
    size = heading.evaluate("el => getComputedStyle(el).fontSize")
    assert size in {"48px", "32px"}
    # and its JavaScript ran: initAll marks the body as supported.
    assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")


def test_sign_in_shows_the_home_page_and_sign_out_ends_it(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    page.goto(live_server + "/audit")  # not signed in: sent to sign in, then back
    assert "/sign-in?next=" in page.url
    page.fill("#username", PEOPLE["ig_lead"])
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(live_server + "/audit")
    assert page.locator("h1").inner_text() == "Search the audit log"
    page.goto(live_server + "/")
    assert "Hello, IG lead, Westshire Fire and Rescue Service" in page.locator("h1").inner_text()
    assert page.locator("a:has-text('Data sharing agreements')").count() == 1
    page.click("button:has-text('Sign out')")
    page.wait_for_url(live_server + "/sign-in")
    page.goto(live_server + "/agreements")
    assert "/sign-in" in page.url


def test_ig_lead_uploading_an_invalid_agreement_sees_the_error_summary(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    _sign_in(page, live_server, "ig_lead")
    text = (EXAMPLES_DIR / "fire_prevention.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text.replace("version: 1", "version: 2").replace("start: ", "start: x"))
    page.goto(live_server + "/agreements/upload")
    page.set_input_files("#agreement_file", str(broken))
    page.click("button:has-text('Check and upload')")
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "There is a problem" in summary.inner_text()
    assert "start" in summary.inner_text()
    # GOV.UK Frontend's JavaScript moves focus to the summary, as the design system expects.
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    assert page.title().startswith("Error: ")


def test_analyst_runs_a_savings_scenario_and_sees_the_charts(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    _sign_in(page, live_server, "analyst")
    page.goto(live_server + "/savings")
    page.select_option("#initiative", "safe_haven")
    page.click("button:has-text('Show the answer')")
    page.locator("[data-answer]").wait_for()
    page.select_option("#organisation", "westshire_police")
    page.click("button:has-text('Show the answer')")
    answer = page.locator("[data-answer]").inner_text()
    assert answer.startswith("Over 5 years Westshire Police")
    for chart in ("by-organisation", "over-time"):
        # vega-embed drew the Vega-Lite spec as an SVG with marks in it...
        svg = page.locator(f"[data-chart='{chart}'] svg")
        svg.wait_for()
        assert svg.evaluate("el => el.getBoundingClientRect().width") > 200
        assert (
            page.locator(
                f"[data-chart='{chart}'] svg .mark-rect path, "
                f"[data-chart='{chart}'] svg .mark-line path"
            ).count()
            > 0
        )
        # ...and folded away the table of the same figures, which is still there to open.
        table = page.locator(f"#figure-{chart} details[data-chart-table]")
        assert table.get_attribute("open") is None
    figures = page.locator("#figure-by-organisation table").text_content() or ""
    assert "Westshire Police" in figures


def test_analyst_uploads_an_extract_watches_it_load_and_reads_the_quarantine_report(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    _sign_in(page, live_server, "analyst")
    extract = tmp_path / "fire-people.csv"
    extract.write_text(
        "record_id,given_name,family_name,date_of_birth,postcode\n"
        "F1,Ann,Smith,1950-02-03,WS1 1AA\n"
        "F2,Bob,Jones,31/02/1950,WS1 1AB\n"
        ",Cat,Brown,1960-01-01,WS2 2AA\n",
        encoding="utf-8",
    )
    page.goto(live_server + "/")
    page.click("a:has-text('Upload an extract')")
    page.select_option("#source_type", "person")
    page.set_input_files("#extract", str(extract))
    page.click("button:has-text('Upload and check')")
    # The progress page refreshes itself until the load ends, then shows the report.
    page.wait_for_url(re.compile(r".*/uploads/\d+$"), timeout=60_000)
    assert page.locator("h1").inner_text() == "Load of fire-people.csv"
    report = page.locator("#quarantine").inner_text()
    assert "fire-people.csv" in report and "row quarantined" in report
    assert "date_of_birth" in report or "date of birth" in report
    report_url = page.url
    # An analyst of another organisation cannot open the report by its address.
    page.context.clear_cookies()
    _sign_in(page, live_server, "other_analyst")
    response = page.goto(report_url)
    assert response.status == 403
    assert "another organisation" in page.locator("main").inner_text()


def test_crew_member_sees_the_visit_list_with_the_risk_chart(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    page, base = browser_page, linked_live_server.url
    _sign_in(page, base, "frontline")
    page.click("a:has-text('Safe and Well visit list')")
    for box, value in zip(("day", "month", "year"), ("31", "12", "2024"), strict=True):
        page.fill(f"#as_of-{box}", value)
    page.click("button:has-text('Show')")
    rows = page.locator("#visit-list tbody tr")
    rows.first.wait_for()
    assert rows.count() == 50
    assert "shared by" in rows.first.inner_text()
    page.locator("[data-chart='risk-distribution'] svg .mark-rect path").first.wait_for()
    # A crisis team member of another organisation is refused the same address.
    url = page.url
    page.context.clear_cookies()
    _sign_in(page, base, "westshire_mht.frontline")
    assert page.goto(url).status == 403
    assert page.locator("h1").inner_text() == "You cannot see this page"


def test_officer_does_a_flag_lookup_and_sees_the_crisis_flag(
    linked_live_server: LiveHub, browser_page: Any
) -> None:
    with Workspace(linked_live_server.settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name LIMIT 1"
        ).fetchone()
    assert row is not None
    given, family, dob, postcode = row
    page, base = browser_page, linked_live_server.url
    _sign_in(page, base, "westshire_police.frontline")
    page.click("a:has-text('Flag lookup')")
    page.select_option("#purpose", "mh_crisis_care")
    day, month, year = dob.split("/")
    for field, value in zip(
        ("#given_name", "#family_name", "#date_of_birth-day", "#date_of_birth-month"),
        (given, family, day, month),
        strict=True,
    ):
        page.fill(field, value)
    page.fill("#date_of_birth-year", year)
    page.fill("#postcode", postcode)
    page.click("button:has-text('Look up')")
    result = page.locator("#lookup-result")
    result.wait_for()
    text = result.inner_text()
    assert "Identified" in text and "held by Westshire Mental Health" in text
    assert "This lookup has been recorded" in text
    # The lookup was a POST: nothing about the person is in the address to be shared.
    assert family.lower() not in page.url.lower()


def test_people_cannot_reach_pages_of_another_role_or_organisation_by_url(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page
    _sign_in(page, live_server, "frontline")
    for url in ("/agreements", "/audit", "/savings", "/audit/verify"):
        response = page.goto(live_server + url)
        assert response.status == 403, url
        assert page.locator("h1").inner_text() == "You cannot see this page"
    page.context.clear_cookies()
    _sign_in(page, live_server, "other_ig_lead")
    response = page.goto(live_server + "/agreements/fire-prevention")
    assert response.status == 403
    assert "not party to agreement fire-prevention" in page.locator("main").inner_text()


def test_without_javascript_an_upload_still_loads_and_charts_are_tables(
    live_server: str, no_script_page: Any, tmp_path: Path
) -> None:
    page = no_script_page
    _sign_in(page, live_server, "analyst")
    extract = tmp_path / "plain.csv"
    extract.write_text("record_id,given_name\nN1,Ann\n,Bob\n", encoding="utf-8")
    page.goto(live_server + "/uploads")
    page.select_option("#source_type", "person")
    page.set_input_files("#extract", str(extract))
    page.click("button:has-text('Upload and check')")
    # The progress page refreshes itself (a meta refresh inside <noscript>) until the report,
    # or, as this replaces a larger load made earlier, until the confirm step.
    page.wait_for_url(re.compile(r".*/uploads/(\d+|jobs/\w+/confirm)$"), timeout=60_000)
    if page.url.endswith("/confirm"):
        page.check("#decision")
        if page.locator("#checked").count():  # only when the new file is much smaller
            page.check("#checked")
        page.click("button:has-text('Continue')")
        page.wait_for_url(re.compile(r".*/uploads/\d+$"), timeout=60_000)
    assert "row quarantined" in page.locator("#quarantine").inner_text()
    page.goto(live_server + "/savings?initiative=safe_haven&organisation=westshire_police")
    # No chart is drawn, and the figures are there to read, open.
    assert page.locator("[data-chart='by-organisation'] svg").count() == 0
    figures = page.locator("#figure-by-organisation table")
    assert figures.is_visible() and "Westshire Police" in figures.inner_text()
