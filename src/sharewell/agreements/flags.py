"""Flags: derived true/false facts a ``flag_only`` grant shares instead of the record itself.

A fire crew learns ``mh_crisis_contact_last_12m: true``, never the diagnosis or the police
narrative behind it. Each flag says which source types it can be derived from and which of
their columns it reads, so validation can tell whether it is special category data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

__all__ = ["FLAGS", "Flag", "derive_flags"]

Events = Sequence[Mapping[str, Any]]
Rule = Callable[[str, Events, date], bool]

# Event date column of each source type that flags look back over.
_EVENT_DATE = {
    "asc.client": "referral_date",
    "fire.incident": "incident_date",
    "fire.safe_and_well_visit": "visit_date",
    "police.mh_incident": "incident_date",
    "mh_trust.crisis_contact": "contact_date",
    "ambulance.mh_callout": "callout_date",
}
_MH_SOURCES = ("police.mh_incident", "mh_trust.crisis_contact", "ambulance.mh_callout")


@dataclass(frozen=True)
class Flag:
    """A derived boolean, where it may come from, and the columns it reads."""

    name: str
    description: str
    reads: Mapping[str, tuple[str, ...]]  # source type -> columns read
    special: Literal["health", "criminal", "none"]
    rule: Rule

    @property
    def source_types(self) -> tuple[str, ...]:
        """Source types this flag can be derived from."""
        return tuple(self.reads)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


def _recent(
    days: int, where: Callable[[Mapping[str, Any]], bool] = lambda _r: True, at_least: int = 1
) -> Rule:
    def rule(source: str, events: Events, as_of: date) -> bool:
        column = _EVENT_DATE[source]
        since = as_of - timedelta(days=days)
        hits = 0
        for event in events:
            when = _as_date(event.get(column))
            if when is not None and since < when <= as_of and where(event):
                hits += 1
        return hits >= at_least

    return rule


def _any_true(column: str) -> Rule:
    return lambda _s, events, _d: any(
        e.get(column) is True or e.get(column) == "true" for e in events
    )


def _present(_source: str, events: Events, _as_of: date) -> bool:
    return len(events) > 0


def _has_care_package(_source: str, events: Events, _as_of: date) -> bool:
    return any(e.get("care_package") not in (None, "", "none") for e in events)


def _flag(
    name: str,
    description: str,
    reads: Mapping[str, tuple[str, ...]],
    special: Literal["health", "criminal", "none"],
    rule: Rule,
) -> Flag:
    return Flag(name=name, description=description, reads=reads, special=special, rule=rule)


FLAGS: dict[str, Flag] = {
    f.name: f
    for f in (
        _flag(
            "mh_crisis_contact_last_12m",
            "A mental health crisis contact (police, trust or ambulance) in the last 12 months.",
            {s: (_EVENT_DATE[s],) for s in _MH_SOURCES},
            "health",
            _recent(365),
        ),
        _flag(
            "repeat_mh_crisis_last_12m",
            "Three or more mental health crisis contacts from one service in the last 12 months.",
            {s: (_EVENT_DATE[s],) for s in _MH_SOURCES},
            "health",
            _recent(365, at_least=3),
        ),
        _flag(
            "section_136_last_12m",
            "Detained under section 136 of the Mental Health Act in the last 12 months.",
            {"police.mh_incident": ("incident_date", "incident_type")},
            "health",
            _recent(365, lambda e: e.get("incident_type") == "section_136"),
        ),
        _flag(
            "mh_admission_last_12m",
            "Admitted to a mental health inpatient bed in the last 12 months.",
            {"mh_trust.crisis_contact": ("contact_date", "contact_type")},
            "health",
            _recent(365, lambda e: e.get("contact_type") == "admission"),
        ),
        _flag(
            "lives_alone",
            "Adult social care records that the person lives alone.",
            {"asc.client": ("lives_alone",)},
            "none",
            _any_true("lives_alone"),
        ),
        _flag(
            "reduced_mobility",
            "Adult social care records reduced mobility.",
            {"asc.client": ("reduced_mobility",)},
            "health",
            _any_true("reduced_mobility"),
        ),
        _flag(
            "hoarding_concern",
            "Adult social care records a hoarding concern.",
            {"asc.client": ("hoarding_concern",)},
            "health",
            _any_true("hoarding_concern"),
        ),
        _flag(
            "receives_care_package",
            "Receives an adult social care package of any kind.",
            {"asc.client": ("care_package",)},
            "health",
            _has_care_package,
        ),
        _flag(
            "on_over65_register",
            "On the NHS register of people aged 65 and over.",
            {"nhs.over65_register": ()},
            "none",
            _present,
        ),
        _flag(
            "smoker_in_household",
            "A Safe and Well visit found someone in the household smokes.",
            {"fire.safe_and_well_visit": ("smoker",)},
            "none",
            _any_true("smoker"),
        ),
        _flag(
            "safe_and_well_visit_last_12m",
            "Had a Safe and Well visit in the last 12 months.",
            {"fire.safe_and_well_visit": ("visit_date",)},
            "none",
            _recent(365),
        ),
        _flag(
            "dwelling_fire_last_5y",
            "Involved in a dwelling fire in the last five years.",
            {"fire.incident": ("incident_date", "incident_type")},
            "none",
            _recent(5 * 365, lambda e: e.get("incident_type") == "dwelling_fire"),
        ),
    )
}


def derive_flags(
    source_type: str, flags: Sequence[str], events: Events, as_of: date
) -> dict[str, bool]:
    """One person's flags from their events of one source type (pure; unknown flags raise)."""
    derived: dict[str, bool] = {}
    for name in flags:
        flag = FLAGS[name]
        if source_type not in flag.reads:
            raise ValueError(f"flag {name} cannot be derived from {source_type}")
        derived[name] = flag.rule(source_type, events, as_of)
    return derived
