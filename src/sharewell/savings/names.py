"""Names of organisations and places, from the partnership rather than written into the code."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["place_of", "short_name"]


def place_of(names: Sequence[str]) -> str:
    """The place every organisation's name shares (e.g. the county), or '' if none."""
    sets = [set(n.split()) for n in names]
    if not sets:
        return ""
    common = set.intersection(*sets) - {"NHS", "Trust", "Service", "and", "of", "the"}
    return " ".join(w for w in names[0].split() if w in common)


def short_name(name: str, place: str) -> str:
    """An organisation's name without the place and NHS wording, for chart labels."""
    out = name.replace(place, "") if place else name
    out = out.replace("Integrated Care Board", "ICB").replace(" NHS Trust", "")
    out = out.replace("NHS ", "").replace(" and Rescue Service", " and Rescue")
    return " ".join(out.split()) or name
