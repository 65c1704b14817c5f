"""Pages work in a real browser: GOV.UK Frontend styles load, sign-in, forms, charts, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sharewell.agreements import EXAMPLES_DIR
from tests.web.conftest import PASSWORD, PEOPLE

pytestmark = pytest.mark.browser


def _sign_in(page: Any, base: str, who: str) -> None:
    page.goto(base + "/sign-in")
    page.fill("#username", PEOPLE[who])
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
        img = page.locator(f"img[data-chart='{chart}']")
        assert img.evaluate("el => el.complete && el.naturalWidth") > 200


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
