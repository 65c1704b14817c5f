"""Governance benchmarks: policy decisions per second, audit appends and verification."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, Table, insert, select

from sharewell.agreements import EXAMPLES_DIR, AccessRequest, decide, load_agreement
from sharewell.audit import AuditEvent, record, verify
from sharewell.config import Settings
from sharewell.store import init_hub, operational_engine
from sharewell.store.tables import audit_log

Row = dict[str, Any]


def _requests(n: int) -> list[AccessRequest]:
    shapes = [
        (
            "westshire_fire",
            "frontline",
            "fire_prevention",
            "police.mh_incident",
            ("mh_crisis_contact_last_12m",),
            "flag_only",
        ),
        (
            "westshire_fire",
            "frontline",
            "fire_prevention",
            "mh_trust.crisis_contact",
            ("diagnosis",),
            "identifiable",
        ),
        (
            "westshire_mht",
            "analyst",
            "mh_crisis_care",
            "ambulance.mh_callout",
            ("callout_date", "outcome"),
            "identifiable",
        ),
        (
            "westshire_cc",
            "analyst",
            "service_evaluation",
            "fire.incident",
            ("incident_type",),
            "aggregate_only",
        ),
    ]
    return [AccessRequest(f"u{i}", *shapes[i % len(shapes)]) for i in range(n)]  # type: ignore[arg-type]


def bench_governance(quick: bool = False) -> list[Row]:
    """Policy decisions/s over the demo agreements; chained audit appends/s vs plain inserts."""
    rows: list[Row] = []
    agreements = [load_agreement(p) for p in sorted(EXAMPLES_DIR.glob("*.yaml"))]
    n = 2_000 if quick else 20_000
    requests = _requests(n)
    now = datetime(2026, 11, 25)
    start = time.perf_counter()
    for r in requests:
        decide(r, agreements, now)
    per_s = n / (time.perf_counter() - start)
    rows.append(
        {
            "benchmark": "policy decisions",
            "size": n,
            "value": f"{per_s:,.0f}/s",
            "baseline": "-",
            "baseline_name": "-",
            "ratio": None,
            "target": ">= 10,000/s",
        }
    )

    appends = 200 if quick else 2_000
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(hub_dir=Path(tmp) / "hub")
        init_hub(settings)
        engine = operational_engine(settings.operational_url(), settings.audit_key_path())
        event = AuditEvent(
            actor="bench",
            action="access",
            target="police.mh_incident at flag_only",
            outcome="allow",
            organisation="westshire_fire",
            persons=("p1", "p2"),
        )
        start = time.perf_counter()
        for _ in range(appends):
            record(engine, event)
        chained = appends / (time.perf_counter() - start)

        # Baseline: the same row inserted in its own transaction, with no chain or lock, into
        # a copy of the table (the audit table itself refuses deletes, so cannot be cleaned).
        plain_log = Table(
            "bench_plain_log",
            MetaData(),
            *(Column(c.name, c.type, primary_key=c.primary_key) for c in audit_log.columns),
        )
        plain_log.create(engine)
        start = time.perf_counter()
        for i in range(appends):
            with engine.begin() as conn:
                conn.execute(
                    insert(plain_log).values(
                        seq=1_000_000 + i,
                        recorded_at="x",
                        actor="bench",
                        action="access",
                        target="t",
                        outcome="allow",
                        persons="[]",
                        detail="{}",
                        prev_hash="0",
                        hash=f"h{i}",
                    )
                )
        plain = appends / (time.perf_counter() - start)

        start = time.perf_counter()
        report = verify(engine)
        verified = report.entries_checked / (time.perf_counter() - start)
        # Baseline: only reading the same rows, with no hashing or chain checks.
        start = time.perf_counter()
        with engine.connect() as conn:
            read = len(conn.execute(select(audit_log)).fetchall())
        plain_read = read / (time.perf_counter() - start)
        assert report.ok and report.entries_checked == appends, "benchmark chain is not intact"
        engine.dispose()
    rows.append(
        {
            "benchmark": "audit appends (SQLite file)",
            "size": appends,
            "value": f"{chained:,.0f}/s",
            "baseline": f"{plain:,.0f}/s",
            "baseline_name": "unchained insert",
            "ratio": chained / plain,
            "target": ">= 100/s",
        }
    )
    rows.append(
        {
            "benchmark": "audit verify",
            "size": report.entries_checked,
            "value": f"{verified:,.0f} entries/s",
            "baseline": f"{plain_read:,.0f} entries/s",
            "baseline_name": "reading the same rows, no hashing",
            "ratio": verified / plain_read,
            "target": "100k entries < 10 s",
        }
    )
    return rows
