"""Sign-in security: CSRF, session fixation, cookie flags, lock-out, audit, inert XSS."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sharewell.agreements import EXAMPLES_DIR, add_agreement, get_agreement, load_agreement
from sharewell.audit import entries
from sharewell.config import Settings
from sharewell.partnership import User, add_user
from sharewell.partnership.accounts import (
    SignInRefused,
    add_api_token,
    session_user,
    set_password,
    sign_in,
    token_organisation,
)
from sharewell.partnership.credentials import LOCKOUT_AFTER, hash_token
from tests.web.conftest import PASSWORD, PEOPLE, WebHub, form_csrf, signed_in_client

XSS = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


def _csrf_of_sign_in(client: TestClient) -> str:
    return form_csrf(client.get("/sign-in").text)


def test_sign_in_without_csrf_token_is_rejected(web_hub: WebHub) -> None:
    client = TestClient(web_hub.sign_in("ig_lead").app, follow_redirects=False)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": PEOPLE["ig_lead"], "password": PASSWORD})
    assert response.status_code == 403
    assert "sharewell_session" not in response.headers.get("set-cookie", "")


def test_form_post_without_or_with_a_foreign_csrf_token_changes_nothing(web_hub: WebHub) -> None:
    lead = web_hub.sign_in("ig_lead")
    other = web_hub.sign_in("ig_lead")  # the same person in another browser: another session
    foreign = form_csrf(other.get("/").text)
    for data in ({"reason": "no token"}, {"reason": "foreign", "csrf_token": foreign}):
        refused = lead.post("/agreements/fire-prevention/suspend", data=data)
        assert refused.status_code == 403
        assert "did not come from this service" in refused.text
    assert "suspended" not in lead.get("/agreements").text
    # With its own token the same form works.
    own = {"reason": "review", "csrf_token": form_csrf(lead.get("/").text)}
    assert lead.post("/agreements/fire-prevention/suspend", data=own).status_code == 303
    assert "suspended" in lead.get("/agreements").text


def test_session_fixation_is_prevented(web_hub: WebHub) -> None:
    app = web_hub.sign_in("ig_lead").app
    client = TestClient(app, follow_redirects=False)
    planted = "attacker-chosen-session-id"
    client.cookies.set("sharewell_session", planted, domain="testserver.local")
    token = _csrf_of_sign_in(client)
    response = client.post(
        "/sign-in",
        data={"username": PEOPLE["analyst"], "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    issued = client.cookies.get("sharewell_session")
    assert issued and issued != planted
    assert session_user(web_hub.engine, planted) is None
    # Signing in again (as someone else) ends the earlier session instead of reusing it.
    token = form_csrf(client.get("/").text)
    client.post("/sign-out", data={"csrf_token": token})
    assert session_user(web_hub.engine, issued) is None
    second = sign_in(web_hub.engine, PEOPLE["ig_lead"], PASSWORD, previous_token=issued)
    assert second.token != issued


def test_session_cookie_is_httponly_lax_and_secure_on_https(web_hub: WebHub) -> None:
    app = web_hub.sign_in("ig_lead").app
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = TestClient(app, base_url=base, follow_redirects=False)
        response = client.post(
            "/sign-in",
            data={
                "username": PEOPLE["analyst"],
                "password": PASSWORD,
                "csrf_token": _csrf_of_sign_in(client),
            },
        )
        cookie = next(
            c for c in response.headers.get_list("set-cookie") if c.startswith("sharewell_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert ("Secure" in cookie) is secure


def test_sessions_are_stored_only_as_hashes(web_hub: WebHub) -> None:
    from sqlalchemy import select

    from sharewell.store.tables import web_sessions

    signed = sign_in(web_hub.engine, PEOPLE["analyst"], PASSWORD)
    with web_hub.engine.connect() as conn:
        stored = set(conn.execute(select(web_sessions.c.token_hash)).scalars())
    assert hash_token(signed.token) in stored and signed.token not in stored


def test_sign_out_ends_the_session_on_the_server(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    token = client.cookies.get("sharewell_session")
    assert token and session_user(web_hub.engine, token) is not None
    response = client.post("/sign-out", data={"csrf_token": form_csrf(client.get("/").text)})
    assert response.status_code == 303
    assert session_user(web_hub.engine, token) is None
    # Replaying the old cookie gets nowhere.
    replay = TestClient(client.app, follow_redirects=False)
    replay.cookies.set("sharewell_session", token, domain="testserver.local")
    assert replay.get("/savings").headers["location"].startswith("/sign-in")


def test_expired_session_is_refused(web_hub: WebHub) -> None:
    signed = sign_in(web_hub.engine, PEOPLE["analyst"], PASSWORD)
    later = datetime.now(UTC) + timedelta(hours=9)
    assert session_user(web_hub.engine, signed.token, now=later) is None


def test_every_sign_in_is_audited_success_and_failure(web_hub: WebHub) -> None:
    before = len(entries(web_hub.engine))
    sign_in(web_hub.engine, PEOPLE["analyst"], PASSWORD)
    with pytest.raises(SignInRefused, match="Enter a correct username and password"):
        sign_in(web_hub.engine, PEOPLE["analyst"], "wrong password!!")
    with pytest.raises(SignInRefused, match="Enter a correct username and password"):
        sign_in(web_hub.engine, "nobody.here", PASSWORD)
    logins = [e for e in entries(web_hub.engine)[before:] if e.action == "login"]
    assert [(e.actor, e.outcome, e.detail.get("reason")) for e in logins] == [
        (PEOPLE["analyst"], "ok", None),
        (PEOPLE["analyst"], "failed", "wrong password"),
        ("nobody.here", "failed", "unknown user"),
    ]
    assert logins[0].organisation == "westshire_fire"


def test_account_locks_after_repeated_wrong_passwords_then_unlocks(web_hub: WebHub) -> None:
    user = PEOPLE["analyst"]
    start = datetime.now(UTC)
    for _ in range(LOCKOUT_AFTER):
        with pytest.raises(SignInRefused, match="correct username"):
            sign_in(web_hub.engine, user, "not the password", now=start)
    with pytest.raises(SignInRefused, match="locked"):
        sign_in(web_hub.engine, user, PASSWORD, now=start + timedelta(minutes=1))
    assert sign_in(web_hub.engine, user, PASSWORD, now=start + timedelta(minutes=16)).token


def test_lock_out_is_shown_on_the_sign_in_page(web_hub: WebHub) -> None:
    client = TestClient(web_hub.sign_in("ig_lead").app, follow_redirects=False)
    for _ in range(LOCKOUT_AFTER + 1):
        page = client.post(
            "/sign-in",
            data={
                "username": PEOPLE["frontline"],
                "password": "guess guess guess",
                "csrf_token": _csrf_of_sign_in(client),
            },
        )
        assert page.status_code == 422
    assert "govuk-error-summary" in page.text and "locked" in page.text


def test_short_passwords_are_refused(web_hub: WebHub) -> None:
    from sharewell.errors import SharewellError

    with pytest.raises(SharewellError, match="at least 12"):
        set_password(web_hub.engine, PEOPLE["analyst"], "short", actor="test")


def test_api_token_is_stored_hashed_and_acts_for_one_organisation(web_hub: WebHub) -> None:
    token = add_api_token(web_hub.engine, "westshire_police", label="records system", actor="t")
    assert token_organisation(web_hub.engine, token) == "westshire_police"
    assert token_organisation(web_hub.engine, token + "x") is None


def test_open_redirect_after_sign_in_is_refused(web_hub: WebHub) -> None:
    client = TestClient(web_hub.sign_in("ig_lead").app, follow_redirects=False)
    response = client.post(
        "/sign-in",
        data={
            "username": PEOPLE["analyst"],
            "password": PASSWORD,
            "next": "//evil.example/phish",
            "csrf_token": _csrf_of_sign_in(client),
        },
    )
    assert response.headers["location"] == "/"


def test_xss_in_display_names_agreement_titles_and_usernames_is_inert(web_hub: WebHub) -> None:
    add_user(
        web_hub.engine,
        User(
            username="westshire_fire.xss",
            display_name=XSS,
            organisation="westshire_fire",
            role="ig_lead",
        ),
        actor="test",
    )
    set_password(web_hub.engine, "westshire_fire.xss", PASSWORD, actor="test")
    agreement = load_agreement(EXAMPLES_DIR / "fire_prevention.yaml")
    add_agreement(
        web_hub.engine, agreement.model_copy(update={"title": XSS, "version": 2}), actor="t"
    )
    # A sign-in attempt whose username is markup lands in the audit log.
    anon = TestClient(web_hub.sign_in("ig_lead").app, follow_redirects=False)
    anon.post(
        "/sign-in",
        data={"username": XSS, "password": "x" * 12, "csrf_token": _csrf_of_sign_in(anon)},
    )
    client = signed_in_client(anon.app, "westshire_fire.xss")
    for url in ("/", "/agreements", "/agreements/fire-prevention", "/audit?action=login"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page, url
        assert "&lt;script&gt;alert" in page, url


def test_pages_cannot_be_framed_sniffed_or_cached(web_hub: WebHub) -> None:
    client = web_hub.sign_in("analyst")
    response = client.get("/savings")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_secret_key_is_generated_once_into_an_owner_only_file(tmp_path: Path) -> None:
    settings = Settings(hub_dir=tmp_path / "hub")
    key = settings.web_secret()
    path = tmp_path / "hub" / "secret_key"
    assert len(key) >= 48 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(hub_dir=tmp_path / "hub").web_secret() == key  # read back, not regenerated
    chosen = Settings(hub_dir=tmp_path / "hub", secret_key="set by the operator")  # type: ignore[arg-type]
    assert chosen.web_secret() == "set by the operator"


def test_migration_0003_downgrades_and_upgrades_cleanly(web_hub: WebHub) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from sharewell.store.operational import _alembic_config, head_revision, migrate

    engine = web_hub.engine
    config = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    names = set(inspect(engine).get_table_names())
    assert "web_sessions" not in names and "api_tokens" not in names and "users" in names
    assert migrate(engine) == head_revision()  # and every later migration with it
    assert {"web_sessions", "web_sign_in_failures", "api_tokens"} <= set(
        inspect(engine).get_table_names()
    )


def test_api_changes_with_a_session_from_another_site_are_refused(web_hub: WebHub) -> None:
    client = web_hub.sign_in("ig_lead")
    body = {"reason": "forged"}
    forged = client.post(
        "/api/v1/agreements/fire-prevention/suspend",
        json=body,
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403 and forged.json()["error"]["kind"] == "AccessDenied"
    assert get_agreement(web_hub.engine, "fire-prevention").agreement.status == "active"
    # Reading is harmless from anywhere; the service's own origin may change things.
    assert client.get("/api/v1/agreements", headers={"Origin": "https://evil.example"}).is_success
    own = client.post(
        "/api/v1/agreements/fire-prevention/suspend",
        json=body,
        headers={"Origin": "http://testserver"},
    )
    assert own.status_code == 200
