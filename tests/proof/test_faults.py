"""Kill -9 at random moments, a full disk and a missing database: never corruption."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from benchmarks.faults import Hub, audit_problems, steps_of, trials, workspace_problems

from sharewell.config import Settings

# A child that cannot write files beyond ``limit`` bytes (as a full disk), then runs the CLI.
# SIGXFSZ is ignored so a write past the limit fails with EFBIG instead of killing it.
FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from sharewell.cli import main
    sys.exit(main(sys.argv[2:]))
    """
)


def _cli(
    *args: str, limit: int | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", FULL_DISK, str(limit or resource.RLIM_INFINITY), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env or dict(os.environ))


def _whole(hub: Hub) -> None:
    assert audit_problems(hub.settings) == []
    assert workspace_problems(hub.settings) == []


def test_ingest_and_server_killed_at_random_moments_leave_everything_whole(
    linked_hub: Hub,
) -> None:
    # Ingest is killed at each step of its transaction (fault-injection points), the server
    # while its traffic runs: every trial kills, however busy the machine.
    n = 2 * len(steps_of("ingest"))
    summary = trials(linked_hub, n, seed=7, kinds=("ingest", "serve"))
    assert summary["failures"] == [], summary
    assert summary["killed"] == n, summary
    assert {o for o in summary["killed_at"] if o} == set(steps_of("ingest")), summary
    _whole(linked_hub)


@pytest.mark.slow
def test_linkage_killed_at_random_moments_leaves_one_whole_person_index(
    linked_hub: Hub,
) -> None:
    summary = trials(linked_hub, len(steps_of("link")), seed=3, kinds=("link",))
    assert summary["failures"] == [], summary
    assert summary["killed"] == len(steps_of("link")), summary
    _whole(linked_hub)


def test_a_full_disk_during_ingest_is_a_clear_error_and_changes_nothing(linked_hub: Hub) -> None:
    workspace = linked_hub.settings.workspace_path()
    before = workspace_problems(linked_hub.settings)
    limit = workspace.stat().st_size + 64 * 1024
    hub_dir = str(linked_hub.settings.hub_dir)
    args = ["ingest", str(linked_hub.extract), "--partner", linked_hub.partner,
            "--mapping", str(linked_hub.mapping), "--hub", hub_dir]  # fmt: skip
    # a bigger extract than the limit leaves room for: the last one, written twenty times
    big = linked_hub.extract.with_name("big.csv")
    lines = linked_hub.extract.read_text(encoding="utf-8-sig").splitlines()
    big.write_text("\n".join([lines[0], *(lines[1:] * 20)]) + "\n", encoding="utf-8")
    args[1] = str(big)

    full = _cli(*args, limit=limit)
    said = " ".join(full.stderr.split())
    assert full.returncode == 3, said
    assert "Traceback" not in said and "Internal failure" not in said
    assert "rolled back" in said and "disk holding the hub is full" in said
    assert workspace_problems(linked_hub.settings) == before == []
    _whole(linked_hub)
    # with room again, the same load goes through
    again = _cli(*args)
    assert again.returncode == 0, again.stderr
    _whole(linked_hub)


def test_a_full_disk_under_the_operational_store_is_a_clear_error(linked_hub: Hub) -> None:
    done = _cli(
        "org", "add", "full_disk_org", "--name", "Full Disk", "--type", "fire",
        "--hub", str(linked_hub.settings.hub_dir), limit=4096,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and "Internal failure" not in done.stderr
    assert "cannot open the operational store" in " ".join(done.stderr.split())
    _whole(linked_hub)


CLOSED = "postgresql+psycopg://sharewell:hunter2-db-password@127.0.0.1:9/sharewell"


def test_an_unreachable_database_is_a_clear_error_on_the_command_line(tmp_path: Path) -> None:
    env = {**os.environ, "SHAREWELL_DATABASE_URL": CLOSED, "SHAREWELL_HUB_DIR": str(tmp_path)}
    for args in (["audit", "verify"], ["org", "list"], ["init", str(tmp_path / "hub")]):
        done = _cli(*args, env=env)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr and "Internal failure" not in done.stderr, args
        said = " ".join(done.stderr.split())
        assert "127.0.0.1" in said and "refused" in said, (args, said)
        # the password in the URL is never printed
        assert "hunter2" not in done.stderr + done.stdout


def test_an_unreachable_database_is_a_clear_error_in_the_web_app(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from sharewell.web import create_app

    app = create_app(Settings(hub_dir=tmp_path / "hub", database_url=CLOSED))
    client = TestClient(app, raise_server_exceptions=False)
    for url in ("/agreements", "/api/v1/agreements", "/audit"):
        response = client.get(url, follow_redirects=False)
        # 503: the store cannot be reached, a clear page or error body, never a crash (500).
        assert response.status_code == 503, (url, response.text[:300])
        assert "hunter2" not in response.text
    # A front-line page first sends an anonymous visitor to sign in; signing in needs the store.
    assert client.get("/safe-and-well", follow_redirects=False).status_code == 303
    form = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:300]
    signed = client.post(
        "/sign-in",
        data={"username": "westshire_fire.frontline", "password": "x", "csrf_token": token[1]},
        follow_redirects=False,
    )
    assert signed.status_code == 503, signed.text[:300]
    assert "hunter2" not in signed.text
    api = client.get("/api/v1/agreements")
    assert "cannot open the operational store" in api.json()["error"]["message"]
