"""Calibration of the evidence design on synthetic partnerships whose effect is known.

``sharewell.synth`` cuts referred people's police mental health incidents, Section 136
detentions and A&E attendances by ``safe_haven_effect`` from their referral, and leaves
everything else alone. ``calibrate`` generates partnerships, lays their events out as ingest
and perfect linkage would (``synthetic_workspace``), runs the safe haven's matched
difference-in-differences on each, and reports how often it finds no clear effect and how
often its corrected intervals contain what was generated. The tests and ``make bench`` use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

from sharewell.savings.evidence import DidEstimate, DidResult

if TYPE_CHECKING:
    from sharewell.synth import Partnership

__all__ = ["AFFECTED", "Calibration", "calibrate", "synthetic_workspace", "truth_of"]

AFFECTED = ("police_mental_health", "police_section_136", "ae_attendance")
"""Event types the synthetic safe haven changes; every other one it leaves alone."""

_SOURCES = {
    "police.mh_incident": ("westshire_police", "police", "incident_date"),
    "ambulance.mh_callout": ("westshire_ambulance", "ambulance", "callout_date"),
    "mh_trust.crisis_contact": ("westshire_mht", "crisis_contacts", "contact_date"),
}


def synthetic_workspace(con: duckdb.DuckDBPyConnection, westshire: Partnership) -> None:
    """The partnership's event tables (``records_<source>``) and a true ``person_index``."""
    index = []
    start = westshire.population.start
    for source, (partner, stream_name, date_field) in _SOURCES.items():
        stream = getattr(westshire.events, stream_name)
        n = len(stream)
        columns: dict[str, object] = {
            "unique_id": [f"{partner}:{source}:{i}" for i in range(n)],
            "partner": [partner] * n,
            date_field: (start + stream.day.astype("timedelta64[D]")).astype("datetime64[D]"),
            "sex": westshire.population.people.sex[stream.person].astype(str),
        }
        for name, values in stream.fields.items():
            if name in ("incident_type", "contact_type", "outcome"):
                columns[name] = values.astype(str)
            elif name == "bed_days":
                columns[name] = np.asarray(values, dtype=np.int64)
        table = pa.table(columns)
        con.register("_records", table)
        con.execute(f"CREATE OR REPLACE TABLE records_{source.replace('.', '_')} AS FROM _records")
        con.unregister("_records")
        ids = westshire.person_id(stream.person)
        index.append(pa.table({"unique_id": columns["unique_id"], "person_id": ids}))
    con.register("_index", pa.concat_tables(index))
    con.execute("CREATE OR REPLACE TABLE person_index AS SELECT *, 1 AS run_id FROM _index")
    con.unregister("_index")


def _plain_views(con: duckdb.DuckDBPyConnection) -> None:
    for source in _SOURCES:
        table = f"records_{source.replace('.', '_')}"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW plain_{table} AS "
            f"SELECT i.person_id, r.* FROM {table} r JOIN person_index i USING (unique_id)"
        )


def truth_of(event_type: str, estimate: DidEstimate, effect: float) -> float:
    """The generated effect per person-month: ``-effect`` of what the cohort would have had."""
    if event_type not in AFFECTED:
        return 0.0
    return -effect * (estimate.treated_after - estimate.effect_per_person_month)


@dataclass(frozen=True)
class Calibration:
    """The design's results over many generated partnerships of one effect."""

    effect: float
    runs: tuple[tuple[int, DidResult], ...]

    @property
    def no_clear_effect(self) -> float:
        """Share of partnerships on which no event type showed a clear effect."""
        return float(np.mean([not r.clear for _, r in self.runs]))

    @property
    def coverage(self) -> float:
        """Share of (partnership, event type) whose corrected interval holds the truth."""
        hits = [
            e.ci_low <= truth_of(t, e, self.effect) <= e.ci_high
            for _, r in self.runs
            for t, e in r.estimates.items()
        ]
        return float(np.mean(hits))

    def detected(self, event_type: str) -> float:
        """Share of partnerships on which ``event_type`` showed a clear effect."""
        return float(np.mean([r.estimates[event_type].clear for _, r in self.runs]))


def calibrate(
    seeds: Iterable[int], effect: float, *, people: int = 60000, bootstrap: int = 500
) -> Calibration:
    """Run the safe haven's design on a generated partnership for each seed."""
    from sharewell.savings.initiative import TEMPLATES_DIR, load_initiative
    from sharewell.savings.linked_events import create_event_views, measure_safe_haven
    from sharewell.synth import SynthConfig, generate

    haven = load_initiative(TEMPLATES_DIR / "safe_haven.yaml")
    runs = []
    for seed in seeds:
        westshire = generate(SynthConfig(people=people, seed=seed, safe_haven_effect=effect))
        con = duckdb.connect()
        synthetic_workspace(con, westshire)
        _plain_views(con)
        create_event_views(con, lambda s: f"plain_records_{s.replace('.', '_')}")
        measured = measure_safe_haven(con, haven, people="savings_people", bootstrap=bootstrap)
        runs.append((seed, measured.result))
        con.close()
    return Calibration(effect, tuple(runs))
