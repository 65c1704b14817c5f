"""What a person's agreements let them use, to decide what pages offer them (pure).

Pages offer only what would be allowed: a fire officer is not shown the crisis cohort, a
police officer's lookup offers only the purposes police agreements cover. This asks the one
policy function, ``decide``, the questions the views will ask; it reads nothing and audits
nothing, because it reads no one's data. The views still decide and audit every real read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time

from sharewell.agreements import AccessRequest, Agreement, Level, decide
from sharewell.partnership import PURPOSES
from sharewell.views.crisis_care import CRISIS_SOURCES
from sharewell.views.crisis_care import IDENTITY as CRISIS_IDENTITY
from sharewell.views.crisis_care import PURPOSE as CRISIS_PURPOSE
from sharewell.views.lookup_policy import decide_lookup
from sharewell.views.safe_and_well import FLAG_FACTORS, REGISTERS
from sharewell.views.safe_and_well import IDENTITY as FIRE_IDENTITY
from sharewell.views.safe_and_well import PURPOSE as FIRE_PURPOSE
from sharewell.web.roles import Principal

__all__ = [
    "VIEWS",
    "View",
    "granted_sources",
    "lookup_purposes",
    "may_read_any",
    "views_allowed",
]

# One read a view makes: which kind of data, at which level, which fields.
Read = tuple[str, Level, Sequence[str]]


class View:
    """A front-line view: its purpose, the reads without which it shows nothing, its sources."""

    def __init__(self, purpose: str, needs: Sequence[Read], sources: Sequence[str]) -> None:
        self.purpose, self.needs, self.sources = purpose, tuple(needs), tuple(sources)


VIEWS: dict[str, View] = {
    # The list is built from the registers of who lives where; without one it is empty.
    "safe_and_well": View(
        FIRE_PURPOSE,
        [(source, "identifiable", FIRE_IDENTITY) for source in REGISTERS],
        [*REGISTERS, "fire.safe_and_well_visit", "fire.incident", *FLAG_FACTORS],
    ),
    "crisis_cohort": View(
        CRISIS_PURPOSE,
        [(source, "identifiable", CRISIS_IDENTITY) for source in CRISIS_SOURCES],
        list(CRISIS_SOURCES),
    ),
}


def _request(principal: Principal, purpose: str, read: Read) -> AccessRequest:
    source, level, fields = read
    return AccessRequest(
        user=principal.name,
        organisation=principal.organisation,
        role=principal.role,
        purpose=purpose,
        dataset=source,
        fields=tuple(fields),
        level=level,
    )


def may_read_any(
    agreements: Sequence[Agreement],
    principal: Principal,
    purpose: str,
    reads: Iterable[Read],
    at: date,
) -> bool:
    """Whether the policy would allow at least one of ``reads`` for ``purpose`` today."""
    return any(decide(_request(principal, purpose, r), agreements, at).allowed for r in reads)


def views_allowed(agreements: Sequence[Agreement], principal: Principal, at: date) -> set[str]:
    """The front-line views (``VIEWS`` keys, and ``lookup``) this person's agreements open."""
    found = {
        name
        for name, view in VIEWS.items()
        if may_read_any(agreements, principal, view.purpose, view.needs, at)
    }
    if lookup_purposes(agreements, principal, at):
        found.add("lookup")
    return found


def _grants(agreements: Sequence[Agreement], principal: Principal, purpose: str) -> list[Read]:
    return [
        (grant.source_type, grant.level, grant.fields)
        for agreement in agreements
        for recipient in agreement.recipients
        if recipient.organisation == principal.organisation and purpose in recipient.purposes
        for grant in recipient.datasets
    ]


def granted_sources(
    agreements: Sequence[Agreement],
    principal: Principal,
    purpose: str,
    at: date,
    level: Level | None = None,
) -> list[str]:
    """Kinds of data this person may read for ``purpose`` today (at ``level``, if given)."""
    return sorted(
        {
            read[0]
            for read in _grants(agreements, principal, purpose)
            if (level is None or read[1] == level)
            and decide(_request(principal, purpose, read), agreements, at).allowed
        }
    )


def lookup_purposes(agreements: Sequence[Agreement], principal: Principal, at: date) -> list[str]:
    """The purposes the flag lookup would allow this person, in the partnership's order.

    The lookup's own decision (``decide_lookup``), asked for each purpose, so the form offers
    exactly what a lookup would be allowed.
    """
    when = datetime.combine(at, time(12), tzinfo=UTC)
    return [
        p
        for p in PURPOSES
        if decide_lookup(
            agreements,
            organisation=principal.organisation,
            role=principal.role,
            active=True,
            purpose=p,
            username=principal.name,
            at=when,
        ).allowed
    ]
