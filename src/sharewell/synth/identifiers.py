"""Synthetic identifiers in valid formats: NHS numbers, postcodes and UPRNs."""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "POSTCODE_PATTERN",
    "is_valid_nhs_number",
    "nhs_numbers",
    "postcode_units",
    "uprns",
]

# Inward-code letters never include C I K M O V (Royal Mail rules).
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# The county's postcode area: a valid format, but no real area is called WX.
POSTCODE_AREA = "WX"
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
_NHS_WEIGHTS = np.arange(10, 1, -1)


def is_valid_nhs_number(value: str) -> bool:
    """True when ``value`` is ten digits whose last is the modulus 11 check digit of the rest."""
    digits = value.replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers (strings of ten digits) starting with 9.

    Numbers starting with 9 have never been issued to patients in England (which uses 4, 6 and
    7), so a synthetic number cannot be anyone's real one.
    """
    found: list[np.ndarray] = []
    have = 0
    seen: set[int] = set()
    while have < n:
        body = rng.integers(900_000_000, 1_000_000_000, size=int((n - have) * 1.15) + 16)
        digits = (body[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        check = 11 - (digits * _NHS_WEIGHTS).sum(axis=1) % 11
        check = np.where(check == 11, 0, check)
        ok = check != 10
        numbers = body[ok] * 10 + check[ok]
        _, first = np.unique(numbers, return_index=True)
        numbers = numbers[np.sort(first)]
        fresh = np.array([x for x in numbers.tolist() if x not in seen], dtype=np.int64)
        seen.update(fresh.tolist())
        found.append(fresh)
        have += len(fresh)
    return np.concatenate(found)[:n].astype(str)


def uprns(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct synthetic 12-digit Unique Property Reference Numbers (as strings)."""
    values = rng.choice(900_000_000_000, size=n, replace=False) + 100_000_000_000
    return values.astype(str)


def postcode_units(rng: np.random.Generator, n_units: int, n_districts: int) -> np.ndarray:
    """``n_units`` distinct postcodes ``WX<district> <sector><unit>``, grouped by district.

    Units are numbered so that consecutive units share a district, like neighbouring streets.
    """
    units = np.arange(n_units)
    district = units * n_districts // n_units + 1
    start = np.searchsorted(district, district)  # first unit of each unit's district
    local = units - start
    sector = local % 10
    pairs = np.array([a + b for a in _INWARD_LETTERS for b in _INWARD_LETTERS])
    pairs = pairs[rng.permutation(len(pairs))]
    letters = pairs[(local // 10) % len(pairs)]
    outward = np.char.add(POSTCODE_AREA, district.astype(str))
    inward = np.char.add(sector.astype(str), letters)
    return np.char.add(np.char.add(outward, " "), inward).astype(object)
