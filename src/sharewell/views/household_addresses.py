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
from typing import Any

import duckdb
import pyarrow as pa

from sharewell.views.safe_and_well import REGISTERS, Household

__all__ = ["ADDRESS_SOURCES", "addresses_from", "records_to_reveal"]

# Most trusted first, as the list takes identity: the registers, then the fire service's own.
ADDRESS_SOURCES = (*REGISTERS, "fire.safe_and_well_visit", "fire.incident")


def records_to_reveal(
    conn: duckdb.DuckDBPyConnection,
    households: Sequence[Household],
    sources: Sequence[str] = ADDRESS_SOURCES,
) -> dict[str, list[str]]:
    """Household id -> pseudonymous ids of its members' records at that home, best first."""
    wanted = {
        h.household_id[len("hh:") :]: h
        for h in households
        if h.household_id.startswith("hh:") and h.address is None
    }
    members = [(p.person_id, pseudo) for pseudo, h in wanted.items() for p in h.risk.people]
    if not members:
        return {}
    conn.register(
        "sw_visit_members",
        pa.table(
            {
                "person_id": pa.array([m[0] for m in members], pa.string()),
                "household_pseudonym": pa.array([m[1] for m in members], pa.string()),
            }
        ),
    )
    try:
        # Only records that carry this very household's pseudonym: a member's record from an
        # earlier home would reveal an address the crew does not need.
        rows = conn.execute(
            "SELECT m.household_pseudonym, i.unique_id, r.source FROM sw_visit_members m "
            "JOIN person_index i USING (person_id) "
            "JOIN person_records r USING (unique_id) "
            "JOIN household_keys k ON k.unique_id = i.unique_id "
            "AND k.household_pseudonym = m.household_pseudonym "
            f"WHERE r.source IN ({', '.join('?' for _ in sources)}) ORDER BY 2",
            list(sources),
        ).fetchall()
    finally:
        conn.unregister("sw_visit_members")
    rank = {s: i for i, s in enumerate(sources)}
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pseudo, unique_id, source in rows:
        out[wanted[pseudo].household_id].append((rank[source], unique_id))
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
