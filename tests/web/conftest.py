"""Web fixtures: a seeded demo hub with passwords, signed-in clients, a live server, Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from sharewell.agreements import seed_demo_partnership
from sharewell.config import Settings
from sharewell.demo import build_linked_hub
from sharewell.partnership import hub_engine, list_users
from sharewell.partnership.accounts import set_password
from sharewell.partnership.credentials import hash_password
from sharewell.store import Workspace
from sharewell.store.hub import init_hub
from sharewell.store.tables import users
from sharewell.web import create_app

CHROMIUM = "/usr/bin/chromium"
# The network here is closed: these flags stop Chromium's background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PASSWORD = "correct horse battery staple"
# One person per role, and an IG lead and analyst of an organisation not party to fire-prevention.
PEOPLE = {
    "ig_lead": "westshire_fire.ig_lead",
    "analyst": "westshire_fire.analyst",
    "frontline": "westshire_fire.frontline",
    "executive": "westshire_fire.executive",
    "admin": "hub.admin",
    "other_ig_lead": "westshire_ambulance.ig_lead",
    "other_analyst": "westshire_ambulance.analyst",
}


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # argon2 is slow on purpose (about half a second here): hash once, share it.
    return hash_password(PASSWORD)


def give_passwords(engine: Engine, usernames: list[str]) -> None:
    """Give each of ``usernames`` the test PASSWORD (one argon2 hash, shared)."""
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username.in_(usernames))
            .values(password_hash=_password_hash())
        )


def seed_web_hub(settings: Settings) -> Engine:
    """Create a hub with the demo partnership and a password for each of PEOPLE."""
    init_hub(settings)
    engine = hub_engine(settings)
    seed_demo_partnership(engine, actor="test")
    set_password(engine, PEOPLE["ig_lead"], PASSWORD, actor="test")  # the real path, once
    give_passwords(engine, list(PEOPLE.values()))
    return engine


def build_linked_web_hub(root: Path, settings: Settings | None = None) -> Settings:
    """The demo county (3,000 people), ingested and linked, everyone with the test password."""
    settings, _ = build_linked_hub(root, people=3000, seed=42, settings=settings or Settings())
    engine = hub_engine(settings)
    try:
        give_passwords(engine, [u.username for u in list_users(engine)])
    finally:
        engine.dispose()
    return settings


def someone_in_crisis(
    settings: Settings, dob: str = "CAST(date_of_birth AS VARCHAR)"
) -> tuple[str, str, str, str]:
    """Given name, family name, date of birth (as ``dob`` renders it) and postcode of a
    person with a recent crisis contact: someone a police lookup finds a flag for."""
    with Workspace(settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            f"SELECT given_name, family_name, {dob}, postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name LIMIT 1"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


@dataclass
class LinkedWeb:
    """A linked hub (SQLite, shared by the session's tests) and its web app."""

    settings: Settings
    app: Any

    def client(self, username: str) -> TestClient:
        """A client signed in as ``username`` (a PEOPLE key or a demo username)."""
        return signed_in_client(self.app, PEOPLE.get(username, username))


@pytest.fixture(scope="session")
def linked_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LinkedWeb]:
    """The demo county ingested and linked, for pages that need people in the data."""
    # SQLite always: the browser tests serve this same hub from a `sharewell serve` process.
    root = tmp_path_factory.mktemp("linked-web")
    settings = build_linked_web_hub(root, Settings(hub_dir=root / "hub", database_url=None))
    app = create_app(settings)
    yield LinkedWeb(settings, app)
    if getattr(app.state, "engine", None) is not None:
        app.state.engine.dispose()


@dataclass
class WebHub:
    """A seeded hub, its store, and a way to get a client signed in as anyone."""

    settings: Settings
    engine: Engine
    sign_in: Callable[..., TestClient]


def form_csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in_client(app: object, username: str, base_url: str = "http://testserver") -> TestClient:
    """A client that signed in through the sign-in form, as a browser would."""
    client = TestClient(app, base_url=base_url, follow_redirects=False)  # type: ignore[arg-type]
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": form_csrf(page.text)},
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def web_hub(hub_settings: Settings) -> Iterator[WebHub]:
    """The demo partnership's hub, ready to sign in to (SQLite, or PostgreSQL in make test)."""
    engine = seed_web_hub(hub_settings)
    app = create_app(hub_settings)

    def sign_in(who: str) -> TestClient:
        return signed_in_client(app, PEOPLE.get(who, who))

    try:
        yield WebHub(hub_settings, engine, sign_in)
    finally:
        engine.dispose()
        if getattr(app.state, "engine", None) is not None:
            app.state.engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(hub: Path) -> Iterator[str]:
    """``sharewell serve`` on the hub in ``hub`` (SQLite); yields its base URL."""
    port = _free_port()
    env = {**os.environ, "SHAREWELL_HUB_DIR": str(hub)}
    env.pop("SHAREWELL_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "sharewell.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A worker answers once it has warmed its lookup index: slow on a busy machine.
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()  # so that reading its output ends
                    raise RuntimeError(f"server did not start: {proc.stderr.read()!r}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sharewell serve`` on a seeded demo hub in a temporary directory; yields its base URL."""
    hub = tmp_path_factory.mktemp("live") / "hub"
    seed_web_hub(Settings(hub_dir=hub)).dispose()
    with serving(hub) as base:
        yield base


@dataclass
class LiveHub:
    """A running ``sharewell serve`` and the settings of the hub it serves."""

    url: str
    settings: Settings


@pytest.fixture(scope="module")
def linked_live_server(linked_web: LinkedWeb) -> Iterator[LiveHub]:
    """``sharewell serve`` on the session's linked demo county (built once, SQLite)."""
    with serving(linked_web.settings.hub_dir) as base:
        yield LiveHub(base, linked_web.settings)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Debian Chromium for the whole test module (each test gets a fresh context)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (installs Debian's chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _context_page(browser: Any, **options: Any) -> Iterator[Any]:
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[Any]:
    """A Playwright page in headless Chromium, in a context of its own (no cookies shared)."""
    with _context_page(chromium, accept_downloads=True) as page:
        yield page


@pytest.fixture
def no_script_page(chromium: Any) -> Iterator[Any]:
    """A Playwright page in headless Chromium with JavaScript turned off."""
    with _context_page(chromium, java_script_enabled=False) as page:
        yield page


def browser_sign_in(page: Any, base: str, who: str) -> None:
    """Sign in through the sign-in page as ``who`` (a PEOPLE key or a demo username)."""
    page.goto(base + "/sign-in")
    page.fill("#username", PEOPLE.get(who, who))
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(base + "/")
