"""The app serves GOV.UK-styled pages, a versioned API and its OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from sharewell import __version__
from sharewell.config import Settings
from sharewell.web import create_app


def test_start_page_uses_the_govuk_template(hub_settings: Settings) -> None:
    client = TestClient(create_app(hub_settings))
    page = client.get("/")
    assert page.status_code == 200
    assert 'class="govuk-template' in page.text
    assert "/static/govuk/govuk-frontend.min.css" in page.text
    assert client.get("/static/govuk/govuk-frontend.min.css").status_code == 200
    assert client.get("/assets/images/favicon.svg").status_code == 200


def test_api_is_versioned_and_documented(hub_settings: Settings) -> None:
    client = TestClient(create_app(hub_settings))
    assert client.get("/api/v1/health").json() == {"status": "ok", "version": __version__}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/health" in spec["paths"]
