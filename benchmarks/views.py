"""Views benchmark: flag lookup latency over a large person index, audit entry included."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.proof_hub import pad_index
from sharewell.agreements import derive_flags, seed_demo_partnership
from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.ingest import ingest_manifest
from sharewell.ingest.source_types import source_type
from sharewell.ingest.value_normalisers import normalise_value_python, normalise_value_sql
from sharewell.partnership import hub_engine
from sharewell.store import Workspace, init_hub
from sharewell.synth import SynthConfig, synthesise
from sharewell.views.flag_lookup import identify
from sharewell.views.lookup import candidate_index, lookup, normalise_query

Row = dict[str, Any]
OFFICER = "westshire_police.frontline"


def _build(root: Path, people: int, records: int) -> Settings:
    """A hub whose person index holds ``records`` records: a real synthetic partnership,
    linked by its truth file, padded with renamed copies of its people to reach the size."""
    settings = Settings(hub_dir=root / "hub")
    init_hub(settings)
    engine = hub_engine(settings)
    seed_demo_partnership(engine, actor="bench")
    engine.dispose()
    synthesise(SynthConfig(people=people, seed=5), root / "extracts", console=None)
    with Workspace(settings.workspace_path()) as ws:
        ingest_manifest(ws, root / "extracts", loaded_by="bench")
        conn = ws.conn
        truth = root / "extracts" / "truth" / "records.csv"
        conn.execute(
            "CREATE OR REPLACE TABLE person_index AS SELECT r.unique_id, t.person_id, "
            f"'truth' AS run_id FROM person_records r JOIN read_csv('{truth}', all_varchar=true) t "
            "USING (unique_id)"
        )
        pad_index(conn, records)
    return settings


def _percentiles(times: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def _bare_lookup(
    conn: duckdb.DuckDBPyConnection, details: dict[str, str | None], as_of: date
) -> bool:
    """The same identification and flag derivation with no user, policy or audit: the floor."""
    query, _problems = normalise_query(details)
    index = candidate_index(conn)
    ident = identify(query, index.candidates(query))
    if ident.person_id is None:
        return False
    source = "mh_trust.crisis_contact"
    events = index.records_of(conn, source, ident.person_id)
    derive_flags(source, ["mh_crisis_contact_last_12m"], events, as_of)
    return True


def bench_flag_lookup(quick: bool = False, records: int | None = None) -> list[Row]:
    """p50/p99 of a flag lookup (normalise, identify, read flags, audit) on a big index.

    Measured in the same run against the bare lookup (the same identification and record
    read without user, policy or audit) and one audit append alone; and the query's
    normalisation in Python against ingest's SQL, which the lookup used before.
    """
    people, lookups = (10_000, 100) if quick else (60_000, 300)
    records = records or (100_000 if quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        settings = _build(Path(tmp), people, records)
        as_of = SynthConfig().history_end
        engine = hub_engine(settings)
        with Workspace(settings.workspace_path(), read_only=True) as ws:
            conn = ws.conn
            size = conn.execute("SELECT count(*) FROM person_index").fetchone()[0]  # type: ignore[index]
            targets = conn.execute(
                "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
                "FROM records_mh_trust_crisis_contact WHERE contact_date > ? AND given_name "
                "IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL LIMIT ?",
                [as_of - timedelta(days=365), lookups],
            ).fetchall()
            queries: list[dict[str, str | None]] = [
                {"given_name": g, "family_name": f, "date_of_birth": d, "postcode": p}
                for g, f, d, p in targets
            ]
            # A service builds its candidate index at its first lookup: build it first, and
            # say what it costs.
            rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            lookup(
                engine,
                conn,
                username=OFFICER,
                purpose="mh_crisis_care",
                details=queries[0],
                as_of=as_of,
            )
            build_s = time.perf_counter() - t0
            index_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024

            times, bare, floor, identified = [], [], [], 0
            for details in queries:
                t0 = time.perf_counter()
                result = lookup(
                    engine,
                    conn,
                    username=OFFICER,
                    purpose="mh_crisis_care",
                    details=details,
                    as_of=as_of,
                )
                times.append(time.perf_counter() - t0)
                identified += result.identification.identified
                t0 = time.perf_counter()
                _bare_lookup(conn, details, as_of)
                bare.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                record(
                    engine, AuditEvent(actor=OFFICER, action="access", target="bench", outcome="ok")
                )
                floor.append(time.perf_counter() - t0)

            # normalising the query: the Python rules against ingest's SQL (uncached, both)
            columns = source_type("person").columns
            py_times: list[float] = []
            sql_times: list[float] = []
            for details in queries:
                for timer, normalise in (
                    (py_times, normalise_value_python),
                    (sql_times, normalise_value_sql),
                ):
                    t0 = time.perf_counter()
                    for name, text in details.items():
                        normalise(columns[name], text)
                    timer.append(time.perf_counter() - t0)
        engine.dispose()
    p50, p99 = _percentiles(times)
    bare50, bare99 = _percentiles(bare)
    audit50, audit99 = _percentiles(floor)
    py50, py99 = _percentiles(py_times)
    sql50, sql99 = _percentiles(sql_times)
    load = os.getloadavg()[0]
    return [
        {
            "benchmark": "flag lookup p50 / p99 (incl. policy + audit)",
            "size": f"{size:,} records",
            "value": f"{p50:.1f} / {p99:.1f} ms ({identified}/{len(times)} identified; "
            f"one audit append alone {audit50:.1f} / {audit99:.1f} ms; index built in "
            f"{build_s:.1f} s, +{index_mb:,.0f} MB; load {load:.1f})",
            "baseline": f"{bare50:.2f} / {bare99:.2f} ms",
            "baseline_name": "bare lookup (same identify + flag, no user, policy or audit)",
            "ratio": p99 / bare99 if bare99 else None,
            "target": "p99 < 25 ms",
        },
        {
            "benchmark": "normalise a lookup's 4 fields p50 / p99",
            "size": f"{len(queries)} queries",
            "value": f"{py50:.3f} / {py99:.3f} ms (Python rules)",
            "baseline": f"{sql50:.1f} / {sql99:.1f} ms",
            "baseline_name": "ingest's SQL on DuckDB (the old lookup path)",
            "ratio": py99 / sql99 if sql99 else None,
            "target": "-",
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Flag lookup latency over a large index.")
    parser.add_argument("--quick", action="store_true", help="100,000 records, 100 lookups")
    parser.add_argument("--records", type=int, help="person index size (default 1,000,000)")
    args = parser.parse_args()
    print(json.dumps(bench_flag_lookup(quick=args.quick, records=args.records), indent=2))
