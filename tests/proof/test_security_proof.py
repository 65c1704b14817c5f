"""Injection made inert, secrets kept out of logs, and nothing secret stored in the clear.

Authorisation for every route and role is proved by tests/web/test_authorisation.py (it is
generated from the app's routes); this file covers what a hostile value can do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest
from benchmarks.faults import Hub
from benchmarks.proof_hub import (
    CRISIS_TEAM,
    OFFICER,
    PASSWORD,
    free_port,
    start_server,
    stop_server,
)
from hypothesis import given
from hypothesis import strategies as st

from sharewell.audit import verify
from sharewell.errors import IngestError
from sharewell.ingest import ingest_file, ingest_manifest
from sharewell.ingest.export import FORMULA_TRIGGERS, write_csv
from sharewell.partnership import hub_engine
from sharewell.partnership.accounts import set_password
from sharewell.store import Workspace
from sharewell.views.lookup import lookup
from sharewell.web import create_app
from tests.proof.test_fuzz import _signed_in

SQL = [
    "'; DROP TABLE person_records; --",
    "x' OR '1'='1",
    'Robert"); DELETE FROM audit_log; --',
    "1; ATTACH '/tmp/evil.duckdb' AS evil; --",
    "' UNION SELECT * FROM person_index --",
]
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def _counts(hub: Hub) -> tuple[int, int]:
    with Workspace(hub.settings.workspace_path(), read_only=True) as ws:
        records = ws.conn.execute("SELECT count(*) FROM person_records").fetchone()
        index = ws.conn.execute("SELECT count(*) FROM person_index").fetchone()
    assert records and index
    return records[0], index[0]


def test_sql_typed_into_every_lookup_field_finds_nobody_and_changes_nothing(
    linked_hub: Hub,
) -> None:
    before = _counts(linked_hub)
    engine = hub_engine(linked_hub.settings)
    with Workspace(linked_hub.settings.workspace_path(), read_only=True) as ws:
        for payload in SQL:
            details = {f: payload for f in ("given_name", "family_name", "postcode")}
            details["date_of_birth"] = "01/01/1960"
            result = lookup(
                engine,
                ws.conn,
                username=OFFICER,  # allowed to look up, so the search itself runs
                purpose="mh_crisis_care",
                details=details,
                as_of=date(2025, 12, 31),
            )
            assert not result.identification.identified
            assert result.flags == ()
    assert _counts(linked_hub) == before
    assert verify(engine).ok
    engine.dispose()


def test_sql_in_a_partners_extract_is_stored_as_text(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    rows = [["record_id", "given_name", "family_name", "address"]]
    rows += [[f"R{i}", payload, payload, payload] for i, payload in enumerate(SQL)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with Workspace(tmp_path / "workspace.duckdb") as ws:
        ws.initialise()
        report = ingest_file(
            ws, partner="westshire_cc", path=path, source_type="person", loaded_by="test"
        )
        assert report.rows_accepted == len(SQL)
        stored = ws.conn.execute("SELECT address FROM person_records ORDER BY record_id").fetchall()
        tables = {r[0] for r in ws.conn.execute("SHOW TABLES").fetchall()}
    assert {"person_records", "quarantine", "dataset_versions"} <= tables
    # each hostile value is there, as the text it was (normalised like any address)
    words = ["drop table person records", "or", "delete from audit log", "attach", "union select"]
    for (address,), word in zip(stored, words, strict=True):
        assert word in address.lower(), (address, word)


def test_sql_in_the_person_search_matches_nobody(linked_hub: Hub) -> None:
    engine = hub_engine(linked_hub.settings)
    set_password(engine, "westshire_mht.ig_lead", PASSWORD, actor="test")
    engine.dispose()
    client = _signed_in(create_app(linked_hub.settings), "westshire_mht.ig_lead")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/audit/person").text)
    assert token
    for payload in SQL:
        page = client.get("/audit/person", params={"person_id": payload})
        # the report is for the literal text typed, which no person id is
        assert page.status_code == 404 and "There is no person" in page.text, payload
        assert re.search(r"<tbody[^>]*>\s*<tr", page.text) is None, payload
        found = client.post(
            "/audit/person",
            data={"csrf_token": token[1], "family_name": payload, "nhs_number": payload[:14]},
        )
        # a typed value is a value to match (or refuse as not an NHS number), never SQL
        assert found.status_code in (200, 422), payload
        assert re.search(r"<tbody[^>]*>\s*<tr", found.text) is None, payload


def test_script_typed_into_the_lookup_form_comes_back_as_text(linked_hub: Hub) -> None:
    client = _signed_in(create_app(linked_hub.settings), OFFICER)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lookup").text)
    assert token
    page = client.post(
        "/lookup",
        data={"csrf_token": token[1], "purpose": "mh_crisis_care", "family_name": XSS},
    )
    assert page.status_code == 422  # not enough to look anyone up: field errors, shown safely
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_hostile_upload_file_name_is_only_a_label(linked_hub: Hub, tmp_path: Path) -> None:
    engine = hub_engine(linked_hub.settings)
    set_password(engine, "westshire_mht.ig_lead", PASSWORD, actor="test")
    engine.dispose()
    client = _signed_in(create_app(linked_hub.settings), "westshire_mht.ig_lead")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/agreements/upload").text)
    assert token
    target = tmp_path / "escaped.yaml"
    name = f"../../../../../../{target}<script>x</script>"
    files = {"agreement_file": (name, b"id: [unclosed", "application/x-yaml")}
    page = client.post("/agreements/upload", data={"csrf_token": token[1]}, files=files)
    assert page.status_code == 422
    assert not target.exists()
    assert "<script>x</script>" not in page.text


@pytest.mark.parametrize("name", ["../outside.csv", "/etc/passwd", "sub/../../outside.csv"])
def test_a_manifest_cannot_point_outside_its_directory(tmp_path: Path, name: str) -> None:
    partnership = tmp_path / "partnership"
    partnership.mkdir()
    (tmp_path / "outside.csv").write_text("record_id,given_name\n1,Secret\n", encoding="utf-8")
    manifest = {"extracts": [{"partner": "p", "source_type": "person", "file": name}]}
    (partnership / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with Workspace(tmp_path / "workspace.duckdb") as ws:
        ws.initialise()
        with pytest.raises(IngestError, match="outside"):
            ingest_manifest(ws, partnership, loaded_by="test")
        loaded = "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'records%'"
        assert ws.conn.execute(loaded).fetchone() == (0,)


@given(value=st.text(max_size=30))
def test_no_exported_cell_can_start_a_formula(value: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.csv"
        write_csv(path, ["address"], [[value], [f"={value}"], [f"@{value}"]])
        cells = [r[0] for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))]
    for cell in cells[1:]:
        plain_number = re.fullmatch(r"[+-]?\d+(\.\d+)?", cell.lstrip(" "))
        assert not cell.lstrip(" ").startswith(FORMULA_TRIGGERS) or plain_number, cell


# --- secrets --------------------------------------------------------------------------------

SECRET_KEY = "proof-secret-key-0123456789-abcdefghij"
WRONG_PASSWORD = "wrong password proof 9876"
LOOKED_UP = "Zebedee"


def _every_text_cell(hub: Hub) -> str:
    """Every value of every table of both stores, as one text."""
    out = []
    db = sqlite3.connect(hub.settings.hub_dir / "sharewell.db")
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        out += [repr(row) for row in db.execute(f'SELECT * FROM "{table}"')]
    db.close()
    ws = duckdb.connect(str(hub.settings.workspace_path()), read_only=True)
    for (table,) in ws.execute("SHOW TABLES").fetchall():
        out += [repr(row) for row in ws.execute(f'SELECT * FROM "{table}"').fetchall()]
    ws.close()
    return "\n".join(out)


def test_secrets_never_reach_the_logs_and_are_stored_only_hashed(
    linked_hub: Hub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = subprocess.run(
        [sys.executable, "-m", "sharewell.cli", "token", "add", "--org", "westshire_mht",
         "--hub", str(linked_hub.settings.hub_dir), "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = json.loads(made.stdout)["token"]
    log = tmp_path / "serve.log"
    os.environ["SHAREWELL_SECRET_KEY"] = SECRET_KEY
    try:
        port = free_port()
        server = start_server(linked_hub.settings, port, log)
    finally:
        del os.environ["SHAREWELL_SECRET_KEY"]
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, follow_redirects=False) as client:
            form = client.get("/sign-in").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf
            for password in (WRONG_PASSWORD, PASSWORD):
                client.post(
                    "/sign-in",
                    data={"username": CRISIS_TEAM, "password": password, "csrf_token": csrf[1]},
                )
            session = client.cookies.get("sharewell_session")
            assert session
            lookup_csrf = re.search(
                r'name="csrf_token" value="([^"]+)"', client.get("/lookup").text
            )
            assert lookup_csrf
            looked = client.post(
                "/lookup",
                data={"csrf_token": lookup_csrf[1], "purpose": "mh_crisis_care",
                      "given_name": LOOKED_UP, "family_name": "Quixote",
                      "date_of_birth": "03/04/1961"},
            )  # fmt: skip
            # the crisis team holds no flag grant: refused (and audited) before any search
            assert looked.status_code == 403
        api = httpx.get(f"{base}/api/v1/agreements", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
    finally:
        stop_server(server)
    # the CLI and the web app in this process too, with every logger at DEBUG
    app_client = _signed_in(create_app(linked_hub.settings), CRISIS_TEAM)
    app_client.get("/api/v1/agreements", headers={"Authorization": f"Bearer {token}"})

    # The server's own log, and every log record of this process except the test's own HTTP
    # client (httpx/httpcore log the headers they receive, cookies included, at DEBUG).
    ours = [
        f"{r.name} {r.getMessage()}"
        for r in caplog.records
        if not r.name.startswith(("httpx", "httpcore"))
    ]
    logged = "\n".join([log.read_text(encoding="utf-8"), *ours, made.stderr])
    assert "POST /lookup" in logged  # the server did log its requests
    secrets = [PASSWORD, WRONG_PASSWORD, token, SECRET_KEY, session, LOOKED_UP]
    for secret in secrets:
        assert secret not in logged, f"a secret reached the logs: {secret[:4]}..."

    stored = _every_text_cell(linked_hub)
    for secret in [PASSWORD, WRONG_PASSWORD, token, SECRET_KEY, session]:
        assert secret not in stored, f"a secret is stored in the clear: {secret[:4]}..."
    db = sqlite3.connect(linked_hub.settings.hub_dir / "sharewell.db")
    (password_hash,) = db.execute(
        "SELECT password_hash FROM users WHERE username = ?", [CRISIS_TEAM]
    ).fetchone()
    token_hashes = {r[0] for r in db.execute("SELECT token_hash FROM api_tokens")}
    session_hashes = {r[0] for r in db.execute("SELECT token_hash FROM web_sessions")}
    db.close()
    assert password_hash.startswith("$argon2id$")
    assert hashlib.sha256(token.encode()).hexdigest() in token_hashes or any(
        len(h) == 64 for h in token_hashes
    )
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in token_hashes | session_hashes)
