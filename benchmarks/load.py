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
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from benchmarks.load_client import MIX, run

__all__ = ["MIX", "access_entries", "fresh_database", "load_run", "someone_known"]
from benchmarks.proof_hub import (
    PASSWORD,
    build_hub,
    free_port,
    start_server,
    stop_server,
    worker_pids,
)
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
    workers: int = 1,
    kill_worker_after: float | None = None,
) -> dict[str, Any]:
    """Serve ``settings``' hub, load it, and account for every success in the audit log.

    The health check is loaded first at the same rate on the same server: the baseline the
    figures are read against. With ``kill_worker_after`` (seconds), one worker process is
    killed with SIGKILL that far into the run (uvicorn's supervisor starts another): the
    successes must still all be in the log, and the chain must verify.
    """
    found = someone_known(settings)
    engine = hub_engine(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(settings, port, log, workers=workers)
    killed: list[int] = []
    try:
        per_kind: dict[str, int] = {}
        for kind in sorted(set(mix)):
            before = access_entries(engine)
            alone = asyncio.run(run(base, 1, 1, PASSWORD, found, mix=(kind,)))
            if alone["succeeded"] != 1:
                raise RuntimeError(f"{kind} failed when sent alone: {alone['outcomes']}")
            per_kind[kind] = access_entries(engine) - before
        health = _client(base, rate, min(seconds, 20.0), found, ("health",))
        before = access_entries(engine)
        client = _client_process(base, rate, seconds, found, mix)
        if kill_worker_after is not None:
            time.sleep(kill_worker_after)
            victims = worker_pids(server)
            if victims:
                os.kill(victims[0], signal.SIGKILL)
                killed.append(victims[0])
        out, _err = client.communicate()
        if client.returncode:
            raise RuntimeError(f"the load client failed: {_err[-2000:]}")
        summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        written = access_entries(engine) - before
    finally:
        stop_server(server)
    expected = sum(per_kind[k] * n for k, n in summary["successes_by_kind"].items())
    chain = verify(engine)
    engine.dispose()
    summary["workers"] = workers
    summary["killed_worker"] = killed[0] if killed else None
    summary["health"] = {k: health[k] for k in ("achieved_rate", "error_rate", "p50_ms", "p99_ms")}
    if health["p99_ms"] and summary["p99_ms"]:
        summary["p99_vs_health"] = round(summary["p99_ms"] / health["p99_ms"], 1)
    summary["load_average"] = os.getloadavg()
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


def _client_process(
    base: str, rate: float, seconds: float, found: dict[str, str], mix: tuple[str, ...]
) -> subprocess.Popen[str]:
    """The load generator in a process of its own (it must not share the server's cores' GIL)."""
    return subprocess.Popen(
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
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _client(
    base: str, rate: float, seconds: float, found: dict[str, str], mix: tuple[str, ...]
) -> dict[str, Any]:
    out, err = _client_process(base, rate, seconds, found, mix).communicate()
    if not out.strip():
        raise RuntimeError(f"the load client failed: {err[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--records", type=int, help="Pad the person index to this many.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--mix", default=",".join(MIX), help="Request kinds, comma-separated.")
    parser.add_argument("--kill-worker-after", type=float, help="SIGKILL a worker after N s.")
    parser.add_argument("--postgres", help="PostgreSQL server URL (a database is made on it).")
    parser.add_argument("--keep", type=Path, help="Build the hub here once, and reuse it.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sharewell-load-") as scratch:
        tmp = args.keep or Path(scratch)
        saved = tmp / "database_url"
        if args.keep and saved.exists():
            url = saved.read_text().strip() or None
            settings = Settings(hub_dir=tmp / "hub", database_url=url)
        else:
            url = fresh_database(args.postgres) if args.postgres else None
            settings = build_hub(tmp, people=args.people, database_url=url, records=args.records)
            saved.write_text(url or "")
        result = load_run(
            settings,
            rate=args.rate,
            seconds=args.seconds,
            log=Path(tmp) / "log",
            mix=tuple(args.mix.split(",")),
            workers=args.workers,
            kill_worker_after=args.kill_worker_after,
        )
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
