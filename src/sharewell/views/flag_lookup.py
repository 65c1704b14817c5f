"""Point-of-contact flag lookup (in the style of NHS CP-IS): identify safely, or say so."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

__all__ = [
    "CandidateRecord",
    "Flag",
    "Identification",
    "LookupQuery",
    "flags_for",
    "identify",
]


@dataclass(frozen=True)
class LookupQuery:
    """The details a frontline worker has, already normalised like ingested records."""

    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    # the canonical given names a record of this person may hold (nicknames resolved, one per
    # sex: Charlie is Charles or Charlotte); empty means the given name itself
    given_name_forms: frozenset[str] = frozenset()

    def given_name_matches(self, recorded: str | None) -> bool:
        """Whether a record's canonical given name is one this query's given name may be."""
        return recorded in (self.given_name_forms or {self.given_name})

    def has_enough_detail(self) -> bool:
        """An NHS number, or family name and date of birth with a given name or postcode."""
        if self.nhs_number:
            return True
        return bool(self.family_name and self.date_of_birth and (self.given_name or self.postcode))


@dataclass(frozen=True, slots=True)  # a county's million of these are held in memory
class CandidateRecord:
    """One linked record of a person that a lookup may match against."""

    person_id: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    postcode: str | None
    nhs_number: str | None


@dataclass(frozen=True)
class Identification:
    """Who the lookup identified (or None) and why, in words the worker can act on."""

    person_id: str | None
    reason: str
    matched_on: tuple[str, ...] = ()

    @property
    def identified(self) -> bool:
        """Whether exactly one person was identified."""
        return self.person_id is not None


@dataclass(frozen=True)
class Flag:
    """A flag the agreement lets the worker see: what, whose, and whom to contact."""

    name: str
    label: str
    owner: str
    contact: str | None = None


NOT_ENOUGH = (
    "not identified: give an NHS number, or family name and date of birth with a given name "
    "or postcode"
)


def _matches(query: LookupQuery, record: CandidateRecord) -> tuple[str, ...] | None:
    """The fields on which ``record`` agrees with the query, or None if it contradicts it."""
    if query.nhs_number:
        if record.nhs_number != query.nhs_number:
            return None
        fields = ["nhs_number"]
        # A contradicting date of birth means a wrong or reused number: do not guess.
        if query.date_of_birth and record.date_of_birth not in (None, query.date_of_birth):
            return None
        if query.date_of_birth and record.date_of_birth == query.date_of_birth:
            fields.append("date_of_birth")
        return tuple(fields)
    if record.family_name != query.family_name or record.date_of_birth != query.date_of_birth:
        return None
    fields = ["family_name", "date_of_birth"]
    if query.given_name:
        # Twins share everything but the given name: when it is given, it must agree.
        if not query.given_name_matches(record.given_name):
            return None
        fields.append("given_name")
    if query.postcode:
        if record.postcode != query.postcode and not query.given_name:
            return None
        if record.postcode == query.postcode:
            fields.append("postcode")
    return tuple(fields)


def identify(query: LookupQuery, candidates: Iterable[CandidateRecord]) -> Identification:
    """Identify exactly one person from ``candidates``, or explain why not (never a guess)."""
    if not query.has_enough_detail():
        return Identification(None, NOT_ENOUGH)
    matched: dict[str, tuple[str, ...]] = {}
    for record in candidates:
        fields = _matches(query, record)
        if fields is not None and len(fields) > len(matched.get(record.person_id, ())):
            matched[record.person_id] = fields
    if not matched:
        return Identification(None, "not identified: no one matches these details")
    if len(matched) > 1:
        return Identification(
            None,
            f"not identified: {len(matched)} people match these details; add more detail "
            "(NHS number, given name or postcode)",
        )
    ((person_id, fields),) = matched.items()
    return Identification(person_id, "identified", fields)


def flags_for(person_flags: Sequence[Flag], granted: Iterable[str]) -> list[Flag]:
    """Only the flags whose names the agreement granted, in a stable order."""
    allowed = set(granted)
    return sorted((f for f in person_flags if f.name in allowed), key=lambda f: (f.owner, f.name))
