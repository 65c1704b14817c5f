"""``generate``: a whole synthetic partnership in memory, extracts and ground truth together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sharewell.synth.config import SynthConfig
from sharewell.synth.events import NEVER, Events, EventStream, simulate
from sharewell.synth.partners import (
    EXTRACT_SHAPES,
    ORGANISATIONS,
    ExtractShape,
    Organisation,
    render_rows,
)
from sharewell.synth.population import Population, populate
from sharewell.synth.quality import record_identities

__all__ = ["Extract", "Partnership", "Table", "generate"]

# Column name -> values (all of one length): the truth files' in-memory form.
Table = dict[str, list[Any]]
Progress = Callable[[str], None]

_NARRATIVES = {
    "mental_health": (
        "Caller worried about person in distress at home; officers stayed until crisis team came.",
        "Person reported threatening self-harm; officers attended and gave advice.",
        "Person found distressed in public place; taken home and GP informed.",
        "Family report deterioration in mental health; officers attended.",
    ),
    "section_136": (
        "Person detained under S136 MHA in public place and taken to place of safety.",
        "S136 detention on bridge; conveyed to health-based place of safety.",
        "S136 detention after disturbance; assessment by AMHP, released.",
    ),
    "concern_for_welfare": (
        "Neighbour concerned not seen for several days; welfare check completed.",
        "Family unable to contact; officers attended and found person safe.",
        "Call from GP surgery concerned for welfare; attended, no offences.",
    ),
}


@dataclass(frozen=True)
class Extract:
    """One partner extract in the partner's shape, ready to write."""

    shape: ExtractShape
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    record_ids: list[str]
    person_index: np.ndarray  # the true person of each row
    duplicate_of: list[str]  # the record id this row duplicates, or ""
    errors: list[str]  # each row's quality problems, ";"-separated
    registration: list[str]  # the partner's registration of the person, where it keeps one


@dataclass(frozen=True)
class Partnership:
    """A synthetic partnership: extracts, and the truth that must be kept apart from them."""

    config: SynthConfig
    organisations: tuple[Organisation, ...]
    extracts: tuple[Extract, ...]
    population: Population
    events: Events

    def person_id(self, index: np.ndarray) -> np.ndarray:
        """Person ids (``P0000001``) for person indexes."""
        return np.array([f"P{i + 1:07d}" for i in np.asarray(index).tolist()], dtype=str)

    def records_truth(self) -> Table:
        """Every record of every extract with its true person (truth/records.csv)."""
        out: Table = {
            k: [] for k in ("unique_id", "partner", "source_type", "file", "record_id", "person_id")
        }
        out["duplicate_of"], out["registration"], out["errors"] = [], [], []
        for extract in self.extracts:
            s = extract.shape
            out["unique_id"] += [f"{s.partner}:{s.source_type}:{r}" for r in extract.record_ids]
            out["partner"] += [s.partner] * len(extract.rows)
            out["source_type"] += [s.source_type] * len(extract.rows)
            out["file"] += [s.file] * len(extract.rows)
            out["record_id"] += extract.record_ids
            out["person_id"] += self.person_id(extract.person_index).tolist()
            out["duplicate_of"] += extract.duplicate_of
            out["registration"] += extract.registration
            out["errors"] += extract.errors
        return out

    def households_truth(self) -> Table:
        """Every household: its address now and before any move, and its true fire risk."""
        hh, ad = self.population.households, self.population.addresses
        prev = hh.previous_address
        moved = prev >= 0
        prev_safe = np.maximum(prev, 0)
        return {
            "household_id": _ids("H", len(hh.size)),
            "kind": hh.kind.tolist(),
            "size": hh.size.tolist(),
            "uprn": ad.uprn[hh.address].tolist(),
            "address": (ad.line[hh.address] + ", " + ad.town[hh.address]).tolist(),
            "postcode": ad.postcode[hh.address].tolist(),
            "previous_uprn": np.where(moved, ad.uprn[prev_safe], "").tolist(),
            "previous_address": np.where(
                moved, ad.line[prev_safe] + ", " + ad.town[prev_safe], ""
            ).tolist(),
            "previous_postcode": np.where(moved, ad.postcode[prev_safe], "").tolist(),
            "moved_on": _dates(self.population.start, hh.moved_on),
            "imd_decile": ad.imd_decile[hh.address].tolist(),
            "working_smoke_alarm": _bools(hh.working_alarm),
            "dwelling_fire_rate": np.round(hh.fire_rate, 6).tolist(),
        }

    def people_truth(self) -> Table:
        """Every person: true identity, household, risk factors and safe haven status."""
        p, hh = self.population.people, self.population.households
        start = self.population.start
        haven = self.events.safe_haven
        ad = self.population.addresses
        home = hh.address[p.household]
        n = len(p.age)
        seen = np.zeros(n, dtype=bool)
        seen[self.events.crisis_contacts.person] = True
        twin, namesake = p.twin_of, p.namesake_of
        return {
            "person_id": self.person_id(np.arange(n)).tolist(),
            "household_id": np.array(_ids("H", len(hh.size)), dtype=object)[p.household].tolist(),
            "role": p.role.tolist(),
            "given_name": p.given_name.tolist(),
            "family_name": p.family_name.tolist(),
            "date_of_birth": np.datetime_as_string(p.date_of_birth).tolist(),
            "sex": p.sex.tolist(),
            "age": p.age.tolist(),
            "nhs_number": p.nhs_number.tolist(),
            "uprn": ad.uprn[home].tolist(),
            "address": (ad.line[home] + ", " + ad.town[home]).tolist(),
            "postcode": ad.postcode[home].tolist(),
            "twin_of": np.where(twin >= 0, self.person_id(np.maximum(twin, 0)), "").tolist(),
            "namesake_of": np.where(
                namesake >= 0, self.person_id(np.maximum(namesake, 0)), ""
            ).tolist(),
            "lives_alone": _bools(p.lives_alone),
            "smoker": _bools(p.smoker),
            "alcohol_misuse": _bools(p.alcohol_misuse),
            "reduced_mobility": _bools(p.reduced_mobility),
            "hoarding": _bools(p.hoarding),
            "crisis_prone": _bools(p.crisis_prone),
            "crisis_rate": np.round(p.crisis_rate, 4).tolist(),
            # A diagnosis exists only for people the trust has seen.
            "diagnosis": np.where(seen, p.diagnosis, "").tolist(),
            "household_fire_rate": np.round(hh.fire_rate[p.household], 6).tolist(),
            "safe_haven_index_date": _dates(start, haven.index_day),
            "safe_haven_referred": _bools(haven.referred),
            "safe_haven_referral_date": _dates(
                start, np.where(haven.referred, haven.index_day, NEVER)
            ),
        }


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i + 1:07d}" for i in range(n)]


def _bools(values: np.ndarray) -> list[str]:
    return np.where(values, "true", "false").tolist()


def _dates(start: np.datetime64, day: np.ndarray) -> list[str]:
    safe = np.where(day >= NEVER, 0, day)
    text = np.datetime_as_string(start + safe.astype("timedelta64[D]"))
    return np.where(day >= NEVER, "", text).tolist()


def _extract(
    rng: np.random.Generator,
    config: SynthConfig,
    pop: Population,
    shape: ExtractShape,
    stream: EventStream,
    fields: dict[str, np.ndarray],
) -> Extract:
    """Add duplicates and recording problems to a stream, give record ids, render the rows."""
    quality = config.quality_for(shape.key)
    n = len(stream.person)
    if shape.person_index:
        source, original, identity_no = _registrations(rng, stream.person, quality.duplicate)
    else:
        duplicated = np.flatnonzero(rng.random(n) < quality.duplicate)
        source = np.concatenate([np.arange(n), duplicated])
        original = np.concatenate([np.full(n, -1), duplicated])
        identity_no = np.full(len(source), -1)
    # Rows in date order; a duplicate lands near, not always next to, its original.
    order = np.lexsort((rng.random(len(source)), stream.day[source]))
    source, original, identity_no = source[order], original[order], identity_no[order]
    position = np.empty(n, dtype=np.int64)
    is_original = original < 0
    position[source[is_original]] = np.flatnonzero(is_original)
    record_ids = [f"{shape.record_prefix}{i + 1:07d}" for i in range(len(source))]
    duplicate_of = ["" if o < 0 else record_ids[position[o]] for o in original.tolist()]

    person, day = stream.person[source], stream.day[source]
    identity = record_identities(
        rng, pop, person, day, quality, registration=identity_no if shape.person_index else None
    )
    event_dates = pop.start + day.astype("timedelta64[D]")
    table: dict[str, np.ndarray] = {
        "record_id": np.array(record_ids, dtype=object),
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "date_of_birth": identity.date_of_birth,
        "sex": identity.sex,
        "address": identity.address,
        "postcode": identity.postcode,
        "uprn": identity.uprn,
        "nhs_number": identity.nhs_number,
    }
    for name, values in fields.items():
        table[name] = values[source]
    errors = identity.error_tags()
    event_date = _EVENT_DATES.get(shape.source_type)
    if event_date is not None:
        # A row without its event date cannot be used: ingest should quarantine it.
        undated = rng.random(len(source)) < quality.event_date_missing
        event_dates[undated] = np.datetime64("NaT")
        table[event_date] = event_dates
        for i in np.flatnonzero(undated):
            errors[i] = ";".join(filter(None, (errors[i], "event_date_missing")))
    return Extract(
        shape=shape,
        header=tuple(col for col, _ in shape.columns),
        rows=render_rows(shape, table),
        record_ids=record_ids,
        person_index=person,
        duplicate_of=duplicate_of,
        errors=errors,
        registration=[
            "" if r < 0 else f"{shape.partner}:{r + 1:07d}" for r in identity_no.tolist()
        ],
    )


def _registrations(
    rng: np.random.Generator, person: np.ndarray, duplicate_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of a partner that keeps a person index, each given the registration it was filed under.

    Most people are registered once; ``duplicate_rate`` of them twice. A person registered
    twice with several rows has them split between the two registrations; with one row, that
    row is entered again under the second. Returns (source row, original row or -1,
    registration number) for every row written.
    """
    n = len(person)
    people, first, inverse = np.unique(person, return_index=True, return_inverse=True)
    twice = rng.random(len(people)) < duplicate_rate
    rows = np.bincount(inverse, minlength=len(people))
    split = twice & (rows >= 2)
    second = split[inverse] & (rng.random(n) < 0.5)
    # Both registrations of a split person keep at least one row.
    on_second = np.bincount(inverse, weights=second.astype(float), minlength=len(people))
    last = np.zeros(len(people), dtype=np.int64)
    np.maximum.at(last, inverse, np.arange(n))
    second[last[split & (on_second == 0)]] = True
    second[first[split & (on_second == rows)]] = False
    registration = 2 * inverse + second
    # One-row people registered twice: the row is entered again under the second registration.
    copied = first[twice & (rows == 1)]
    source = np.concatenate([np.arange(n), copied])
    original = np.concatenate([np.full(n, -1), copied])
    registration = np.concatenate([registration, 2 * inverse[copied] + 1])
    # Number registrations densely in order of first appearance.
    _, dense = np.unique(registration, return_inverse=True)
    return source, original, dense


_EVENT_DATES = {
    "asc.client": "referral_date",
    "fire.incident": "incident_date",
    "fire.safe_and_well_visit": "visit_date",
    "police.mh_incident": "incident_date",
    "mh_trust.crisis_contact": "contact_date",
    "ambulance.mh_callout": "callout_date",
}


def _stream_fields(
    rng: np.random.Generator, pop: Population, shape: ExtractShape, events: Events
) -> tuple[EventStream, dict[str, np.ndarray]]:
    """The event stream behind an extract and its partner-specific columns (canonical values)."""
    ad, hh = pop.addresses, pop.households
    if shape.source_type == "asc.client":
        s = events.asc_clients
        return s, dict(s.fields)
    if shape.source_type == "fire.incident":
        s = events.fire_incidents
        incident = s.fields["incident"]
        # Incident numbers run in date order, prefixed by the year: WFR/2021/000042.
        first_row = np.unique(incident, return_index=True)[1]
        by_date = np.argsort(s.day[first_row], kind="stable")
        rank = np.empty(len(by_date), dtype=np.int64)
        rank[by_date] = np.arange(len(by_date))
        year = (pop.start + s.day.astype("timedelta64[D]")).astype("datetime64[Y]").astype(
            int
        ) + 1970
        incident_rank = rank[np.searchsorted(np.unique(incident), incident)]
        ids = np.array(
            [
                f"WFR/{y}/{r + 1:06d}"
                for y, r in zip(year.tolist(), incident_rank.tolist(), strict=True)
            ],
            dtype=object,
        )
        district = ad.district[hh.address[pop.people.household[s.person]]]
        station = np.char.add("Station ", district.astype(str)).astype(object)
        return s, {**s.fields, "incident_id": ids, "Station": station}
    if shape.source_type == "fire.safe_and_well_visit":
        s = events.safe_and_well
        return s, dict(s.fields)
    if shape.source_type == "police.mh_incident":
        s = events.police
        kind = s.fields["incident_type"]
        narrative = np.empty(len(kind), dtype=object)
        for label, texts in _NARRATIVES.items():
            mask = kind == label
            narrative[mask] = np.array(texts, dtype=object)[
                rng.integers(0, len(texts), int(mask.sum()))
            ]
        district = ad.district[hh.address[pop.people.household[s.person]]]
        beat = np.char.add(
            np.char.add("WS", district.astype(str)),
            np.array(list("ABCD"))[rng.integers(0, 4, len(kind))],
        ).astype(object)
        return s, {**s.fields, "narrative": narrative, "Beat": beat}
    if shape.source_type == "mh_trust.crisis_contact":
        s = events.crisis_contacts
        bed_days = np.where(s.fields["bed_days"] > 0, s.fields["bed_days"].astype(str), "").astype(
            object
        )
        return s, {**s.fields, "bed_days": bed_days}
    if shape.source_type == "nhs.over65_register":
        s = events.register
        district = ad.district[hh.address[pop.people.household[s.person]]]
        number = rng.integers(1, 4, len(s.person))
        practice = np.array(
            [f"W8{d:02d}{k}" for d, k in zip(district.tolist(), number.tolist(), strict=True)],
            dtype=object,
        )
        return s, {"gp_practice": practice}
    if shape.source_type == "ambulance.mh_callout":
        s = events.ambulance
        category = np.array(["C1", "C2", "C3", "C4"], dtype=object)[
            rng.choice(4, len(s.person), p=[0.05, 0.45, 0.4, 0.1])
        ]
        return s, {**s.fields, "Category": category}
    if shape.source_type == "person":
        # The council's single person discount list: every adult who lives alone, as at the
        # end of the window, with the property's council tax band.
        p = pop.people
        alone = np.flatnonzero(p.lives_alone & (p.age >= 18))
        s = EventStream(alone, np.full(len(alone), pop.days - 1), {})
        band = np.array(list("ABCDEFGH"), dtype=object)[
            rng.choice(8, len(alone), p=[0.2, 0.2, 0.22, 0.15, 0.1, 0.07, 0.05, 0.01])
        ]
        return s, {"Band": band}
    raise ValueError(f"no event stream for source type {shape.source_type}")  # pragma: no cover


def generate(config: SynthConfig, progress: Progress | None = None) -> Partnership:
    """A synthetic partnership for ``config``: the same config always gives the same data."""
    config.validate()
    rng = np.random.default_rng(config.seed)
    say = progress or (lambda _step: None)
    say("people and households")
    population = populate(config, rng)
    say("events")
    events = simulate(config, population, rng)
    extracts = []
    for shape in EXTRACT_SHAPES:
        say(f"extract {shape.key}")
        # Each extract draws from its own stream so that changing one partner's quality
        # settings leaves every other extract exactly as it was.
        child = np.random.default_rng([config.seed, EXTRACT_SHAPES.index(shape) + 1])
        stream, fields = _stream_fields(child, population, shape, events)
        extracts.append(_extract(child, config, population, shape, stream, fields))
    return Partnership(
        config=config,
        organisations=ORGANISATIONS,
        extracts=tuple(extracts),
        population=population,
        events=events,
    )
