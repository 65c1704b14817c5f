"""How partners record people: each record's identity with that partner's typical mistakes.

Each problem is drawn independently per record at the partner's rate (``PartnerQuality``), and
every problem applied is kept as a tag so the truth file can say what went wrong where.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharewell.synth.config import PartnerQuality
from sharewell.synth.names import NICKNAMES, STREET_ABBREVIATIONS
from sharewell.synth.population import Population

__all__ = ["ERROR_TAGS", "RecordedIdentity", "record_identities"]

ERROR_TAGS = (
    "typo",
    "nickname",
    "swapped_names",
    "name_suffix",
    "dob_transposed",
    "dob_partial",
    "dob_missing",
    "address_variant",
    "stale_address",
    "postcode_missing",
    "sex_unknown",
    "uprn_missing",
    "nhs_missing",
    "nhs_typo",
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class RecordedIdentity:
    """Identity fields as a partner recorded them (one element per record) and what went wrong."""

    given_name: np.ndarray
    family_name: np.ndarray
    date_of_birth: np.ndarray  # datetime64[D], NaT when missing
    sex: np.ndarray
    address: np.ndarray
    postcode: np.ndarray
    uprn: np.ndarray
    nhs_number: np.ndarray
    errors: dict[str, np.ndarray]  # tag -> which records have that problem

    def error_tags(self) -> list[str]:
        """Each record's problems as one ``;``-separated string (empty when none)."""
        n = len(self.given_name)
        tags: list[list[str]] = [[] for _ in range(n)]
        for tag, mask in self.errors.items():
            for i in np.flatnonzero(mask):
                tags[i].append(tag)
        return [";".join(t) for t in tags]


def _typo(rng: np.random.Generator, word: str) -> str:
    """One keying slip: a letter dropped, doubled, swapped with the next, or replaced."""
    if len(word) < 3:
        return word + word[-1:]
    i = int(rng.integers(1, len(word) - 1))
    op = int(rng.integers(0, 4))
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    letter = _LETTERS[int(rng.integers(0, 26))]
    if letter == word[i].lower():
        letter = "e" if letter != "e" else "a"
    return word[:i] + letter + word[i + 1 :]


def _address_variant(rng: np.random.Generator, address: str) -> str:
    """The same address written another way, as different systems and people write it."""
    op = int(rng.integers(0, 6))
    line, _, town = address.rpartition(", ")
    if op == 0:  # abbreviate the street type
        words = line.split(" ")
        words[-1] = STREET_ABBREVIATIONS.get(words[-1], words[-1])
        return ", ".join([" ".join(words), town])
    if op == 1:  # no town
        return line
    if op == 2:  # capitals, as older systems print
        return address.upper()
    if op == 3:  # no punctuation
        return address.replace(",", "").replace("'", "")
    if op == 4 and line.startswith("Flat "):  # flat written as 3/22
        flat, _, rest = line[5:].partition(", ")
        number, _, street = rest.partition(" ")
        return f"{flat}/{number} {street}, {town}"
    return f"{line.lower()} {town.lower()}"


def record_identities(
    rng: np.random.Generator,
    pop: Population,
    person: np.ndarray,
    day: np.ndarray,
    quality: PartnerQuality,
) -> RecordedIdentity:
    """The identity a partner recorded for each (person, day), with its quality problems."""
    p, hh, ad = pop.people, pop.households, pop.addresses
    n = len(person)
    given = p.given_name[person].copy()
    family = p.family_name[person].copy()
    errors: dict[str, np.ndarray] = {}

    def chance(rate: float) -> np.ndarray:
        return rng.random(n) < rate

    # Father and son of one name: some partners add Jnr/Snr to tell them apart.
    namesake = p.namesake_of[person]
    suffix = (namesake >= 0) & chance(quality.name_suffix)
    is_son = namesake >= 0
    is_son &= p.age[person] < p.age[np.maximum(namesake, 0)]
    family[suffix] = family[suffix] + np.where(is_son[suffix], " Jnr", " Snr")
    errors["name_suffix"] = suffix

    has_nickname = np.array([g in NICKNAMES for g in given], dtype=bool)
    nickname = has_nickname & chance(quality.nickname)
    for i in np.flatnonzero(nickname):
        options = NICKNAMES[str(given[i])]
        given[i] = options[int(rng.integers(0, len(options)))]
    errors["nickname"] = nickname

    typo = chance(quality.typo)
    in_given = rng.random(n) < 0.5
    for i in np.flatnonzero(typo):
        if in_given[i]:
            given[i] = _typo(rng, str(given[i]))
        else:
            family[i] = _typo(rng, str(family[i]))
    errors["typo"] = typo

    swapped = chance(quality.swapped_names)
    given[swapped], family[swapped] = family[swapped], given[swapped].copy()
    errors["swapped_names"] = swapped

    # Dates of birth: one problem at most per record.
    dob = p.date_of_birth[person].copy()
    months = dob.astype("datetime64[M]")
    years = dob.astype("datetime64[Y]")
    month_no = (months - years).astype(int) + 1
    day_no = (dob - months).astype(int) + 1
    u = rng.random(n)
    missing = u < quality.dob_missing
    partial = ~missing & (u < quality.dob_missing + quality.dob_partial)
    band = quality.dob_missing + quality.dob_partial
    transposable = (day_no <= 12) & (day_no != month_no)
    transposed = transposable & (u >= band) & (u < band + quality.dob_transposed)
    swapped_dob = (years[transposed] + (day_no[transposed] - 1).astype("timedelta64[M]")).astype(
        "datetime64[D]"
    ) + (month_no[transposed] - 1).astype("timedelta64[D]")
    dob[transposed] = swapped_dob
    dob[partial] = years[partial].astype("datetime64[D]")
    dob[missing] = np.datetime64("NaT")
    errors.update(dob_transposed=transposed, dob_partial=partial, dob_missing=missing)

    # Address as at the record's date; after a move some partners keep the old one.
    household = p.household[person]
    moved = hh.previous_address[household] >= 0
    before_move = moved & (day < hh.moved_on[household])
    address = np.where(before_move, hh.previous_address[household], hh.address[household])
    stale = moved & ~before_move & chance(quality.stale_address)
    address = np.where(stale, hh.previous_address[household], address)
    errors["stale_address"] = stale

    text = (ad.line[address] + ", " + ad.town[address]).astype(object)
    variant = chance(quality.address_variant)
    for i in np.flatnonzero(variant):
        text[i] = _address_variant(rng, str(text[i]))
    errors["address_variant"] = variant

    postcode = ad.postcode[address].copy()
    squashed = variant & chance(0.3)  # written without the space, in lower case
    postcode[squashed] = np.array(
        [str(pc).replace(" ", "").lower() for pc in postcode[squashed]], dtype=object
    )
    postcode_missing = chance(quality.postcode_missing)
    postcode[postcode_missing] = ""
    errors["postcode_missing"] = postcode_missing

    uprn = ad.uprn[address].copy()
    uprn_missing = chance(quality.uprn_missing)
    uprn[uprn_missing] = ""
    errors["uprn_missing"] = uprn_missing

    nhs = p.nhs_number[person].copy()
    nhs_missing = chance(quality.nhs_missing)
    nhs[nhs_missing] = ""
    errors["nhs_missing"] = nhs_missing
    nhs_typo = ~nhs_missing & chance(quality.nhs_typo)
    for i in np.flatnonzero(nhs_typo):
        digits = list(str(nhs[i]))
        at = int(rng.integers(0, 10))
        digits[at] = str((int(digits[at]) + int(rng.integers(1, 10))) % 10)
        nhs[i] = "".join(digits)
    errors["nhs_typo"] = nhs_typo

    sex = p.sex[person].copy()
    sex_unknown = chance(quality.sex_unknown)
    sex[sex_unknown] = "unknown"
    errors["sex_unknown"] = sex_unknown

    return RecordedIdentity(
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        sex=sex,
        address=text,
        postcode=postcode,
        uprn=uprn,
        nhs_number=nhs,
        errors={tag: errors[tag] for tag in ERROR_TAGS},
    )
