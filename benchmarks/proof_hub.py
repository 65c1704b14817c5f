"""A linked demo hub with known passwords, for the load and fault runs (and tests/proof)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
from sqlalchemy import Engine, func, select

from sharewell.config import Settings
from sharewell.ingest.source_types import source_type
from sharewell.ingest.tables import ensure_source_table, refresh_person_records

PASSWORD = "proof run password 2026"
# Who the load signs in as: the fire crew reads its Safe and Well list, the crisis team its
# cohort, and both look people up.
FIRE_CREW = "westshire_fire.frontline"
CRISIS_TEAM = "westshire_mht.frontline"
OFFICER = "westshire_police.frontline"


def build_hub(
    root: Path,
    *,
    people: int = 2_000,
    database_url: str | None = None,
    records: int | None = None,
) -> Settings:
    """Synthesise, ingest and link a county of ``people`` into ``root/hub``; set passwords.

    With ``records``, the person index is then padded (``pad_index``) to about that many
    linked records and the read snapshot published again: a county-sized index to look up in.
    """
    from sharewell.demo import build_linked_hub
    from sharewell.partnership import hub_engine
    from sharewell.partnership.accounts import set_password
    from sharewell.store import Workspace
    from sharewell.store.snapshot import publish_snapshot

    base = Settings(hub_dir=root / "hub", database_url=database_url)
    settings, _summary = build_linked_hub(root, people=people, seed=42, settings=base)
    if records:
        with Workspace(settings.workspace_path()) as ws:
            pad_index(ws.conn, records)
            publish_snapshot(ws.conn)
    engine = hub_engine(settings)
    try:
        for user in (FIRE_CREW, CRISIS_TEAM, OFFICER):
            set_password(engine, user, PASSWORD, actor="proof")
    finally:
        engine.dispose()
    return settings


def pad_index(conn: duckdb.DuckDBPyConnection, records: int) -> int:
    """Grow the workspace's person index to about ``records`` linked records; how many.

    Renamed copies of the real people (family name suffixed): other people with the same
    shape of data, who never match a query for a real one. Records are padded in the
    ``person`` source type, each copy a person of its own.
    """
    real = conn.execute("SELECT count(*) FROM person_index").fetchone()[0]  # type: ignore[index]
    persons = conn.execute("SELECT count(*) FROM person_records").fetchone()[0]  # type: ignore[index]
    copies = max(0, -(-(records - real) // persons))
    person = source_type("person")
    ensure_source_table(conn, person)
    cols = [c for c in person.columns if c != "record_id"]
    run = conn.execute("SELECT max(run_id) FROM person_index").fetchone()[0]  # type: ignore[index]
    for k in range(copies):
        conn.execute(
            f"INSERT INTO {person.table_name} (unique_id, dataset_version, partner, source, "
            f"record_id, {', '.join(cols)}) SELECT 'pad:person:{k}:' || unique_id, 0, 'pad', "
            f"'person', record_id, "
            + ", ".join(f"family_name || 'x{k}'" if c == "family_name" else c for c in cols)
            + " FROM person_records WHERE partner <> 'pad'"
        )
        conn.execute(
            f"INSERT INTO person_index SELECT 'pad:person:{k}:' || unique_id, "
            f"'pad{k}-' || person_id, 'pad' FROM person_index WHERE run_id = ?",
            [run],
        )
    refresh_person_records(conn)
    conn.execute(
        "DELETE FROM person_index WHERE unique_id NOT IN (SELECT unique_id FROM person_records)"
    )
    return int(conn.execute("SELECT count(*) FROM person_index").fetchone()[0])  # type: ignore[index]


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


def start_server(
    settings: Settings, port: int, log: Path, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``sharewell serve`` on loopback in its own process(es), once it answers its health check.

    With ``workers`` > 1 the process is uvicorn's supervisor; it answers once every worker
    has warmed its lookup index (a worker accepts nothing before).
    """
    env = {**os.environ, "SHAREWELL_HUB_DIR": str(settings.hub_dir)}
    env.pop("SHAREWELL_DATABASE_URL", None)
    if settings.database_url:
        env["SHAREWELL_DATABASE_URL"] = settings.database_url
    handle = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sharewell.cli", "serve", "--port", str(port)]
        + (["--workers", str(workers)] if workers > 1 else []),
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    # Generous: on a busy 2-core machine importing the app alone has taken 50 s, and a
    # million records' index takes a while to warm.
    deadline = time.monotonic() + 300
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


def worker_pids(proc: subprocess.Popen[bytes]) -> list[int]:
    """The worker processes of a ``serve --workers N`` supervisor (its spawned children)."""
    try:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    found = []
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except FileNotFoundError:
            continue
    return found


def stop_server(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """Stop the server: gracefully, or by force if it is still working through a backlog."""
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
