"""Views benchmark: flag lookup latency over a large person index, audit entry included."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sharewell.agreements import seed_demo_partnership
from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.ingest import ingest_manifest
from sharewell.ingest.source_types import source_type
from sharewell.ingest.tables import ensure_source_table, refresh_person_records
from sharewell.partnership import hub_engine
from sharewell.store import Workspace, init_hub
from sharewell.synth import SynthConfig, synthesise
from sharewell.views.lookup import lookup

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
        real = conn.execute("SELECT count(*) FROM person_index").fetchone()[0]  # type: ignore[index]
        copies = max(0, -(-(records - real) // real))
        person = source_type("person")
        ensure_source_table(conn, person)
        cols = [c for c in person.columns if c != "record_id"]
        for k in range(copies):
            # renamed copies: other people with the same shape of data, never matching a query
            conn.execute(
                f"INSERT INTO {person.table_name} (unique_id, dataset_version, partner, source, "
                f"record_id, {', '.join(cols)}) SELECT 'pad:person:{k}:' || unique_id, 0, 'pad', "
                f"'person', record_id, "
                + ", ".join(f"family_name || 'x{k}'" if c == "family_name" else c for c in cols)
                + " FROM person_records WHERE partner <> 'pad'"
            )
            conn.execute(
                f"INSERT INTO person_index SELECT 'pad:person:{k}:' || unique_id, "
                f"'pad{k}-' || person_id, 'pad' FROM person_index WHERE run_id = 'truth'"
            )
        refresh_person_records(conn)
        conn.execute(
            "DELETE FROM person_index WHERE unique_id NOT IN (SELECT unique_id FROM person_records)"
        )
    return settings


def bench_flag_lookup(quick: bool = False) -> list[Row]:
    """p50/p99 of a flag lookup (normalise, identify, read flags, audit) on a big index."""
    people, records, lookups = (20_000, 100_000, 100) if quick else (60_000, 1_000_000, 300)
    with tempfile.TemporaryDirectory() as tmp:
        settings = _build(Path(tmp), people, records)
        as_of = SynthConfig().history_end
        engine = hub_engine(settings)
        with Workspace(settings.workspace_path(), read_only=True) as ws:
            size = ws.conn.execute("SELECT count(*) FROM person_index").fetchone()[0]  # type: ignore[index]
            targets = ws.conn.execute(
                "SELECT given_name, family_name, strftime(date_of_birth, '%d/%m/%Y'), postcode "
                "FROM records_mh_trust_crisis_contact WHERE contact_date > ? AND given_name "
                "IS NOT NULL AND date_of_birth IS NOT NULL AND postcode IS NOT NULL LIMIT ?",
                [as_of - timedelta(days=365), lookups],
            ).fetchall()
            # a service builds its candidate index once, at its first lookup: warm it first
            lookup(
                engine,
                ws.conn,
                username=OFFICER,
                purpose="mh_crisis_care",
                details={"family_name": "warm-up"},
                as_of=as_of,
            )
            times, identified = [], 0
            for given, family, dob, postcode in targets:
                details = {
                    "given_name": given,
                    "family_name": family,
                    "date_of_birth": dob,
                    "postcode": postcode,
                }
                t0 = time.perf_counter()
                result = lookup(
                    engine,
                    ws.conn,
                    username=OFFICER,
                    purpose="mh_crisis_care",
                    details=details,
                    as_of=as_of,
                )
                times.append(time.perf_counter() - t0)
                identified += result.identification.identified
            floor = []
            for _ in range(len(targets)):
                t0 = time.perf_counter()
                record(
                    engine, AuditEvent(actor=OFFICER, action="access", target="bench", outcome="ok")
                )
                floor.append(time.perf_counter() - t0)
        engine.dispose()
    times.sort()
    p50, p99 = statistics.median(times), times[int(0.99 * (len(times) - 1))]
    base = statistics.median(floor)
    return [
        {
            "benchmark": "flag lookup p50 / p99 (incl. audit)",
            "size": f"{size:,} records",
            "value": f"{p50 * 1000:.1f} / {p99 * 1000:.1f} ms "
            f"({identified}/{len(times)} identified)",
            "baseline": f"{base * 1000:.1f} ms",
            "baseline_name": "one audit append alone",
            "ratio": p50 / base if base else None,
            "target": "p99 < 25 ms",
        }
    ]
