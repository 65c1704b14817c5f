"""The Safe and Well visit list: households ranked by fire risk from every partner's shared data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.agreements import Level
from sharewell.errors import AccessDenied
from sharewell.views.fire_risk import (
    HouseholdRisk,
    PersonRisk,
    RiskWeights,
    load_weights,
    rank_households,
    score_household,
)
from sharewell.views.linked_reads import display_name, linked_read
from sharewell.views.risk_calibration import (
    CalibrationResult,
    HouseholdOutcome,
    calibrate,
    ranking_quality,
)

__all__ = [
    "Household",
    "SafeAndWellList",
    "Visit",
    "calibrate_from_history",
    "collect_people",
    "fires_after",
    "household_visits",
    "households_of",
    "safe_and_well_list",
]

PURPOSE = "fire_prevention"
IDENTITY = ["given_name", "family_name", "date_of_birth", "address", "postcode", "uprn"]
# Registers that say who lives where, most trusted first (the GP register is kept current).
REGISTERS = ("nhs.over65_register", "asc.client")
BOOTSTRAP_RESAMPLES = 500  # for the AUC intervals of a calibration report

# Partner flags a fire crew may be granted, and the risk factor each one evidences.
FLAG_FACTORS: dict[str, dict[str, str]] = {
    "asc.client": {
        "lives_alone": "lives_alone",
        "reduced_mobility": "reduced_mobility",
        "hoarding_concern": "hoarding",
    },
    "police.mh_incident": {"mh_crisis_contact_last_12m": "mh_crisis_last_12m"},
    "mh_trust.crisis_contact": {"mh_crisis_contact_last_12m": "mh_crisis_last_12m"},
    "ambulance.mh_callout": {"mh_crisis_contact_last_12m": "mh_crisis_last_12m"},
}


@dataclass(frozen=True)
class Household:
    """A household to visit: where it is, who lives there (as allowed), and its risk."""

    household_id: str
    address: str | None
    postcode: str | None
    uprn: str | None
    risk: HouseholdRisk
    names: tuple[str, ...]


@dataclass(frozen=True)
class SafeAndWellList:
    """Households ranked for Safe and Well visits, with the audit entries of the reads."""

    as_of: date
    weights_version: int
    households: tuple[Household, ...]
    audit_seqs: tuple[int, ...] = field(default=())
    withheld: tuple[str, ...] = field(default=())


@dataclass
class _Person:
    person_id: str
    name: str | None = None
    date_of_birth: date | None = None
    address: str | None = None
    postcode: str | None = None
    uprn: str | None = None
    # PPRL mode: the partners' stand-ins for the home and the date of birth
    household_pseudonym: str | None = None
    age_band: str | None = None
    factors: set[str] = field(default_factory=set)
    sources: dict[str, str] = field(default_factory=dict)
    last_visit: date | None = None
    known_by: date | None = None  # earliest date we knew of this person (registers: always)


def _age(dob: date | None, as_of: date) -> int | None:
    if dob is None:
        return None
    return as_of.year - dob.year - ((as_of.month, as_of.day) < (dob.month, dob.day))


def _take_identity(person: _Person, row: dict[str, Any]) -> None:
    # The first register to name a person wins; later ones only fill gaps.
    if person.name is None:
        person.name = display_name(row)
    for key in ("date_of_birth", "address", "postcode", "uprn", "household_pseudonym", "age_band"):
        if getattr(person, key) is None and row.get(key) is not None:
            setattr(person, key, row[key])


def _household_key(person: _Person) -> str | None:
    if person.uprn:
        return f"uprn:{person.uprn}"
    if person.address and person.postcode:
        return f"addr:{person.postcode}|{person.address}"
    if person.household_pseudonym:  # PPRL mode: the partner's keyed pseudonym of the home
        return f"hh:{person.household_pseudonym}"
    return None


def _person_risk(person: _Person, as_of: date) -> PersonRisk:
    age, band = _age(person.date_of_birth, as_of), None
    if age is None and person.age_band is not None:
        # imported here: plaintext lists need nothing of the privacy package
        from sharewell.privacy.households import age_band_floor

        age, band = age_band_floor(person.age_band), person.age_band
    return PersonRisk(
        person.person_id, age, frozenset(person.factors), dict(person.sources), person.name, band
    )


class _Reader:
    """Reads for one user and date, collecting audit entries and what was withheld."""

    def __init__(
        self, engine: Engine, conn: duckdb.DuckDBPyConnection, username: str, as_of: date
    ) -> None:
        self.engine, self.conn, self.username, self.as_of = engine, conn, username, as_of
        self.audit: list[int] = []
        self.withheld: list[str] = []

    def read(
        self, source: str, level: Level, fields: list[str]
    ) -> tuple[list[dict[str, Any]], str]:
        try:
            result = linked_read(
                self.engine,
                self.conn,
                username=self.username,
                purpose=PURPOSE,
                source=source,
                level=level,
                fields=fields,
                as_of=self.as_of,
            )
        except AccessDenied:
            # Not granted is not an error for a list built from many sources: the list is
            # made from what the agreement allows and says what it could not use.
            self.withheld.append(f"{source} ({level})")
            return [], ""
        self.audit.append(result.audit_seq)
        provider = ", ".join(result.decision.providers) or source
        return result.rows, provider


def collect_people(
    engine: Engine, conn: duckdb.DuckDBPyConnection, *, username: str, as_of: date
) -> tuple[dict[str, _Person], _Reader]:
    """Everyone the fire service may see, with risk factors established as of ``as_of``."""
    reader = _Reader(engine, conn, username, as_of)
    people: dict[str, _Person] = {}

    def person(pid: str) -> _Person:
        return people.setdefault(pid, _Person(pid))

    for source in REGISTERS:
        rows, _ = reader.read(
            source,
            "identifiable",
            [*IDENTITY, "referral_date"] if source == "asc.client" else IDENTITY,
        )
        for row in rows:
            p = person(row["person_id"])
            _take_identity(p, row)
            known = row.get("referral_date") or date.min
            p.known_by = min(p.known_by or known, known)

    visits, _ = reader.read(
        "fire.safe_and_well_visit",
        "identifiable",
        [*IDENTITY, "visit_date", "smoker", "working_smoke_alarm"],
    )
    for row in sorted(visits, key=lambda r: r.get("visit_date") or date.min):
        p = person(row["person_id"])
        _take_identity(p, row)
        when = row.get("visit_date")
        p.known_by = min(p.known_by or when, when) if when else p.known_by
        p.last_visit = max(filter(None, (p.last_visit, when)), default=None)
        # the latest visit decides: a smoker who quit, an alarm since fitted
        for factor, present in (
            ("smoker", row.get("smoker") is True),
            ("no_working_alarm", row.get("working_smoke_alarm") is False),
        ):
            if present:
                p.factors.add(factor)
                p.sources[factor] = "fire service visit"
            else:
                p.factors.discard(factor)

    fires, _ = reader.read(
        "fire.incident", "identifiable", [*IDENTITY, "incident_date", "incident_type"]
    )
    for row in fires:
        if row.get("incident_type") != "dwelling_fire":
            continue
        p = person(row["person_id"])
        _take_identity(p, row)
        when = row.get("incident_date")
        p.known_by = min(p.known_by or when, when) if when else p.known_by
        p.factors.add("previous_fire")

    for source, flags in FLAG_FACTORS.items():
        rows, provider = reader.read(source, "flag_only", list(flags))
        for row in rows:
            if row["person_id"] not in people:
                continue  # flags attach to people the fire service may see, never add people
            p = people[row["person_id"]]
            for flag, factor in flags.items():
                if row.get(flag) is True:
                    p.factors.add(factor)
                    p.sources.setdefault(factor, provider)
    return people, reader


def households_of(people: Iterable[_Person], weights: RiskWeights, as_of: date) -> list[Household]:
    """Group people by address and score each household."""
    groups: dict[str, list[_Person]] = defaultdict(list)
    for p in people:
        key = _household_key(p)
        if key is not None:
            groups[key].append(p)
    households = []
    for key, members in groups.items():
        risk = score_household(
            key,
            [_person_risk(m, as_of) for m in members],
            weights,
            as_of=as_of,
            last_visit=max((m.last_visit for m in members if m.last_visit), default=None),
        )
        first = members[0]
        households.append(
            Household(
                household_id=key,
                address=first.address,
                postcode=first.postcode,
                uprn=first.uprn,
                risk=risk,
                names=tuple(sorted(m.name for m in members if m.name)),
            )
        )
    return households


def safe_and_well_list(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    as_of: date,
    weights: RiskWeights | None = None,
    limit: int | None = None,
) -> SafeAndWellList:
    """The ranked visit list for ``username`` as of a date, from what the policy allows."""
    weights = weights or load_weights()
    people, reader = collect_people(engine, conn, username=username, as_of=as_of)
    if not reader.audit:
        raise AccessDenied(
            f"{username} may not read any of the data behind the Safe and Well list "
            f"for {PURPOSE}: " + ", ".join(reader.withheld)
        )
    ranked = {h.risk.household_id: h for h in households_of(people.values(), weights, as_of)}
    order = rank_households([h.risk for h in ranked.values()])
    chosen = [ranked[r.household_id] for r in order[: limit or None]]
    return SafeAndWellList(
        as_of=as_of,
        weights_version=weights.version,
        households=tuple(chosen),
        audit_seqs=tuple(reader.audit),
        withheld=tuple(reader.withheld),
    )


@dataclass(frozen=True)
class Visit:
    """One Safe and Well visit to a household: when, whom, and what the crew found."""

    visit_date: date
    names: tuple[str, ...]
    smoker: bool | None
    working_smoke_alarm: bool | None
    alarms_fitted: int | None


def household_visits(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    household: Household,
    as_of: date,
) -> list[Visit] | None:
    """The fire service's visits to the people of one household, newest first.

    A governed read of only those people's visit records (audited, naming only them); None
    when the agreement does not let ``username`` read visits.
    """
    person_ids = [p.person_id for p in household.risk.people]
    try:
        result = linked_read(
            engine,
            conn,
            username=username,
            purpose=PURPOSE,
            source="fire.safe_and_well_visit",
            level="identifiable",
            fields=[
                "given_name",
                "family_name",
                "visit_date",
                "smoker",
                "working_smoke_alarm",
                "alarms_fitted",
            ],
            as_of=as_of,
            person_ids=person_ids,
        )
    except AccessDenied:
        return None
    by_date: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for row in result.rows:
        if row.get("visit_date") is not None:
            by_date[row["visit_date"]].append(row)
    visits = []
    for when, rows in sorted(by_date.items(), reverse=True):
        alarms = [r["alarms_fitted"] for r in rows if r.get("alarms_fitted") is not None]
        visits.append(
            Visit(
                visit_date=when,
                names=tuple(sorted({n for r in rows if (n := display_name(r))})),
                smoker=_any_known(r.get("smoker") for r in rows),
                working_smoke_alarm=_any_known(r.get("working_smoke_alarm") for r in rows),
                alarms_fitted=max(alarms) if alarms else None,
            )
        )
    return visits


def _any_known(values: Iterable[Any]) -> bool | None:
    known = [v for v in values if v is not None]
    return any(bool(v) for v in known) if known else None


def fires_after(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    start: date,
    days: int = 365,
) -> set[str]:
    """Person ids involved in a dwelling fire in the ``days`` after ``start`` (governed)."""
    reader = _Reader(engine, conn, username, start + timedelta(days=days))
    rows, _ = reader.read("fire.incident", "identifiable", ["incident_date", "incident_type"])
    end = start + timedelta(days=days)
    return {
        r["person_id"]
        for r in rows
        if r.get("incident_type") == "dwelling_fire"
        and r.get("incident_date") is not None
        and start < r["incident_date"] <= end
    }


def _outcomes(households: list[Household], fire_people: set[str]) -> list[HouseholdOutcome]:
    return [
        HouseholdOutcome(h.risk, any(p.person_id in fire_people for p in h.risk.people))
        for h in households
    ]


def calibrate_from_history(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    cutoff: date,
    train_years: int = 3,
    weights: RiskWeights | None = None,
) -> CalibrationResult:
    """Fit weights on the ``train_years`` before ``cutoff`` and test them on the year after.

    Households are scored as they stood at the start of each year (only records dated on or
    before it), so a fire never explains itself; each training year adds a row per household,
    because one year of one county holds few fires. The ranking's quality on the year after
    the cut-off is reported beside the starting weights' and the fire service's usual
    age-only targeting, on the same households, each AUC with a bootstrap interval.
    """
    weights = weights or load_weights()
    train: list[HouseholdOutcome] = []
    for years_back in range(train_years, 0, -1):
        start = cutoff - timedelta(days=365 * years_back)
        people, _ = collect_people(engine, conn, username=username, as_of=start)
        train += _outcomes(
            households_of(people.values(), weights, start),
            fires_after(engine, conn, username=username, start=start),
        )
    first = cutoff - timedelta(days=365 * train_years)
    fitted = calibrate(train, weights, fitted_on=f"dwelling fires {first} to {cutoff}")
    people, _ = collect_people(engine, conn, username=username, as_of=cutoff)
    fire_people = fires_after(engine, conn, username=username, start=cutoff)
    test = _outcomes(households_of(people.values(), fitted, cutoff), fire_people)
    model, age_only = ranking_quality(test, resamples=BOOTSTRAP_RESAMPLES)
    # Did calibrating help? The starting weights ranked on the same households and fires.
    before = _outcomes(households_of(people.values(), weights, cutoff), fire_people)
    starting, _ = ranking_quality(before, resamples=BOOTSTRAP_RESAMPLES)
    return CalibrationResult(weights=fitted, model=model, age_only=age_only, starting=starting)
