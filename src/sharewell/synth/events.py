"""What happens to the people over the history window: crises, police calls, fires, visits.

Every stream is a Poisson process per person (or household) whose rate comes from true risk
factors; a time-varying multiplier (a secular trend, the safe haven's effect after referral) is
applied by thinning, so the same seed always gives the same events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sharewell.synth.config import SynthConfig
from sharewell.synth.population import Population

__all__ = ["EventStream", "Events", "SafeHaven", "simulate"]

YEAR = 365.25
NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class EventStream:
    """Events of one kind: who (person index), when (day offset) and kind-specific fields."""

    person: np.ndarray
    day: np.ndarray
    fields: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.person)


@dataclass(frozen=True)
class SafeHaven:
    """Who was eligible for the safe haven, from when, and who was referred."""

    index_day: np.ndarray  # first crisis contact after opening; NEVER when none
    referred: np.ndarray
    open_day: int


@dataclass(frozen=True)
class Events:
    """Every event stream of the partnership, by extract."""

    crisis_contacts: EventStream
    police: EventStream
    ambulance: EventStream
    fire_incidents: EventStream
    safe_and_well: EventStream
    asc_clients: EventStream
    register: EventStream
    safe_haven: SafeHaven


Multiplier = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _poisson(
    rng: np.random.Generator,
    rate_per_year: np.ndarray,
    days: int,
    ceiling: float = 1.0,
    multiplier: Multiplier | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Event (unit, day) pairs for units with yearly rates; ``multiplier`` <= ``ceiling``."""
    counts = rng.poisson(rate_per_year * days / YEAR * ceiling)
    unit = np.repeat(np.arange(len(rate_per_year)), counts)
    day = rng.integers(0, days, len(unit))
    if multiplier is not None:
        keep = rng.random(len(unit)) * ceiling < multiplier(unit, day)
        unit, day = unit[keep], day[keep]
    order = np.lexsort((unit, day))
    return unit[order], day[order]


def simulate(config: SynthConfig, pop: Population, rng: np.random.Generator) -> Events:
    """Every event stream, drawn from the population's true rates (docs/synthetic.md)."""
    p = pop.people
    days = pop.days
    years = days / YEAR
    open_day = int((np.datetime64(config.safe_haven_open, "D") - pop.start).astype(int))

    # Mental health demand rises a little every year, for everyone alike.
    top = 1.0 + config.mh_trend * years

    def trend(_unit: np.ndarray, day: np.ndarray) -> np.ndarray:
        return 1.0 + config.mh_trend * day / YEAR

    crisis_rate = p.crisis_rate

    # 1. Crisis team contacts; the first after the safe haven opens makes a person eligible.
    who, when = _poisson(rng, crisis_rate, days, top, trend)
    index_day = np.full(len(crisis_rate), NEVER, dtype=np.int64)
    after = (when >= open_day) & (when < days - 90)
    np.minimum.at(index_day, who[after], when[after])
    eligible = index_day < NEVER
    referred = eligible & (rng.random(len(crisis_rate)) < config.referral_rate)
    referral_day = np.where(referred, index_day, NEVER)
    haven = SafeHaven(index_day=index_day, referred=referred, open_day=open_day)

    def reduced(unit: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The trend, times (1 - effect) once a person has been referred to the safe haven."""
        effect = np.where(day >= referral_day[unit], 1.0 - config.safe_haven_effect, 1.0)
        return trend(unit, day) * effect

    streams: list[tuple[str, tuple[np.ndarray, np.ndarray]]] = [
        ("crisis_team", (who, when)),
        ("admission", _poisson(rng, 0.10 * crisis_rate, days, top, trend)),
        ("ae_attendance", _poisson(rng, 0.50 * crisis_rate, days, top, reduced)),
        ("safe_haven_referral", (np.flatnonzero(referred), index_day[referred])),
    ]
    crisis = _concat(streams, "contact_type")
    n_crisis = len(crisis.person)
    bed_days = np.where(
        crisis.fields["contact_type"] == "admission", rng.geometric(1 / 30, n_crisis), 0
    )
    diagnosis = np.where(rng.random(n_crisis) < 0.15, "", p.diagnosis[crisis.person])
    crisis = EventStream(
        crisis.person,
        crisis.day,
        {**crisis.fields, "bed_days": bed_days, "diagnosis": diagnosis.astype(object)},
    )

    # 2. Police: mental-health calls and S136 detentions fall after referral; welfare checks
    # also come from frail people living alone, and the safe haven does not change them.
    frail_alone = (p.age >= 75) & p.lives_alone
    police = _concat(
        [
            ("mental_health", _poisson(rng, 0.9 * crisis_rate, days, top, reduced)),
            ("section_136", _poisson(rng, 0.12 * crisis_rate, days, top, reduced)),
            (
                "concern_for_welfare",
                _poisson(rng, 0.25 * crisis_rate + 0.03 * frail_alone, days, top, trend),
            ),
        ],
        "incident_type",
    )
    kind = police.fields["incident_type"]
    mean_hours = np.select([kind == "section_136", kind == "mental_health"], [9.0, 4.0], 2.5)
    hours = np.round(rng.gamma(2.0, mean_hours / 2.0) * 4) / 4  # logged in quarter hours
    police = EventStream(police.person, police.day, {**police.fields, "officer_hours": hours})

    # 3. Ambulance mental-health call-outs (not changed by the safe haven).
    who_a, when_a = _poisson(rng, 0.35 * crisis_rate, days, top, trend)
    outcome = rng.choice(
        np.array(["conveyed_ae", "treated_on_scene", "referred", "no_further_action"], object),
        len(who_a),
        p=[0.45, 0.25, 0.2, 0.1],
    )
    ambulance = EventStream(who_a, when_a, {"outcome": outcome})

    asc = _asc_clients(rng, pop, days)
    visits = _safe_and_well(rng, config, pop, days, asc)
    fires = _fire_incidents(rng, config, pop, days, visits)

    over65 = np.flatnonzero((p.age >= 65) & (rng.random(len(p.age)) < 0.98))
    register = EventStream(over65, np.full(len(over65), days - 1), {})
    return Events(
        crisis_contacts=crisis,
        police=police,
        ambulance=ambulance,
        fire_incidents=fires,
        safe_and_well=visits,
        asc_clients=asc,
        register=register,
        safe_haven=haven,
    )


def _concat(streams: list[tuple[str, tuple[np.ndarray, np.ndarray]]], field: str) -> EventStream:
    person = np.concatenate([s[1][0] for s in streams])
    day = np.concatenate([s[1][1] for s in streams])
    label = np.concatenate([np.full(len(s[1][0]), s[0], dtype=object) for s in streams])
    order = np.lexsort((person, day))
    return EventStream(person[order], day[order], {field: label[order]})


def _asc_clients(rng: np.random.Generator, pop: Population, days: int) -> EventStream:
    """Adult social care clients: older, less mobile, alone or in crisis people, once each."""
    p = pop.people
    logit = (
        -7.5
        + 0.06 * p.age
        + 1.5 * p.reduced_mobility
        + 0.8 * p.lives_alone
        + 1.0 * p.crisis_prone
        + 0.8 * p.hoarding
    )
    client = (p.age >= 18) & (rng.random(len(p.age)) < 1 / (1 + np.exp(-logit)))
    who = np.flatnonzero(client)
    day = rng.integers(0, days, len(who))
    n = len(who)
    age, mob = p.age[who], p.reduced_mobility[who]
    packages = np.array(["none", "home_care", "day_care", "reablement", "residential", "nursing"])
    frail = rng.choice(6, n, p=[0.05, 0.5, 0.05, 0.0, 0.25, 0.15])
    mobile_need = rng.choice(6, n, p=[0.1, 0.55, 0.1, 0.2, 0.05, 0.0])
    other = rng.choice(6, n, p=[0.3, 0.3, 0.15, 0.25, 0.0, 0.0])
    package = packages[np.select([(age >= 85) & mob, mob], [frail, mobile_need], other)]
    order = np.argsort(day, kind="stable")
    return EventStream(
        who[order],
        day[order],
        {
            "care_package": package[order].astype(object),
            "lives_alone": p.lives_alone[who][order],
            "reduced_mobility": mob[order],
            # Hoarding is recorded only where a worker has noticed it.
            "hoarding_concern": (p.hoarding[who] & (rng.random(n) < 0.7))[order],
        },
    )


def _safe_and_well(
    rng: np.random.Generator, config: SynthConfig, pop: Population, days: int, asc: EventStream
) -> EventStream:
    """Completed visits: today's targeting is by age (65+) and by social care referral."""
    p, hh = pop.people, pop.households
    h = len(hh.size)
    oldest = np.zeros(h, dtype=int)
    np.maximum.at(oldest, p.household, p.age)
    household, day = _poisson(rng, np.where(oldest >= 65, config.safe_and_well_rate, 0.0), days)
    referred = rng.random(len(asc.person)) < 0.25
    household = np.concatenate([household, p.household[asc.person[referred]]])
    day = np.concatenate(
        [day, np.minimum(asc.day[referred] + rng.integers(7, 60, int(referred.sum())), days - 1)]
    )
    order = np.lexsort((household, day))
    household, day = household[order], day[order]
    # The occupier seen is the oldest member of the household.
    by_age = np.lexsort((-p.age, p.household))
    occupier = by_age[np.searchsorted(p.household[by_age], household)]
    smoker = np.bincount(p.household, weights=p.smoker.astype(float), minlength=h) > 0
    first_visit = np.full(h, NEVER, dtype=np.int64)
    np.minimum.at(first_visit, household, day)
    # Alarms fitted on a first visit keep working afterwards.
    working = hh.working_alarm[household] | (day > first_visit[household])
    fitted = np.where(working, 0, rng.integers(1, 4, len(day)))
    recorded_smoker = np.where(rng.random(len(day)) < 0.05, ~smoker[household], smoker[household])
    return EventStream(
        occupier,
        day,
        {
            "household": household,
            "smoker": recorded_smoker,
            "working_smoke_alarm": working,
            "alarms_fitted": fitted,
        },
    )


_CAUSES = np.array(
    [
        "smoking_materials",
        "cooking",
        "electrical",
        "candles",
        "heating",
        "deliberate",
        "other",
        "unknown",
    ],
    dtype=object,
)


def _fire_incidents(
    rng: np.random.Generator, config: SynthConfig, pop: Population, days: int, visits: EventStream
) -> EventStream:
    """People at fire incidents: dwelling fires from household risk, and other call-outs."""
    p, hh = pop.people, pop.households
    h = len(hh.size)
    fire_h, fire_day = _poisson(rng, hh.fire_rate, days)
    n_fires = len(fire_h)
    # Everyone at home may be involved; at least the first member always is.
    size = hh.size[fire_h]
    fire = np.repeat(np.arange(n_fires), size)
    member = hh.first[fire_h][fire] + (
        np.arange(len(fire)) - np.repeat(np.cumsum(size) - size, size)
    )
    involved = (rng.random(len(fire)) < np.where(p.age[member] >= 16, 0.6, 0.3)) | (
        member == hh.first[fire_h][fire]
    )
    fire, member = fire[involved], member[involved]

    smoker_h = np.bincount(p.household, weights=p.smoker.astype(float), minlength=h) > 0
    cause = np.where(
        smoker_h[fire_h] & (rng.random(n_fires) < 0.35),
        "smoking_materials",
        _CAUSES[1:][rng.choice(7, n_fires, p=[0.5, 0.17, 0.06, 0.09, 0.08, 0.05, 0.05])],
    ).astype(object)

    first_visit = np.full(h, NEVER, dtype=np.int64)
    np.minimum.at(first_visit, visits.fields["household"], visits.day)
    fire_hh = fire_h[fire]
    alarm = hh.working_alarm[fire_hh] | (first_visit[fire_hh] <= fire_day[fire])
    age = p.age[member]
    casualty_p = np.minimum(
        0.95,
        config.casualty_rate
        * np.select([age >= 80, age >= 65], [2.5, 1.6], 1.0)
        * np.where(p.reduced_mobility[member], 1.8, 1.0)
        * np.where(p.alcohol_misuse[member], 1.7, 1.0)
        * np.where(p.lives_alone[member], 1.5, 1.0)
        * np.where(p.crisis_prone[member], 1.4, 1.0)
        * np.where(alarm, 1.0, 2.0),
    )
    casualty = rng.random(len(member)) < casualty_p
    fatality = casualty & (rng.random(len(member)) < 0.05 * np.where(age >= 80, 2.0, 1.0))

    # Other call-outs involving one person: outdoor fires, false alarms, gaining entry.
    adult = (p.age >= 18).astype(float)
    frail = ((p.age >= 75) & p.lives_alone).astype(float)
    others = [
        ("other_fire", _poisson(rng, 0.002 * adult, days)),
        ("false_alarm", _poisson(rng, 0.01 * frail + 0.001 * adult, days)),
        ("special_service", _poisson(rng, 0.015 * frail + 0.004 * p.crisis_prone, days)),
    ]
    o_person = np.concatenate([o[1][0] for o in others])
    o_day = np.concatenate([o[1][1] for o in others])
    o_type = np.concatenate([np.full(len(o[1][0]), o[0], dtype=object) for o in others])
    o_cause = np.where(o_type == "other_fire", _CAUSES[rng.integers(0, 8, len(o_type))], "")

    incident = np.concatenate([fire, n_fires + np.arange(len(o_person))])
    person = np.concatenate([member, o_person])
    day = np.concatenate([fire_day[fire], o_day])
    kind = np.concatenate([np.full(len(member), "dwelling_fire", dtype=object), o_type])
    causes = np.concatenate([cause[fire], o_cause]).astype(object)
    casualties = np.concatenate([casualty, np.zeros(len(o_person), dtype=bool)])
    fatalities = np.concatenate([fatality, np.zeros(len(o_person), dtype=bool)])
    order = np.lexsort((person, incident, day))
    return EventStream(
        person[order],
        day[order],
        {
            "incident": incident[order],
            "incident_type": kind[order],
            "cause": causes[order],
            "casualty": casualties[order],
            "fatality": fatalities[order],
        },
    )
