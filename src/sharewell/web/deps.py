"""Request dependencies: the hub's store, who is calling, what their role allows, CSRF.

Routes declare what they need with ``Annotated`` aliases, e.g. ``user: CurrentUser`` or
``caller: Annotated[Principal, Depends(page_permission("savings"))]``; nothing else reads
cookies or tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from sharewell.config import Settings
from sharewell.errors import AccessDenied
from sharewell.partnership import User, hub_engine
from sharewell.partnership.accounts import SESSION_LIFETIME, session_user, token_organisation
from sharewell.partnership.credentials import new_token
from sharewell.web.roles import Permission, Principal
from sharewell.web.security import csrf_token, csrf_valid

__all__ = [
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "ApiAsOf",
    "ApiCaller",
    "CsrfChecked",
    "CurrentUser",
    "HubEngine",
    "HubSettings",
    "SignInRequired",
    "api_permission",
    "check_csrf",
    "ensure_sign_in_nonce",
    "form_token",
    "page_permission",
    "set_cookie",
]

# An API view's date: as on this day, or (None) the latest date in the data it draws on.
ApiAsOf = Annotated[
    date | None,
    Query(description="Draw the view up as on this date (default: the latest date in the data)"),
]

SESSION_COOKIE = "sharewell_session"
# Set before sign-in, only so the sign-in form itself carries a CSRF token (login CSRF).
SIGN_IN_COOKIE = "sharewell_sign_in"


class SignInRequired(Exception):
    """No valid session or token: pages redirect to sign-in, the API answers 401."""


def get_settings_dep(request: Request) -> Settings:
    """The hub's settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """The hub's operational store, opened on first use and kept for the app's life."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    if engine is None:
        engine = hub_engine(request.app.state.settings)
        request.app.state.engine = engine
    return engine


HubSettings = Annotated[Settings, Depends(get_settings_dep)]
HubEngine = Annotated[Engine, Depends(get_engine)]


def _principal(user: User, token: str | None) -> Principal:
    return Principal(
        name=user.username,
        display_name=user.display_name,
        organisation=user.organisation,
        role=user.role,
        session_token=token,
    )


def signed_in_user(request: Request) -> Principal | None:
    """The signed-in person, or None (no cookie, unknown, expired or inactive session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = session_user(get_engine(request), token)
    return _principal(user, token) if user is not None else None


def current_user(request: Request) -> Principal:
    """The signed-in person; SignInRequired otherwise."""
    principal = signed_in_user(request)
    if principal is None:
        raise SignInRequired
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, description="An organisation's API token.")


def api_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """An organisation's API token (Authorization: Bearer), else a signed-in person."""
    if credentials is not None:
        organisation = token_organisation(get_engine(request), credentials.credentials)
        if organisation is None:
            raise SignInRequired
        return Principal(
            name=f"api:{organisation}",
            display_name=f"API token of {organisation}",
            organisation=organisation,
            role="system",
        )
    principal = current_user(request)
    # A session cookie rides along with any request the browser makes; a change through the
    # API must come from this service's own pages (browsers always send Origin on a POST).
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if request.method not in SAFE_METHODS and origin is not None and origin != own:
        raise AccessDenied(
            "a signed-in session may change things through the API only from this service's "
            "own pages; other systems call it with an API token"
        )
    return principal


ApiCaller = Annotated[Principal, Depends(api_caller)]


def _refuse(principal: Principal, permission: Permission) -> None:
    if not principal.may(permission):
        raise AccessDenied(
            f"This page is not part of your role ({principal.role_title}) in sharewell. If your "
            "work needs it, ask your hub administrator."
        )


def page_permission(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the signed-in person, if their role grants ``permission``."""

    def dependency(request: Request) -> Principal:
        principal = current_user(request)
        _refuse(principal, permission)
        return principal

    return dependency


def api_permission(permission: Permission) -> Callable[..., Principal]:
    """A dependency: the API caller (token or session), if their role grants ``permission``."""

    def dependency(caller: ApiCaller) -> Principal:
        _refuse(caller, permission)
        return caller

    return dependency


def form_token(request: Request, principal: Principal | None) -> str:
    """The CSRF token to put in a form: tied to the session, or to the sign-in cookie."""
    secret = request.app.state.settings.web_secret()
    if principal is not None and principal.session_token:
        return csrf_token(principal.session_token, secret)
    return csrf_token(request.state.sign_in_nonce, secret)


async def check_csrf(request: Request) -> None:
    """Refuse a form post whose csrf_token does not belong to this session (or sign-in)."""
    form = await request.form()  # Starlette caches it, so the route can still read the form
    submitted = form.get("csrf_token")
    secret = request.app.state.settings.web_secret()
    bound_to = request.cookies.get(SESSION_COOKIE) or ""
    if request.url.path == "/sign-in":
        bound_to = request.cookies.get(SIGN_IN_COOKIE) or ""
    token = submitted if isinstance(submitted, str) else None
    if not bound_to or not csrf_valid(bound_to, secret, token):
        raise AccessDenied(
            "the form has expired or did not come from this service: go back, reload the "
            "page and try again"
        )


CsrfChecked = Depends(check_csrf)


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """Set a cookie the way every sharewell cookie is set: HttpOnly, Lax, Secure on https."""
    response.set_cookie(
        name,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def ensure_sign_in_nonce(request: Request) -> str:
    """The visitor's sign-in nonce (from the cookie, or new): the sign-in form's CSRF anchor."""
    nonce = request.cookies.get(SIGN_IN_COOKIE) or new_token()
    request.state.sign_in_nonce = nonce
    return nonce
