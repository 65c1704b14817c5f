"""The county's addresses: streets grouped by postcode, blocks of flats, towns and UPRNs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharewell.synth.identifiers import postcode_units, uprns
from sharewell.synth.names import STREET_NAMES, STREET_SUFFIXES, TOWNS

__all__ = ["Addresses", "build_addresses"]

_ADDRESSES_PER_POSTCODE = 14


@dataclass(frozen=True)
class Addresses:
    """Every address in the county (column arrays, one element per address)."""

    uprn: np.ndarray
    line: np.ndarray  # "Flat 3, 22 Mill Lane"
    town: np.ndarray
    postcode: np.ndarray
    district: np.ndarray
    deprivation: np.ndarray  # standardised: higher is more deprived
    imd_decile: np.ndarray  # 1 most deprived .. 10 least, as published


def build_addresses(rng: np.random.Generator, count: int) -> Addresses:
    """``count`` addresses: streets, flats and towns by postcode, each with a UPRN."""
    units = -(-count // _ADDRESSES_PER_POSTCODE)
    districts = int(np.clip(count // 3000, 3, 99))
    unit_postcode = postcode_units(rng, units, districts)
    unit_district = np.arange(units) * districts // units + 1
    unit = np.arange(count) // _ADDRESSES_PER_POSTCODE
    within = np.arange(count) % _ADDRESSES_PER_POSTCODE
    # Each postcode is one street; some are blocks of flats.
    street = np.char.add(
        np.char.add(np.array(STREET_NAMES)[rng.integers(0, len(STREET_NAMES), units)], " "),
        np.array(STREET_SUFFIXES)[rng.integers(0, len(STREET_SUFFIXES), units)],
    )
    flats = rng.random(units) < 0.15
    first_number = rng.integers(1, 120, units)
    number = np.where(flats[unit], first_number[unit], first_number[unit] + 2 * within)
    houses = np.char.add(np.char.add(number.astype(str), " "), street[unit])
    flat_prefix = np.char.add(np.char.add("Flat ", (within + 1).astype(str)), ", ")
    line = np.where(flats[unit], np.char.add(flat_prefix, houses), houses).astype(object)
    district = unit_district[unit]
    # Deprivation varies by postcode sector (district + first inward digit), as IMD does by area.
    sector = district * 10 + (unit % 10)
    sector_decile = rng.integers(1, 11, size=int(sector.max()) + 1)
    decile = sector_decile[sector]
    return Addresses(
        uprn=uprns(rng, count).astype(object),
        line=line,
        town=np.array(TOWNS, dtype=object)[(district - 1) % len(TOWNS)],
        postcode=unit_postcode[unit],
        district=district,
        deprivation=(5.5 - decile) / 2.87,
        imd_decile=decile,
    )
