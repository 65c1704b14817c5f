"""Sign in and sign out: server-side sessions, CSRF on both forms, every attempt audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sharewell.partnership.accounts import SignInRefused, sign_in, sign_out
from sharewell.web.deps import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CsrfChecked,
    HubEngine,
    set_cookie,
    signed_in_user,
)
from sharewell.web.templating import render

__all__ = ["pages"]

pages = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only paths on this service: "//evil.example" or "https://..." would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@pages.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    """The sign-in form."""
    principal = signed_in_user(request) if request.cookies.get(SESSION_COOKIE) else None
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "sign_in.html", None, title="Sign in", next=_safe_next(next))


@pages.post("/sign-in", dependencies=[CsrfChecked])
def sign_in_submit(
    request: Request,
    engine: HubEngine,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password; on success a brand-new session (no fixation), else the error."""
    errors = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        try:
            signed = sign_in(
                engine, username, password, previous_token=request.cookies.get(SESSION_COOKIE)
            )
        except SignInRefused as exc:
            errors["username"] = str(exc)
        else:
            response = RedirectResponse(_safe_next(next), status_code=303)
            set_cookie(request, response, SESSION_COOKIE, signed.token)
            response.delete_cookie(SIGN_IN_COOKIE, path="/")
            return response
    return render(
        request,
        "sign_in.html",
        None,
        status_code=422,
        title="Sign in",
        next=_safe_next(next),
        username=username,
        errors=errors,
    )


@pages.post("/sign-out", dependencies=[CsrfChecked])
def sign_out_submit(request: Request, engine: HubEngine) -> Response:
    """End the session, server-side and in the browser."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(engine, token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
