"""The start page and the service's health endpoint."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sharewell import __version__
from sharewell.web.templating import templates

__all__ = ["api", "pages"]

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["service"])


@pages.get("/", response_class=HTMLResponse, include_in_schema=False)
def start_page(request: Request) -> HTMLResponse:
    """The start page: what the service is for and where to begin."""
    return templates.TemplateResponse(request, "start.html", {})


@api.get("/health")
def health() -> dict[str, str]:
    """Liveness check for load balancers and monitoring."""
    return {"status": "ok", "version": __version__}
