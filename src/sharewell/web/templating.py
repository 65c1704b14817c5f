"""Jinja templates: ours first, then GOV.UK Frontend's macros under ``govuk_frontend_jinja/``.

The environment is ``sharewell.rendering``'s, which the savings report renders with too; the
web adds the filters its pages use to show names, not codes.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from sharewell.audit import AuditEntry
from sharewell.errors import SharewellError
from sharewell.rendering import ENVIRONMENT
from sharewell.web.data_access import entry_dataset
from sharewell.web.deps import (
    SIGN_IN_COOKIE,
    ensure_sign_in_nonce,
    form_token,
    get_engine,
    set_cookie,
)
from sharewell.web.names import (
    LEVEL_NAMES,
    long_date,
    organisation_names,
    purpose_name,
    source_name,
)
from sharewell.web.roles import Principal

__all__ = [
    "CHART_ASSETS_DIR",
    "GOVUK_ASSETS_DIR",
    "STATIC_DIR",
    "SWAGGER_ASSETS_DIR",
    "render",
    "templates",
]

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
# Built by `make assets` from the govuk-frontend npm package (see Makefile).
GOVUK_ASSETS_DIR = STATIC_DIR / "govuk" / "assets"
CHART_ASSETS_DIR = STATIC_DIR / "vega"
SWAGGER_ASSETS_DIR = STATIC_DIR / "swagger"


@pass_context
def _organisation_name(context: Context, slug: str | None) -> str:
    """An organisation's name on a page ("Westshire Police"), from the names render() read."""
    if not slug:
        return "–"
    names: dict[str, str] = context.get("org_names") or {}
    return names.get(slug, slug)


@pass_context
def _entry_what(context: Context, entry: AuditEntry) -> str:
    """What an audit entry was about, in words: "Police incidents ... (yes/no flags)"."""
    dataset, provider = entry_dataset(entry)
    if dataset is None:
        return entry.target
    level = entry.detail.get("level")
    words = source_name(dataset)
    if provider:
        words += f" from {_organisation_name(context, provider)}"
    if isinstance(level, str):
        words += f" ({LEVEL_NAMES.get(level, level)})"
    return words


ENVIRONMENT.filters.update(
    entry_what=_entry_what,
    organisation=_organisation_name,
    source=source_name,
    purpose=purpose_name,
    level=lambda level: LEVEL_NAMES.get(level or "", level or "–"),
    long_date=long_date,
)
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
    org_names: dict[str, str] = {}
    if principal is not None:
        # Pages name organisations, not slugs; an unreachable store still gets its error page.
        with suppress(SharewellError, SQLAlchemyError):
            org_names = organisation_names(get_engine(request))
    response = templates.TemplateResponse(
        request,
        name,
        {
            "user": principal,
            "csrf_token": form_token(request, principal),
            "org_names": org_names,
            **context,
        },
        status_code=status_code,
    )
    if principal is None and request.cookies.get(SIGN_IN_COOKIE) != request.state.sign_in_nonce:
        set_cookie(request, response, SIGN_IN_COOKIE, request.state.sign_in_nonce)
    return response
