"""Names people read instead of codes: organisations, kinds of data, purposes, levels, dates.

Pages show "Westshire Police" and "Police incidents involving mental health", never
``westshire_police`` or ``police.mh_incident``; the codes stay in the API and the CLI.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from sqlalchemy import Engine

from sharewell.ingest.source_types import load_source_types
from sharewell.partnership import DEFAULT_PURPOSES, list_organisations

__all__ = [
    "LEVEL_NAMES",
    "long_date",
    "organisation_names",
    "purpose_name",
    "source_name",
]

# Access levels as a data owner would say them, least revealing first.
LEVEL_NAMES = {
    "aggregate_only": "counts only",
    "flag_only": "yes/no flags",
    "pseudonymised": "pseudonymised records",
    "identifiable": "named records",
}


def organisation_names(engine: Engine) -> dict[str, str]:
    """Organisation slug to its name, for every organisation of the partnership."""
    return {org.slug: org.name for org in list_organisations(engine)}


@cache
def _source_titles() -> dict[str, str]:
    return {name: st.title for name, st in load_source_types().items()}


def source_name(source_type: str | None) -> str:
    """A kind of data as people say it ("Police incidents involving mental health")."""
    if not source_type:
        return "–"
    return _source_titles().get(source_type, source_type.replace("_", " "))


def purpose_name(purpose: str | None) -> str:
    """A purpose's title ("Mental health crisis care"), or its words if unknown."""
    if not purpose:
        return "–"
    titles: dict[str, str] = {p.slug: p.title for p in DEFAULT_PURPOSES}
    return titles.get(purpose, purpose.replace("_", " ").capitalize())


def long_date(value: date | datetime | str | None) -> str:
    """A date as GOV.UK writes it: 31 December 2024 (a time, if any, is left off)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day} {value:%B %Y}"
