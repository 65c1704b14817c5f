"""The start page (signed out), the home page by role (signed in), and the health check."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sharewell import __version__
from sharewell.agreements import current_agreements
from sharewell.web.allowed import views_allowed
from sharewell.web.deps import SESSION_COOKIE, get_engine, signed_in_user
from sharewell.web.roles import activities_for
from sharewell.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter()
api = APIRouter(prefix="/api/v1", tags=["service"])


@pages.get("/", include_in_schema=False)
def start_page(request: Request) -> Response:
    """Signed out: what the service is for and where to sign in. Signed in: what you can do."""
    # No session cookie, no store needed: the start page works before the hub has any users.
    principal = signed_in_user(request) if request.cookies.get(SESSION_COOKIE) else None
    if principal is None:
        return render(request, "start.html", None)
    views: set[str] = set()
    if principal.may("frontline"):
        views = views_allowed(current_agreements(get_engine(request)), principal, date.today())
    return render(
        request,
        "home.html",
        principal,
        title="Home",
        activities=activities_for(principal, views),
    )


@api.get("/health")
def health() -> dict[str, str]:
    """Liveness check for load balancers and monitoring."""
    return {"status": "ok", "version": __version__}
