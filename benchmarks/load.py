"""Load: ``sharewell serve`` under a steady request rate from a separate process on loopback.

The server runs as ``sharewell serve`` (uvicorn) on a linked demo hub, on SQLite or on
PostgreSQL; the load comes from ``benchmarks.load_client`` in another process. Afterwards
the audit log is counted: every request that succeeded must have left its entries (each
kind of request is first sent once alone, to learn how many entries it writes), and the
chain must still verify.

    python -m benchmarks.load [--rate 200] [--seconds 60] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from benchmarks.load_client import MIX, run

__all__ = ["MIX", "access_entries", "fresh_database", "load_run", "someone_known"]
from benchmarks.proof_hub import PASSWORD, build_hub, free_port, start_server, stop_server
from sharewell.audit import verify
from sharewell.config import Settings
from sharewell.partnership import hub_engine
from sharewell.store import Workspace
from sharewell.store.tables import audit_log
from sharewell.synth import SynthConfig

ROOT = Path(__file__).resolve().parent.parent


def access_entries(engine: Engine) -> int:
    """Audit entries recording an access to partners' data (not sign-ins or admin)."""
    with engine.connect() as conn:
        query = select(func.count()).select_from(audit_log).where(audit_log.c.action == "access")
        return int(conn.execute(query).scalar_one())


def someone_known(settings: Settings) -> dict[str, str]:
    """The details of a person in recent crisis, as a worker would type them."""
    as_of = SynthConfig().history_end
    with Workspace(settings.workspace_path(), read_only=True) as ws:
        row = ws.conn.execute(
            "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
            "FROM records_mh_trust_crisis_contact WHERE contact_date > ? AND given_name IS NOT "
            "NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL LIMIT 1",
            [as_of - timedelta(days=365)],
        ).fetchone()
    if row is None:
        raise RuntimeError("the demo hub has no recent crisis contact to look up")
    return dict(zip(("given_name", "family_name", "date_of_birth", "postcode"), row, strict=True))


def load_run(
    settings: Settings,
    *,
    rate: float,
    seconds: float,
    log: Path,
    mix: tuple[str, ...] = MIX,
) -> dict[str, Any]:
    """Serve ``settings``' hub, load it, and account for every success in the audit log."""
    found = someone_known(settings)
    engine = hub_engine(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(settings, port, log)
    try:
        per_kind: dict[str, int] = {}
        for kind in sorted(set(mix)):
            before = access_entries(engine)
            alone = asyncio.run(run(base, 1, 1, PASSWORD, found, mix=(kind,)))
            if alone["succeeded"] != 1:
                raise RuntimeError(f"{kind} failed when sent alone: {alone['outcomes']}")
            per_kind[kind] = access_entries(engine) - before

        before = access_entries(engine)
        client = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.load_client",
                "--base",
                base,
                "--rate",
                str(rate),
                "--seconds",
                str(seconds),
                "--password",
                PASSWORD,
                "--found",
                json.dumps(found),
                "--mix",
                ",".join(mix),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        summary: dict[str, Any] = json.loads(client.stdout.strip().splitlines()[-1])
        written = access_entries(engine) - before
    finally:
        stop_server(server)
    expected = sum(per_kind[k] * n for k, n in summary["successes_by_kind"].items())
    chain = verify(engine)
    engine.dispose()
    summary["audit"] = {
        "entries_per_request": per_kind,
        "expected_for_successes": expected,
        "written": written,
        # Requests the client gave up on may still have been served (and audited) later.
        "every_success_audited": written >= expected,
        "chain_verifies": chain.ok,
        "chain_entries": chain.entries_checked,
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is made on it).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sharewell-load-") as tmp:
        url = None
        if args.postgres:
            url = fresh_database(args.postgres)
        settings = build_hub(Path(tmp), people=args.people, database_url=url)
        result = load_run(settings, rate=args.rate, seconds=args.seconds, log=Path(tmp) / "log")
    print(json.dumps(result, indent=2))


def fresh_database(server_url: str) -> str:
    """A new, empty database on the PostgreSQL server at ``server_url``; its URL."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    server = make_url(server_url)
    name = f"sw_load_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


if __name__ == "__main__":
    main()
