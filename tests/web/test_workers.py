"""Several server processes over one hub: `serve --workers 2`, a CLI link run while serving,
and an upload's progress and decision seen from another process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sharewell.config import Settings
from sharewell.demo import build_linked_hub
from sharewell.partnership import hub_engine, list_users
from sharewell.store import Workspace
from sharewell.store.snapshot import current_version, snapshots_dir
from tests.web.conftest import PASSWORD, _free_port, give_passwords, signed_in_client
from tests.web.test_uploads import _people, follow_to_report, upload

OFFICER = "westshire_police.frontline"
FIRE_CREW = "westshire_fire.frontline"
ANALYST = "westshire_fire.analyst"
AS_OF = "2025-12-31"
ROOT = Path(__file__).resolve().parents[2]
SERVE = (sys.executable, "-m", "sharewell.cli", "serve")


@contextmanager
def serving(hub: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``sharewell serve --workers N`` on ``hub``; its base URL and the supervisor process."""
    port = _free_port()
    env = {**os.environ}
    env.pop("SHAREWELL_DATABASE_URL", None)
    env.pop("SHAREWELL_HUB_DIR", None)
    proc = subprocess.Popen(
        [*SERVE, "--port", str(port), "--workers", str(workers), "--hub", str(hub)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=2).is_success:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _children(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor started (not multiprocessing's tracker)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [
        int(p) for p in text.split() if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()
    ]


def sign_in(base: str, username: str) -> httpx.Client:
    """A client signed in through the form, as a browser would."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def _someone(settings: Settings) -> dict[str, str]:
    with Workspace(settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > DATE '2024-03-01' "
            "AND given_name IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL "
            "ORDER BY family_name LIMIT 1"
        ).fetchone()
    assert row is not None
    keys = ("given_name", "family_name", "date_of_birth-day", "postcode")
    return dict(zip(keys, row, strict=True))


def _lookup(client: httpx.Client, person: dict[str, str]) -> httpx.Response:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/lookup").text)
    assert token is not None
    data = {"csrf_token": token.group(1), "purpose": "mh_crisis_care", "as_of": AS_OF}
    return client.post("/lookup", data={**data, **person})


@pytest.fixture(scope="module")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A small linked county of its own (these tests relink it), on SQLite."""
    root = tmp_path_factory.mktemp("workers")
    settings, _ = build_linked_hub(
        root, people=800, seed=7, settings=Settings(hub_dir=root / "hub", database_url=None)
    )
    engine = hub_engine(settings)
    give_passwords(engine, [u.username for u in list_users(engine)])
    engine.dispose()
    return settings


def test_two_workers_serve_the_front_line_and_a_cli_link_run_never_blocks_them(
    small_county: Settings,
) -> None:
    hub = small_county.hub_dir
    person = _someone(small_county)
    with serving(hub, workers=2) as (base, proc):
        assert len(_children(proc.pid)) == 2
        officer, crew = sign_in(base, OFFICER), sign_in(base, FIRE_CREW)
        assert "Identified" in _lookup(officer, person).text
        assert crew.get(f"/safe-and-well?as_of={AS_OF}").status_code == 200

        # A CLI link run stops mid-transaction, holding the workspace's write lock.
        ready = hub.parent / "link-ready"
        env = {**os.environ, "SHAREWELL_FAULT_AT": "link.before_commit"}
        env["SHAREWELL_FAULT_READY"] = str(ready)
        env.pop("SHAREWELL_DATABASE_URL", None)
        link = subprocess.Popen(
            [sys.executable, "-m", "sharewell.cli", "link", "--hub", str(hub), "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            while not ready.exists():
                assert link.poll() is None, "the link run ended before its fault point"
                time.sleep(0.1)
            # Every request of every worker is answered from the snapshot meanwhile.
            for _ in range(6):
                page = _lookup(officer, person)
                assert page.status_code == 200 and "Identified" in page.text
                assert crew.get(f"/safe-and-well?as_of={AS_OF}").status_code == 200
            link.send_signal(signal.SIGINT)  # Ctrl-C: the run rolls back
            link.wait(timeout=120)
        finally:
            link.kill()
        before = current_version(snapshots_dir(small_county.workspace_path()))

        # A link run to its end publishes a new version; the workers move to it.
        done = subprocess.run(
            [sys.executable, "-m", "sharewell.cli", "link", "--hub", str(hub), "--json"],
            env={k: v for k, v in os.environ.items() if k != "SHAREWELL_DATABASE_URL"},
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        after = current_version(snapshots_dir(small_county.workspace_path()))
        assert before is not None and after == before + 1
        for _ in range(6):
            assert "Identified" in _lookup(officer, person).text
        assert len(_children(proc.pid)) == 2


def test_an_uploads_progress_and_decision_are_shared_by_every_worker_process(
    small_county: Settings,
) -> None:
    from sharewell.web import create_app

    # This test's process is one worker; `sharewell serve` runs the other two.
    here = signed_in_client(create_app(small_county), ANALYST)
    first = follow_to_report(here, upload(here, _people(30)))
    assert "Load of people.csv" in first
    started = upload(here, _people(3, 100))  # much smaller: waits for a decision
    location = started.headers["location"]  # type: ignore[attr-defined]
    with serving(small_county.hub_dir, workers=2) as (base, _proc):
        there = sign_in(base, ANALYST)
        deadline = time.monotonic() + 120
        while True:  # the preview runs in this process's thread; the servers see its stage
            page = there.get(location, follow_redirects=True)
            if "Check before you replace your data" in page.text:
                break
            assert page.status_code == 200 and time.monotonic() < deadline, page.text[:500]
            time.sleep(0.2)
        assert "data-shrink-warning" in page.text
        # The decision is taken by a server process; the load runs there.
        decided = there.post(
            str(page.url.path),
            data={
                "csrf_token": re.findall(r'name="csrf_token" value="([^"]+)"', page.text)[-1],
                "decision": "replace",
                "checked": "yes",
            },
        )
        assert decided.status_code == 303, decided.text[:500]
        # ...and this process sees how it ended.
        report = follow_to_report(here, decided)
        assert "Load of people.csv" in report
        assert re.search(r"Rows accepted\s*</dt>\s*<dd[^>]*>\s*3\s*<", report)
