"""Jinja templates: ours first, then GOV.UK Frontend's macros under ``govuk_frontend_jinja/``.

The environment is ``sharewell.rendering``'s, which the savings report renders with too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from sharewell.rendering import ENVIRONMENT
from sharewell.web.deps import SIGN_IN_COOKIE, ensure_sign_in_nonce, form_token, set_cookie
from sharewell.web.roles import Principal

__all__ = ["CHART_ASSETS_DIR", "GOVUK_ASSETS_DIR", "STATIC_DIR", "render", "templates"]

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
# Built by `make assets` from the govuk-frontend npm package (see Makefile).
GOVUK_ASSETS_DIR = STATIC_DIR / "govuk" / "assets"
CHART_ASSETS_DIR = STATIC_DIR / "vega"

templates = Jinja2Templates(env=ENVIRONMENT)


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """A page for ``principal`` (None: signed out), with the CSRF token its forms need."""
    if principal is None:
        ensure_sign_in_nonce(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"user": principal, "csrf_token": form_token(request, principal), **context},
        status_code=status_code,
    )
    if principal is None and request.cookies.get(SIGN_IN_COOKIE) != request.state.sign_in_nonce:
        set_cookie(request, response, SIGN_IN_COOKIE, request.state.sign_in_nonce)
    return response
