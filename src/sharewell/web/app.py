"""The FastAPI application: routers, static assets, and sharewell errors mapped to HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from sharewell import __version__
from sharewell.config import Settings, get_settings
from sharewell.errors import (
    AccessDenied,
    NotFound,
    SharewellError,
    StoreUnavailable,
)
from sharewell.web.deps import SESSION_COOKIE, SignInRequired, get_engine, signed_in_user
from sharewell.web.refusals import refusal_page
from sharewell.web.routers import (
    agreements,
    audit,
    auth,
    crisis,
    home,
    linkage,
    lookup,
    safe_and_well,
    savings,
    uploads,
)
from sharewell.web.templating import (
    CHART_ASSETS_DIR,
    GOVUK_ASSETS_DIR,
    STATIC_DIR,
    SWAGGER_ASSETS_DIR,
    render,
)
from sharewell.web.workspace import warm_snapshot

__all__ = ["HTTP_STATUS", "SECURITY_HEADERS", "create_app"]

# The one place sharewell's errors become HTTP statuses (the CLI's exit codes live in cli.py).
HTTP_STATUS: dict[type[SharewellError], int] = {
    AccessDenied: 403,
    NotFound: 404,
    # The database is down or refusing: the request may succeed later, so not the caller's fault.
    StoreUnavailable: 503,
    SharewellError: 422,
}

# Sent with every response: no framing (clickjacking), no MIME sniffing, no referrer leaking
# query strings (a person id in a search) to other sites, forms post only back to the hub.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_TITLES = {
    401: "You need to sign in",
    403: "You cannot see this page",
    404: "Page not found",
    405: "This page cannot be used that way",
    422: "There is a problem",
    503: "Sorry, the service is unavailable",
}


def _status_for(exc: SharewellError) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 422


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, kind: str, message: str) -> Response:
    # Every API error has the same body: a machine-readable kind and a readable message.
    if _is_api(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            status_code=status,
            content={"error": {"kind": kind, "message": message}},
            headers=headers,
        )
    principal = None
    # If the store itself is the problem, show the error without the user's name.
    with suppress(SharewellError):
        principal = signed_in_user(request)
    if status == 403 and principal is not None:
        return refusal_page(request, get_engine(request), principal, explanation=message)
    return render(
        request,
        "error.html",
        principal,
        status_code=status,
        title=_TITLES.get(status, "Sorry, there is a problem with the service"),
        message=message,
    )


class LoadShedding:
    """Answer 503 at once past ``limit`` requests in flight, rather than queue to time-outs."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/api/v1/health":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            # One event loop: the counter needs no lock. Shed requests do no work, so they
            # read nothing and leave no audit entry.
            response = JSONResponse(
                status_code=503,
                content={
                    "error": {
                        "kind": "Overloaded",
                        "message": "the service is busy; try again in a moment",
                    }
                },
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Warm before serving: a worker that is still building its lookup index accepts nothing.
    await run_in_threadpool(warm_snapshot, app.state.settings)
    yield
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app for the hub described by ``settings``."""
    app = FastAPI(
        lifespan=_lifespan,
        title="sharewell",
        version=__version__,
        description=(
            "Lawful, audited information sharing between local public services. Calls to "
            "/api/v1 carry an organisation's API token (`Authorization: Bearer ...`, made with "
            "`sharewell token add`) or a signed-in session."
        ),
        openapi_url="/openapi.json",
        docs_url=None,  # served below from the hub's own copy of Swagger UI, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings or get_settings()
    app.add_middleware(LoadShedding, limit=app.state.settings.max_in_flight)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.cookies.get(SESSION_COOKIE) and not request.url.path.startswith(
            ("/static/", "/assets/")
        ):
            # Pages for a signed-in person are not kept by the browser or shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SharewellError)
    async def sharewell_error(request: Request, exc: SharewellError) -> Response:
        return _error(request, _status_for(exc), type(exc).__name__, str(exc))

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, _exc: SignInRequired) -> Response:
        if _is_api(request):
            return _error(
                request,
                401,
                "SignInRequired",
                "send an organisation's API token as `Authorization: Bearer <token>`",
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return _error(request, exc.status_code, kind, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return _error(request, 422, "InvalidRequest", problems)

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """The API's description, browsable (Swagger UI from npm, served by the hub itself)."""
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="sharewell API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="data:,",  # no icon fetched from anywhere
            oauth2_redirect_url=None,
        )
        # FastAPI's page leaves out the language, which screen readers need to pronounce it.
        body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
        return HTMLResponse(body)

    for assets in (GOVUK_ASSETS_DIR, CHART_ASSETS_DIR, SWAGGER_ASSETS_DIR):
        if not assets.is_dir():
            raise SharewellError(
                f"front-end assets (GOV.UK Frontend, Vega, Swagger UI) are missing from "
                f"{assets}; run `make assets`"
            )
    app.mount("/assets", StaticFiles(directory=GOVUK_ASSETS_DIR), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.pages)
    for module in (
        home,
        agreements,
        audit,
        uploads,
        linkage,
        savings,
        safe_and_well,
        crisis,
        lookup,
    ):
        app.include_router(module.pages)
        app.include_router(module.api)
    return app
