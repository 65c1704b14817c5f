"""Pages work in a real browser: GOV.UK Frontend styles load and the JavaScript initialises."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


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
