"""Faults: kill -9 the server, an ingest or a linkage run at random moments, then check.

After every kill: the operational store opens and its audit chain verifies; the workspace
opens; every dataset version is whole (each current version's records all there, no record
of a version that is not current, one current version per extract); the person index is
one whole linkage run; and the same work run again completes. Trials rotate between the
three processes. An ingest or linkage run is killed at a fault-injection point
(``sharewell.faults``: each step of its transaction, the process says when it is there), so
every kill lands where it is meant to, however busy the machine; ``--random-moments`` kills
them at random moments within their measured run time instead (moments inside DuckDB's own
work that no Python step can name; some runs then finish first). The server is killed while
the traffic runs.

    python -m benchmarks.faults [--trials 50] [--seed 1] [--random-moments]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load import someone_known
from benchmarks.load_client import run as load
from benchmarks.proof_hub import PASSWORD, build_hub, free_port, start_server, stop_server
from sharewell.audit import verify
from sharewell.config import Settings
from sharewell.faults import FAULT_AT, FAULT_READY, FAULT_STEPS
from sharewell.partnership import hub_engine
from sharewell.store import Workspace

KINDS = ("ingest", "link", "serve")


def workspace_problems(settings: Settings) -> list[str]:
    """What is half-present in the workspace (empty when every version and run is whole)."""
    problems: list[str] = []
    # Opened read-write, so DuckDB replays (or discards) whatever the killed writer left.
    with Workspace(settings.workspace_path()) as ws:
        conn = ws.conn
        versions = conn.execute(
            "SELECT id, partner, source_type, status, rows_accepted FROM dataset_versions"
        ).fetchall()
        current: dict[int, int] = {}
        seen: set[tuple[str, str]] = set()
        for vid, partner, stype, status, accepted in versions:
            if status == "current":
                if (partner, stype) in seen:
                    problems.append(f"two current versions of {partner} {stype}")
                seen.add((partner, stype))
                current[vid] = accepted
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_name LIKE "
                "'records\\_%' ESCAPE '\\' AND table_type = 'BASE TABLE'"
            ).fetchall()
        ]
        held: dict[int, int] = {}
        for table in tables:
            for vid, n in conn.execute(
                f"SELECT dataset_version, count(*) FROM {table} GROUP BY 1"
            ).fetchall():
                held[vid] = held.get(vid, 0) + n
        for vid, n in held.items():
            if vid not in current:
                problems.append(f"{n} records of dataset version {vid}, which is not current")
            elif n != current[vid]:
                problems.append(f"dataset version {vid} holds {n} of {current[vid]} records")
        for vid, accepted in current.items():
            if accepted and vid not in held:
                problems.append(f"dataset version {vid} is current but has no records")
        runs = {r[0] for r in conn.execute("SELECT run_id FROM linkage_runs").fetchall()}
        for table in ("person_index", "person_links"):
            in_table = {
                r[0] for r in conn.execute(f"SELECT DISTINCT run_id FROM {table}").fetchall()
            }
            if len(in_table) > 1 or not in_table <= runs:
                problems.append(f"{table} mixes or lacks linkage runs: {sorted(in_table)}")
    return problems


def audit_problems(settings: Settings) -> list[str]:
    """Whether the operational store opens and its audit chain verifies."""
    engine = hub_engine(settings)
    try:
        report = verify(engine)
    finally:
        engine.dispose()
    return [] if report.ok else [f"audit chain: {report.problems[:3]}"]


@dataclass
class Hub:
    """The hub under trial and the commands that work on it."""

    settings: Settings
    extracts: tuple[Path, Path]
    mapping: Path
    partner: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    loads: int = 0

    @property
    def extract(self) -> Path:
        """The extract the next load sends: alternately two versions, so each is a real load."""
        return self.extracts[self.loads % 2]

    def command(self, kind: str) -> list[str]:
        """The CLI command a trial of ``kind`` runs (serve is started separately)."""
        cli = [sys.executable, "-m", "sharewell.cli"]
        hub = ["--hub", str(self.settings.hub_dir)]
        if kind == "ingest":
            return [*cli, "ingest", str(self.extract), "--partner", self.partner,
                    "--mapping", str(self.mapping), *hub]  # fmt: skip
        return [*cli, "link", *hub]


def _biggest_extract(root: Path) -> tuple[Path, Path, str]:
    manifest = json.loads((root / "extracts" / "manifest.json").read_text())
    entry = max(manifest["extracts"], key=lambda e: e["rows"])
    base = root / "extracts"
    return base / entry["file"], base / entry["mapping"], entry["partner"]


def make_hub(root: Path, people: int) -> Hub:
    """A linked demo hub to break, and the biggest of its extracts to reload."""
    settings = build_hub(root, people=people)
    extract, mapping, partner = _biggest_extract(root)
    # A second version of the extract: the same file less its last row, as a partner's
    # next month's extract differs from this month's.
    lines = extract.read_bytes().splitlines(keepends=True)
    shorter = extract.with_name(f"next-{extract.name}")
    shorter.write_bytes(b"".join(lines[:-1]))
    env = {**os.environ, "SHAREWELL_HUB_DIR": str(settings.hub_dir)}
    env.pop("SHAREWELL_DATABASE_URL", None)
    return Hub(settings, (shorter, extract), mapping, partner, root / "faults.log", env)


def _run(hub: Hub, kind: str) -> float:
    """Run ``kind`` to completion; its wall time. Raises if it fails."""
    began = time.perf_counter()
    done = subprocess.run(hub.command(kind), env=hub.env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} re-run failed ({done.returncode}): {done.stderr[-2000:]}")
    if kind == "ingest":
        hub.loads += 1
    return time.perf_counter() - began


def _kill_cli(hub: Hub, kind: str, after: float) -> str:
    process = subprocess.Popen(
        hub.command(kind), env=hub.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return "killed" if process.returncode == -signal.SIGKILL else "finished first"


def steps_of(kind: str) -> list[str]:
    """The fault-injection points a run of ``kind`` passes (``sharewell.faults``)."""
    return [s for s in FAULT_STEPS if s.startswith(f"{kind}.")]


def kill_at_step(hub: Hub, kind: str, step: str) -> str:
    """Run ``kind`` until it reports reaching ``step``, then kill -9 it there."""
    ready = hub.log.with_name("fault-ready")
    ready.unlink(missing_ok=True)
    env = {**hub.env, FAULT_AT: step, FAULT_READY: str(ready)}
    process = subprocess.Popen(
        hub.command(kind), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    while not ready.exists():
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{kind} ended ({process.returncode}) before {step}: {err[-500:]}")
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    if step == "ingest.committed":
        hub.loads += 1  # the load got through: the next one sends the other version
    return "killed" if process.returncode == -signal.SIGKILL else "finished first"


def _kill_server(hub: Hub, after: float) -> str:
    """Serve, send lookups and list views while it runs, kill -9 it mid-stream."""
    port = free_port()
    server = start_server(hub.settings, port, hub.log)
    found = someone_known(hub.settings)

    def traffic() -> None:
        # Collateral: the kill cuts these requests off, whatever stage they are at.
        with contextlib.suppress(httpx.HTTPError, RuntimeError):
            asyncio.run(
                load(f"http://127.0.0.1:{port}", 20, after + 1.0, PASSWORD, found, timeout=2.0)
            )

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    time.sleep(after)
    server.send_signal(signal.SIGKILL)
    server.wait()
    worker.join(timeout=30)
    return "killed"


def _serve_once(hub: Hub) -> None:
    """The re-run of a server trial: it starts again and answers a signed-in page."""
    port = free_port()
    server = start_server(hub.settings, port, hub.log)
    try:
        found = someone_known(hub.settings)
        result = asyncio.run(
            load(f"http://127.0.0.1:{port}", 1, 1, PASSWORD, found, mix=("lookup_found",))
        )
        if result["succeeded"] != 1:
            raise RuntimeError(f"server re-run failed: {result['outcomes']}")
    finally:
        stop_server(server)


def trials(
    hub: Hub,
    n: int,
    seed: int,
    kinds: tuple[str, ...] = KINDS,
    *,
    random_moments: bool = False,
) -> dict[str, Any]:
    """``n`` kill trials rotating over ``kinds`` (ingest, link, serve); a summary.

    Ingest and linkage trials go through their fault-injection points in turn, unless
    ``random_moments``; a server is killed a random while after its traffic starts.
    """
    rng = random.Random(seed)
    # Only random moments need a run's length; a step says for itself when it is reached.
    full = {k: 3.0 if k == "serve" else _run(hub, k) if random_moments else 0.0 for k in kinds}
    outcomes: list[dict[str, Any]] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        after = rng.uniform(0.05, 1.0) * full[kind]
        step = None
        began = time.perf_counter()
        if kind == "serve":
            how = _kill_server(hub, after)
        elif random_moments:
            how = _kill_cli(hub, kind, after)
        else:
            steps = steps_of(kind)
            step = steps[(i // len(kinds)) % len(steps)]
            how = kill_at_step(hub, kind, step)
        problems = audit_problems(hub.settings) + workspace_problems(hub.settings)
        if kind == "serve":
            _serve_once(hub)
        else:
            _run(hub, kind)
        problems += workspace_problems(hub.settings)
        outcomes.append(
            {
                "trial": i,
                "kind": kind,
                "killed_after_s": round(after, 2) if step is None else None,
                "killed_at": step,
                "outcome": how,
                "problems": problems,
                "seconds": round(time.perf_counter() - began, 1),
            }
        )
        if problems:
            break
    return {
        "trials": len(outcomes),
        "killed": sum(o["outcome"] == "killed" for o in outcomes),
        "by_kind": {k: sum(o["kind"] == k for o in outcomes) for k in kinds},
        "full_run_seconds": {k: round(v, 1) for k, v in full.items()},
        "killed_at": [o["killed_at"] for o in outcomes],
        "failures": [o for o in outcomes if o["problems"]],
        "audit_entries": _audit_entries(hub.settings),
    }


def _audit_entries(settings: Settings) -> int:
    engine = hub_engine(settings)
    try:
        return verify(engine).entries_checked
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument(
        "--random-moments",
        action="store_true",
        help="kill ingest and linkage at random moments, not at their fault-injection points",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sharewell-faults-") as tmp:
        hub = make_hub(Path(tmp), args.people)
        summary = trials(hub, args.trials, args.seed, random_moments=args.random_moments)
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
