"""Addresses for a PPRL visit list: the hub names records, their providers reveal the address.

In PPRL mode the Safe and Well list ranks household pseudonyms; the hub holds no address.
For the households a crew will visit, the hub picks the records that carry each household's
pseudonym in the sources the agreement grants the fire service at the identifiable level,
and passes their pseudonymous ids (``partner:source:record_id``) to each provider. The
provider reveals the address with ``sharewell pprl reveal`` (audited); the fire service's
own records it reads itself. ``addresses_from`` then joins what came back to the households.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
from sqlalchemy import Engine

from sharewell.errors import AccessDenied
from sharewell.views.linked_reads import linked_read
from sharewell.views.safe_and_well import REGISTERS, Household

__all__ = ["ADDRESS_SOURCES", "addresses_from", "records_to_reveal"]

# Most trusted first, as the list takes identity: the registers, then the fire service's own.
ADDRESS_SOURCES = (*REGISTERS, "fire.safe_and_well_visit", "fire.incident")


def records_to_reveal(
    engine: Engine,
    conn: duckdb.DuckDBPyConnection,
    *,
    username: str,
    households: Sequence[Household],
    as_of: date,
    sources: Sequence[str] = ADDRESS_SOURCES,
) -> dict[str, list[str]]:
    """Household id -> pseudonymous ids of its members' records at that home, best first.

    Each source is one governed read (``fire_prevention``, the address at the identifiable
    level, whose PPRL stand-in is the household pseudonym) of the members' records, so only
    a user granted the address learns which records hold it; a source the user is not
    granted is left out (its refusal is audited).
    """
    wanted = {
        h.household_id[len("hh:") :]: h
        for h in households
        if h.household_id.startswith("hh:") and h.address is None
    }
    home_of = {p.person_id: pseudo for pseudo, h in wanted.items() for p in h.risk.people}
    if not home_of:
        return {}
    rank = {s: i for i, s in enumerate(sources)}
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for source in sources:
        try:
            result = linked_read(
                engine,
                conn,
                username=username,
                purpose="fire_prevention",
                source=source,
                level="identifiable",
                fields=["address"],
                as_of=as_of,
                person_ids=sorted(home_of),
                record_ids=True,
            )
        except AccessDenied:
            continue
        for row in result.rows:
            # Only records that carry this very household's pseudonym: a member's record from
            # an earlier home would reveal an address the crew does not need.
            pseudo = row.get("household_pseudonym")
            if pseudo is not None and pseudo == home_of.get(row["person_id"]):
                out[wanted[pseudo].household_id].append((rank[source], row["unique_id"]))
    return {h: [u for _, u in sorted(ids)] for h, ids in out.items()}


def addresses_from(
    to_reveal: Mapping[str, Sequence[str]], revealed: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    """Household id -> 'address, postcode' from the first of its records that was revealed."""
    out = {}
    for household, ids in to_reveal.items():
        for unique_id in ids:
            row = revealed.get(unique_id)
            if row and row.get("address"):
                postcode = row.get("postcode")
                out[household] = f"{row['address']}, {postcode}" if postcode else row["address"]
                break
    return out
