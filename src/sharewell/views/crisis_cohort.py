"""The mental health crisis cohort: people in repeated crisis across agencies, with timelines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "CRISIS_EVENT_KINDS",
    "CohortMember",
    "CrisisEvent",
    "contacts_by_agency",
    "crisis_cohort",
]

# What counts as a crisis contact, by the source type and category that records it.
CRISIS_EVENT_KINDS: dict[str, str] = {
    "mental_health": "police mental health incident",
    "section_136": "Section 136 detention",
    "concern_for_welfare": "police concern for welfare",
    "crisis_team": "crisis team contact",
    "admission": "mental health admission",
    "ae_attendance": "A&E attendance (mental health)",
    "safe_haven_referral": "safe haven referral",
    "conveyed_ae": "ambulance call-out, conveyed to A&E",
    "treated_on_scene": "ambulance call-out, treated on scene",
    "referred": "ambulance call-out, referred on",
    "no_further_action": "ambulance call-out, no further action",
}

# A referral is a response to crisis, not a crisis: it shows on the timeline but is not counted.
NOT_A_CRISIS = frozenset({"safe_haven_referral"})


@dataclass(frozen=True)
class CrisisEvent:
    """One agency's record of a crisis event for a linked person."""

    person_id: str
    event_date: date
    agency: str  # the organisation that recorded it
    kind: str  # a key of CRISIS_EVENT_KINDS

    @property
    def description(self) -> str:
        """The event in plain words."""
        return CRISIS_EVENT_KINDS.get(self.kind, self.kind.replace("_", " "))


@dataclass(frozen=True)
class CohortMember:
    """A person in repeated crisis: counts, the agencies involved, and the whole timeline."""

    person_id: str
    crisis_contacts: int
    agencies: tuple[str, ...]
    first_contact: date
    last_contact: date
    referred_to_safe_haven: bool
    timeline: tuple[CrisisEvent, ...]


def crisis_cohort(
    events: Iterable[CrisisEvent],
    *,
    as_of: date,
    window_days: int = 365,
    min_contacts: int = 3,
    min_agencies: int = 1,
) -> list[CohortMember]:
    """People with at least ``min_contacts`` crisis contacts in the window, most contacts first.

    The timeline holds every event of the person in the window, from every agency the caller
    was allowed to read (the policy decides that before the events reach this function).
    """
    start = as_of - timedelta(days=window_days)
    by_person: dict[str, list[CrisisEvent]] = defaultdict(list)
    for event in events:
        if start <= event.event_date <= as_of:
            by_person[event.person_id].append(event)

    cohort: list[CohortMember] = []
    for person_id, person_events in by_person.items():
        crises = [e for e in person_events if e.kind not in NOT_A_CRISIS]
        agencies = tuple(sorted({e.agency for e in crises}))
        if len(crises) < min_contacts or len(agencies) < min_agencies:
            continue
        timeline = tuple(sorted(person_events, key=lambda e: (e.event_date, e.agency, e.kind)))
        cohort.append(
            CohortMember(
                person_id=person_id,
                crisis_contacts=len(crises),
                agencies=agencies,
                first_contact=min(e.event_date for e in crises),
                last_contact=max(e.event_date for e in crises),
                referred_to_safe_haven=any(e.kind == "safe_haven_referral" for e in timeline),
                timeline=timeline,
            )
        )
    cohort.sort(key=lambda m: (-m.crisis_contacts, -len(m.agencies), m.person_id))
    return cohort


def contacts_by_agency(cohort: Sequence[CohortMember]) -> dict[str, int]:
    """Crisis contacts of the cohort per agency, for service planning (before suppression)."""
    counts: dict[str, int] = defaultdict(int)
    for member in cohort:
        for event in member.timeline:
            if event.kind not in NOT_A_CRISIS:
                counts[event.agency] += 1
    return dict(sorted(counts.items()))
