"""Normalisation of identifiers before encoding: ingest's own normalisers, on the partner's machine.

Encodings only agree when every partner normalises alike, so every identifier goes through
``normalise_people``: the DuckDB SQL normalisers of ``sharewell.ingest.normalisers`` (the
ones the workspace is loaded with) run over an in-memory table, plus ingest's nickname
table for the canonical given name. On top of that, Jnr/Snr are dropped from family names:
they are on some of a person's records only, and the date of birth tells father from son.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import duckdb
import pyarrow as pa

from sharewell.ingest.normalisers import nicknames, value_layers_sql
from sharewell.ingest.source_types import source_type

__all__ = [
    "IDENTIFIER_FIELDS",
    "PersonIdentifiers",
    "normalise_people",
    "normalise_person",
    "soundex",
]


@dataclass(frozen=True)
class PersonIdentifiers:
    """One record's identifiers, normalised; ``None`` where missing or invalid."""

    given_name: str | None = None
    given_name_canonical: str | None = None
    family_name: str | None = None
    date_of_birth: str | None = None  # ISO YYYY-MM-DD
    sex: str | None = None
    postcode: str | None = None  # canonical 'WX3 4AB'
    nhs_number: str | None = None
    uprn: str | None = None
    address: str | None = None  # first lines, as ingest normalises them

    @property
    def postcode_outward(self) -> str | None:
        """The postcode district ('WX3')."""
        return self.postcode.split(" ")[0] if self.postcode else None

    @property
    def birth_year(self) -> str | None:
        """The year of birth ('1950')."""
        return self.date_of_birth[:4] if self.date_of_birth else None


# Jnr/Snr are written on some records of a person only; the date of birth tells them apart.
_SUFFIXES = frozenset(["jnr", "snr", "jr", "sr", "junior", "senior", "ii", "iii"])
# The identifying fields a partner normalises and encodes; they never leave in clear.
IDENTIFIER_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "nhs_number",
    "uprn",
    "address",
)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):  # Excel date cells
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():  # spreadsheets turn 1234 into 1234.0
        return str(int(value))
    return str(value)


def _normalised_sql(name: str) -> str:
    """SQL of ingest's normalised value (v, by row n) of column ``name`` of table ``people``."""
    return value_layers_sql(source_type("person").columns[name], "people", f'"{name}"')


@lru_cache(maxsize=1)
def _nicknames() -> dict[tuple[str, str], str]:
    return {(nick, sex): canonical for nick, canonical, sex in nicknames()}


def _family(name: str | None) -> str | None:
    if name is None:
        return None
    return " ".join(w for w in name.split() if w not in _SUFFIXES) or None


def normalise_people(rows: Sequence[Mapping[str, object]]) -> list[PersonIdentifiers]:
    """Normalise records' canonical identifier fields (codes already mapped), as ingest does."""
    if not rows:
        return []
    table = pa.table(
        {"n": pa.array(range(len(rows)), pa.int64())}
        | {f: pa.array([_text(r.get(f)) for r in rows], pa.string()) for f in IDENTIFIER_FIELDS}
    )
    con = duckdb.connect()
    try:
        con.register("people", table)
        values = {
            f: [
                None if v is None else str(v)
                for (v,) in con.execute(
                    f"SELECT v FROM ({_normalised_sql(f)}) ORDER BY n"
                ).fetchall()
            ]
            for f in IDENTIFIER_FIELDS
        }
    finally:
        con.close()
    nick = _nicknames()
    out = []
    for i in range(len(rows)):
        given, sex = values["given_name"][i], values["sex"][i]
        first = given.split()[0] if given else None
        canonical = nick.get((first, sex or ""), nick.get((first, ""), first)) if first else None
        out.append(
            PersonIdentifiers(
                given_name=given,
                given_name_canonical=canonical,
                family_name=_family(values["family_name"][i]),
                date_of_birth=values["date_of_birth"][i],
                sex=sex if sex in ("female", "male") else None,
                postcode=values["postcode"][i],
                nhs_number=values["nhs_number"][i],
                uprn=values["uprn"][i],
                address=values["address"][i],
            )
        )
    return out


def normalise_person(raw: Mapping[str, object]) -> PersonIdentifiers:
    """Normalise one record (see ``normalise_people``, which is faster for many)."""
    return normalise_people([raw])[0]


_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


@lru_cache(maxsize=1 << 16)
def soundex(name: str) -> str:
    """American Soundex of a normalised name ('smith' -> 'S530'); '' for no letters."""
    letters = re.sub(r"[^a-z]", "", name)
    if not letters:
        return ""
    coded = letters.translate(_SOUNDEX)
    out, last = [letters[0].upper()], coded[0]
    for ch, code in zip(letters[1:], coded[1:], strict=True):
        if code.isdigit() and code != last:
            out.append(code)
        if ch not in "hw":  # h and w do not separate letters with the same code
            last = code
    return ("".join(out) + "000")[:4]
