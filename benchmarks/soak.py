"""``make soak``: the long runs of the proofs, with their figures saved under results/.

1. Load: the front-line mix from a separate process against ``sharewell serve`` for 60 s at
   200 requests/s (and at a rate the machine sustains), on SQLite and on PostgreSQL; error
   rate, p50/p99, and every success accounted for in the audit log. On PostgreSQL also flag
   lookups over a 1M-record person index at 200 requests/s with ``--workers 4``, against the
   health check at the same rate, then again with one worker killed halfway.
2. Faults: 50 kill -9 trials over ingest, linkage and the server (``benchmarks.faults``).
3. Fuzz: the bad-input properties of tests/proof/test_fuzz.py with the long profile.

    python -m benchmarks.soak [--postgres URL] [--trials 50] [--seconds 60] [--rate 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.__main__ import RESULTS_DIR, machine

ROOT = Path(__file__).resolve().parent.parent


LOOKUPS = ("lookup_found", "lookup_unknown")


def _loads(url: str | None, rate: float, seconds: float, steady: float) -> list[dict[str, Any]]:
    """On one store: the mix at a steady rate, lookups alone at 20/s, the mix at ``rate``."""
    from benchmarks.load import MIX, fresh_database, load_run
    from benchmarks.proof_hub import build_hub

    runs = [("mix", MIX, steady), ("lookups", LOOKUPS, 20.0), ("mix", MIX, rate)]
    with tempfile.TemporaryDirectory(prefix="sharewell-soak-load-") as tmp:
        database = fresh_database(url) if url else None
        settings = build_hub(Path(tmp), people=5_000, database_url=database)
        out = []
        for name, mix, r in runs:
            result = load_run(settings, rate=r, seconds=seconds, log=Path(tmp) / "log", mix=mix)
            result["store"] = "postgresql" if url else "sqlite"
            result["requests"] = name
            out.append(result)
            keys = ("store", "requests", "offered_rate", "error_rate", "p50_ms", "p99_ms",
                    "achieved_rate", "outcomes")  # fmt: skip
            print(json.dumps({k: result[k] for k in keys}), flush=True)
    return out


def _county_lookups(url: str, rate: float, seconds: float, workers: int) -> list[dict[str, Any]]:
    """Flag lookups over a 1M-record index, ``workers`` processes, PostgreSQL: then the same
    with one worker killed (SIGKILL) halfway through."""
    from benchmarks.load import fresh_database, load_run
    from benchmarks.proof_hub import build_hub

    out = []
    with tempfile.TemporaryDirectory(prefix="sharewell-soak-county-") as tmp:
        settings = build_hub(
            Path(tmp), people=5_000, database_url=fresh_database(url), records=1_000_000
        )
        for kill in (None, seconds / 2):
            result = load_run(
                settings,
                rate=rate,
                seconds=seconds,
                log=Path(tmp) / "log",
                mix=LOOKUPS,
                workers=workers,
                kill_worker_after=kill,
            )
            result["store"] = "postgresql"
            result["requests"] = "lookups, 1M-record index" + (", a worker killed" if kill else "")
            out.append(result)
            keys = ("store", "requests", "workers", "offered_rate", "error_rate", "p50_ms",
                    "p99_ms", "health", "p99_vs_health", "load_average", "audit")  # fmt: skip
            print(json.dumps({k: result.get(k) for k in keys}), flush=True)
    return out


def _faults(trials: int) -> dict[str, Any]:
    from benchmarks.faults import make_hub
    from benchmarks.faults import trials as run_trials

    with tempfile.TemporaryDirectory(prefix="sharewell-soak-faults-") as tmp:
        return run_trials(make_hub(Path(tmp), 5_000), trials, seed=int(time.time()))


def _fuzz() -> dict[str, Any]:
    began = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/proof/test_fuzz.py",
        ],
        cwd=ROOT,
        env={**os.environ, "SHAREWELL_FUZZ": "soak"},
        capture_output=True,
        text=True,
    )
    return {
        "passed": done.returncode == 0,
        "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "",
        "seconds": round(time.perf_counter() - began),
        "failures": done.stdout[-4000:] if done.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("SHAREWELL_SOAK_DATABASE_URL"))
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--steady-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=4, help="For the county lookups.")
    parser.add_argument("--skip", action="append", default=[], choices=("load", "faults", "fuzz"))
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": machine(), "started": datetime.now(UTC).isoformat()}
    if "load" not in args.skip:
        report["load"] = _loads(None, args.rate, args.seconds, args.steady_rate)
        if args.postgres:
            report["load"] += _loads(args.postgres, args.rate, args.seconds, args.steady_rate)
            report["load"] += _county_lookups(args.postgres, args.rate, args.seconds, args.workers)
    if "faults" not in args.skip:
        report["faults"] = _faults(args.trials)
        print(
            json.dumps({k: v for k, v in report["faults"].items() if k != "failures"}), flush=True
        )
    if "fuzz" not in args.skip:
        report["fuzz"] = _fuzz()
        print(json.dumps(report["fuzz"]), flush=True)
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"soak-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"Saved {out}")
    ok = (
        all(r["audit"]["every_success_audited"] and r["audit"]["chain_verifies"]
            for r in report.get("load", []))
        and not report.get("faults", {}).get("failures")
        and report.get("fuzz", {}).get("passed", True)
    )  # fmt: skip
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
