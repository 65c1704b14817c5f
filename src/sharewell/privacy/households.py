"""What a visit list needs, without identity: a keyed household pseudonym and an age band.

In PPRL mode the hub holds no address or date of birth, yet the fire service's Safe and
Well list groups people into households and weighs their age. The partner therefore emits,
beside its encodings, a keyed pseudonym of where the person lives (HMAC of the UPRN, or of
the normalised address and postcode where there is no UPRN) and a five-year age band at a
stated date. The hub learns who lives with whom and roughly how old they are; never where,
nor a date. See docs/privacy.md ("Households and ages for the visit list").
"""

from __future__ import annotations

import hmac
from datetime import date

from sharewell.privacy.keys import SecretKey
from sharewell.privacy.normalise import PersonIdentifiers

__all__ = [
    "AGE_BAND_FLOOR",
    "AGE_BAND_TOP",
    "AGE_BAND_WIDTH",
    "age_band",
    "age_band_floor",
    "household_pseudonym",
    "person_household",
]

# Five-year bands nest inside the fire risk weights' bands (65, 75, 85), so a band scores
# exactly as the age it hides; everyone under 50 (no age weight) shares one band, and 90+
# one more, because the oldest ages are the rarest and so the most identifying.
AGE_BAND_WIDTH = 5
AGE_BAND_FLOOR = 50
AGE_BAND_TOP = 90


def household_pseudonym(
    key: SecretKey, *, uprn: str | None, address: str | None, postcode: str | None
) -> str | None:
    """The keyed pseudonym of a home (hex); None when neither UPRN nor address+postcode.

    Takes the values as ingest normalises them, so a partner and anyone holding the key
    derive the same pseudonym for the same home; the hub, without the key, cannot.
    """
    if uprn:
        plain = f"uprn\x1f{uprn}"
    elif address and postcode:
        plain = f"address\x1f{postcode}|{address}"
    else:
        return None
    # 128 bits: no two homes of a country collide, and the value is short to show a crew.
    return hmac.digest(key.subkey("household"), plain.encode(), "sha256")[:16].hex()


def person_household(person: PersonIdentifiers, key: SecretKey) -> str | None:
    """The household pseudonym of one normalised record."""
    return household_pseudonym(
        key, uprn=person.uprn, address=person.address, postcode=person.postcode
    )


def age_band(date_of_birth: str | None, as_of: date) -> str | None:
    """The age band ('85-89', 'under 50', '90+') at ``as_of`` of an ISO date of birth."""
    if not date_of_birth:
        return None
    born = date.fromisoformat(date_of_birth)
    age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    if age < 0:
        return None  # born after the reference date: no age to band
    if age < AGE_BAND_FLOOR:
        return f"under {AGE_BAND_FLOOR}"
    if age >= AGE_BAND_TOP:
        return f"{AGE_BAND_TOP}+"
    low = age - age % AGE_BAND_WIDTH
    return f"{low}-{low + AGE_BAND_WIDTH - 1}"


def age_band_floor(band: str) -> int:
    """The youngest age in a band written by ``age_band`` (what the risk weights score)."""
    if band.startswith("under "):
        return 0
    return int(band.rstrip("+").split("-")[0])
