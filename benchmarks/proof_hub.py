"""A linked demo hub with known passwords, for the load and fault runs (and tests/proof)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, select

from sharewell.config import Settings

PASSWORD = "proof run password 2026"
# Who the load signs in as: the fire crew reads its Safe and Well list, the crisis team its
# cohort, and both look people up.
FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
OFFICER = "westshire_police.frontline"


def build_hub(root: Path, *, people: int = 2_000, database_url: str | None = None) -> Settings:
    """Synthesise, ingest and link a county of ``people`` into ``root/hub``; set passwords."""
    from sharewell.demo import build_linked_hub
    from sharewell.partnership import hub_engine
    from sharewell.partnership.accounts import set_password

    base = Settings(hub_dir=root / "hub", database_url=database_url)
    settings, _summary = build_linked_hub(root, people=people, seed=42, settings=base)
    engine = hub_engine(settings)
    try:
        for user in (FIRE_CREW, CRISIS_TEAM, OFFICER):
            set_password(engine, user, PASSWORD, actor="proof")
    finally:
        engine.dispose()
    return settings


def audit_count(engine: Engine) -> int:
    """Entries in the audit log."""
    from sharewell.store.tables import audit_log

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def free_port() -> int:
    """A TCP port on loopback nobody is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``sharewell serve`` on loopback in its own process, once it answers its health check."""
    env = {**os.environ, "SHAREWELL_HUB_DIR": str(settings.hub_dir)}
    env.pop("SHAREWELL_DATABASE_URL", None)
    if settings.database_url:
        env["SHAREWELL_DATABASE_URL"] = settings.database_url
    handle = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sharewell.cli", "serve", "--port", str(port)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    # Generous: on a busy 2-core machine importing the app alone has taken 50 s.
    deadline = time.monotonic() + 240
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"sharewell serve did not start; see {log}")
        time.sleep(0.2)


def stop_server(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Stop the server: gracefully, or by force if it is still working through a backlog."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
