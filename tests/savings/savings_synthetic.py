"""Generated crisis events with a known safe haven effect, for the evidence tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa

EVENT_TYPES = {"police_mh_incident": 0.5, "ambulance_callout": 0.3, "s136_detention": 0.2}
AGENCY = {
    "police_mh_incident": "westshire_police",
    "ambulance_callout": "westshire_ambulance",
    "s136_detention": "westshire_police",
}
START = date(2022, 1, 1)
DAYS = 5 * 365


@dataclass(frozen=True)
class CrisisData:
    """Events, cohort and the true effect per person-month for each event type."""

    events: pa.Table
    cohort: pa.Table
    people: pa.Table
    true_effect: dict[str, float]


def generate(people: int = 20000, relative_effect: float = -0.4, seed: int = 1) -> CrisisData:
    """People with a latent crisis rate; some are referred after crises; referral cuts events.

    The safe haven serves a catchment (30% of people); there, referral depends only on the
    count of crises in the year before (what matching sees). The comparison population
    (``people``) lives outside the catchment, so not being referred says nothing about a
    comparison person's rate, and a group matched on prior use is a fair one. The true effect
    of each event type is ``relative_effect`` times the referred people's mean rate of it.
    """
    rng = np.random.default_rng(seed)
    rate = rng.gamma(shape=0.6, scale=0.12, size=people) / 30.4  # events a day, all types
    # Candidate index day for everyone in year 3 to 3.5, so two years before (for the
    # pre-trend test) and a year after are seen.
    index_day = rng.integers(760, 760 + 180, size=people)
    rows_p, rows_t, rows_d = [], [], []
    for ty, share in EVENT_TYPES.items():
        n = rng.poisson(rate * share * DAYS)
        pid = np.repeat(np.arange(people), n)
        day = rng.integers(0, DAYS, size=n.sum())
        rows_p.append(pid)
        rows_t.append(np.full(pid.size, ty))
        rows_d.append(day)
    pid = np.concatenate(rows_p)
    ety = np.concatenate(rows_t)
    day = np.concatenate(rows_d)
    prior = np.zeros(people, dtype=int)
    in_prior = (day >= index_day[pid] - 365) & (day < index_day[pid])
    np.add.at(prior, pid[in_prior], 1)
    catchment = rng.random(people) < 0.3
    referred = catchment & (rng.random(people) < np.minimum(0.9, 0.013 + 0.067 * prior))
    # The effect: after referral, each event is kept with probability 1 + relative_effect.
    after = referred[pid] & (day > index_day[pid])
    keep = ~after | (rng.random(pid.size) < 1 + relative_effect)
    pid, ety, day = pid[keep], ety[keep], day[keep]
    true_effect = {
        ty: float(relative_effect * (rate[referred] * share * 30.4).mean())
        for ty, share in EVENT_TYPES.items()
    }
    to_date = np.vectorize(lambda d: START + timedelta(days=int(d)))
    events = pa.table(
        {
            "person_id": [f"P{p:06d}" for p in pid],
            "agency": [AGENCY[t] for t in ety],
            "event_type": ety.tolist(),
            "event_date": pa.array(to_date(day).tolist(), pa.date32()),
        }
    )
    ids = np.flatnonzero(referred)
    cohort = pa.table(
        {
            "person_id": [f"P{p:06d}" for p in ids],
            "index_date": pa.array(to_date(index_day[ids]).tolist(), pa.date32()),
        }
    )
    comparison = np.flatnonzero(~catchment | referred)
    everyone = pa.table({"person_id": [f"P{p:06d}" for p in comparison]})
    return CrisisData(events=events, cohort=cohort, people=everyone, true_effect=true_effect)


def load(con: duckdb.DuckDBPyConnection, data: CrisisData) -> None:
    """Create tables events, cohort and people in ``con``."""
    for name in ("events", "cohort", "people"):
        con.register(f"_{name}", getattr(data, name))
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")
        con.unregister(f"_{name}")
