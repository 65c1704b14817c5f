"""The analyst's journey in Chromium: an upload that shrinks the data, confirmed and declined.

It changes what is loaded, so it runs on a hub of its own (the module's seeded live server).
Every page on the way is scanned with axe-core.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_journeys import Journey

pytestmark = pytest.mark.browser

REPORT = re.compile(r".*/uploads/\d+$")
CONFIRM = re.compile(r".*/uploads/jobs/\w+/confirm$")


def _visits(path: Path, n: int, year: int) -> Path:
    rows = [f"V{year}{i},Ann{i},Smith,WS1 1AA,{year}-0{1 + i % 9}-1{i % 9},true" for i in range(n)]
    path.write_text(
        "record_id,given_name,family_name,postcode,visit_date,smoker\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


def _upload(journey: Journey, extract: Path, then: re.Pattern[str]) -> None:
    page = journey.page
    page.goto(journey.base + "/uploads")
    page.select_option("#source_type", "fire.safe_and_well_visit")
    page.set_input_files("#extract", str(extract))
    page.click("button:has-text('Upload and check')")
    page.wait_for_url(then, timeout=60_000)
    journey.check()


def test_analyst_confirms_one_shrinking_upload_and_declines_another(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    journey = Journey(browser_page, live_server, "analyst")
    page = journey.page
    _upload(journey, _visits(tmp_path / "visits-2023.csv", 40, 2023), REPORT)
    assert "Every row was accepted" in page.locator("main").inner_text()

    # A much smaller file: both versions side by side, and a warning.
    _upload(journey, _visits(tmp_path / "visits-2024.csv", 5, 2024), CONFIRM)
    compare = page.locator("#compare").inner_text()
    assert "40" in compare and "5" in compare
    assert "10 January 2023 to 18 September 2023" in compare
    assert "10 January 2024 to 14 May 2024" in compare
    assert page.locator("[data-shrink-warning]").is_visible()
    # Replacing needs the box ticked.
    page.check("#decision")
    journey.click("button:has-text('Continue')")
    assert page.title().startswith("Error: ")
    assert "Confirm that you have checked" in page.locator(".govuk-error-summary").inner_text()
    page.check("#decision")
    page.check("#checked")
    page.click("button:has-text('Continue')")
    page.wait_for_url(REPORT, timeout=60_000)
    journey.check()
    assert "visits-2024.csv" in page.locator("h1").inner_text()

    # Smaller again, and this time the analyst keeps the data in use.
    _upload(journey, _visits(tmp_path / "visits-short.csv", 1, 2025), CONFIRM)
    page.check("#decision-2")
    journey.click("button:has-text('Continue')")
    assert "The data in use was kept" in page.locator("h1").inner_text()
    page.goto(live_server + "/uploads")
    loads = page.locator("#loads tbody tr").all_inner_texts()
    assert len(loads) == 2 and "visits-2024.csv" in loads[0]  # newest first; nothing added
    journey.done()
