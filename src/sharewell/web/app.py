"""The FastAPI application: routers, static assets, and sharewell errors mapped to HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from sharewell import __version__
from sharewell.config import Settings, get_settings
from sharewell.errors import (
    AccessDenied,
    NotFound,
    SharewellError,
)
from sharewell.web.routers import home
from sharewell.web.templating import GOVUK_ASSETS_DIR, STATIC_DIR

__all__ = ["HTTP_STATUS", "create_app"]

# The one place sharewell's errors become HTTP statuses (the CLI's exit codes live in cli.py).
HTTP_STATUS: dict[type[SharewellError], int] = {
    AccessDenied: 403,
    NotFound: 404,
    SharewellError: 422,
}


def _status_for(exc: SharewellError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 422


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app for the hub described by ``settings``."""
    app = FastAPI(
        title="sharewell",
        version=__version__,
        description="Lawful, audited information sharing between local public services.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings or get_settings()

    @app.exception_handler(SharewellError)
    async def sharewell_error(_request: Request, exc: SharewellError) -> JSONResponse:
        # Every API error has the same body: a machine-readable kind and a readable message.
        return JSONResponse(
            status_code=_status_for(exc),
            content={"error": {"kind": type(exc).__name__, "message": str(exc)}},
        )

    if not GOVUK_ASSETS_DIR.is_dir():
        raise SharewellError(
            f"GOV.UK Frontend assets are missing from {GOVUK_ASSETS_DIR}; run `make assets`"
        )
    app.mount("/assets", StaticFiles(directory=GOVUK_ASSETS_DIR), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(home.pages)
    app.include_router(home.api)
    return app
