"""On the synthetic Westshire partnership, the measured safe haven effect is the one generated.

The generator (``sharewell.synth``) cuts each referred person's police mental health incidents,
Section 136 detentions and A&E attendances by ``safe_haven_effect`` from the referral date, and
leaves ambulance call-outs alone. Here the difference-in-differences runs on those events (by
true person, as perfect linkage would give them) and must bracket what was generated.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from sharewell.savings.evidence import DidEstimate, measure_did
from sharewell.synth import Partnership, SynthConfig, generate
from sharewell.synth.events import NEVER, EventStream


def _rows(stream: EventStream, field: str, types: dict[str, str], start: np.datetime64) -> pa.Table:
    kind = stream.fields[field] if field else np.array(["*"] * len(stream), dtype=object)
    keep = np.isin(kind, list(types))
    return pa.table(
        {
            "person_id": stream.person[keep].astype(np.int64),
            "event_type": [types[k] for k in kind[keep]],
            "event_date": (start + stream.day[keep].astype("timedelta64[D]")).astype(
                "datetime64[ms]"
            ),
        }
    )


def estimates(westshire: Partnership) -> dict[str, DidEstimate]:
    """Difference-in-differences of the safe haven cohort on one generated partnership."""
    ev, start = westshire.events, westshire.population.start
    haven = ev.safe_haven
    events = pa.concat_tables(
        [
            _rows(
                ev.police,
                "incident_type",
                {"mental_health": "police_mh", "section_136": "police_mh"},
                start,
            ),
            _rows(ev.crisis_contacts, "contact_type", {"ae_attendance": "ae_attendance"}, start),
            _rows(ev.ambulance, "", {"*": "ambulance_callout"}, start),
        ]
    )
    referred = np.flatnonzero(haven.referred)
    cohort = pa.table(
        {
            "person_id": referred.astype(np.int64),
            "index_date": (start + haven.index_day[referred].astype("timedelta64[D]")).astype(
                "datetime64[ms]"
            ),
        }
    )
    # Comparison people: eligible (a crisis contact after the haven opened) but not referred.
    people = pa.table(
        {"person_id": np.flatnonzero((haven.index_day < NEVER) & ~haven.referred).astype(np.int64)}
    )
    con = duckdb.connect()
    con.register("events_arrow", events)
    con.register("cohort_arrow", cohort)
    con.register("people_arrow", people)
    con.execute(
        "CREATE TABLE events AS SELECT person_id, 'x' AS agency, event_type, "
        "CAST(event_date AS DATE) AS event_date FROM events_arrow;"
        "CREATE TABLE cohort AS SELECT person_id, CAST(index_date AS DATE) AS index_date "
        "FROM cohort_arrow; CREATE TABLE people AS SELECT * FROM people_arrow"
    )
    result = measure_did(con, people="people", match_on=["police_mh"], bootstrap=1000, seed=3)
    assert result.matched >= 150
    return result.estimates


def _relative(est: DidEstimate) -> tuple[float, float]:
    """The interval as a share of what the cohort would have had without the safe haven."""
    counterfactual = est.treated_after - est.effect_per_person_month
    return est.ci_low / counterfactual, est.ci_high / counterfactual


SEEDS = range(100, 110)
TYPES = ("police_mh", "ae_attendance", "ambulance_callout")


@pytest.fixture(scope="module")
def runs() -> list[tuple[float, dict[str, DidEstimate]]]:
    """Ten generated Westshires (60,000 people each, the generator's default rates)."""
    out = []
    for seed in SEEDS:
        westshire = generate(SynthConfig(people=60000, seed=seed))
        out.append((westshire.config.safe_haven_effect, estimates(westshire)))
    return out


@pytest.mark.slow
def test_the_generated_safe_haven_effect_is_recovered_within_the_intervals(
    runs: list[tuple[float, dict[str, DidEstimate]]],
) -> None:
    # 95% intervals: on ten partnerships nearly all must contain the truth (police MH incidents
    # and S136 detentions together, and A&E attendances fall by the generated share; ambulance
    # call-outs do not change), and the estimates must centre on it.
    for event_type in TYPES:
        covered, relative = 0, []
        for effect, est in runs:
            truth = 0.0 if event_type == "ambulance_callout" else -effect
            low, high = _relative(est[event_type])
            covered += low <= truth <= high
            e = est[event_type]
            relative.append(
                e.effect_per_person_month / (e.treated_after - e.effect_per_person_month)
            )
        assert covered >= 8, f"{event_type}: only {covered} of {len(runs)} intervals cover it"
        assert float(np.mean(relative)) == pytest.approx(truth, abs=0.08), event_type


@pytest.mark.slow
def test_measured_effects_are_graded_as_local_evidence(
    runs: list[tuple[float, dict[str, DidEstimate]]],
) -> None:
    # The police estimate is clear on (almost) every partnership: grade 2, a robust local method.
    grades = [est["police_mh"].confidence_grade for _, est in runs]
    assert grades.count(2) >= 8
