"""Normalisation of identifiers before encoding: the one place the encoder normalises.

Encodings only agree when both partners normalise alike, so every identifier goes through
``normalise_person`` before it is hashed. Ingest's normalisers (SQL, for the workspace) are
the reference; this mirrors them for a partner's own machine, where no workspace exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["PersonIdentifiers", "normalise_person", "soundex"]

_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "miss",
        "ms",
        "mx",
        "master",
        "dr",
        "prof",
        "professor",
        "rev",
        "revd",
        "reverend",
        "sir",
        "dame",
        "lady",
        "lord",
        "fr",
    ]
)
_NULLS = frozenset(["", "n/a", "null", "nil", "none", "-", "--", "?", "#n/a", "not known"])
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
# Common English nicknames and spelling variants, so Bob and Robert encode alike.
_NICKNAMES = {
    "bob": "robert",
    "rob": "robert",
    "robbie": "robert",
    "bobby": "robert",
    "bill": "william",
    "will": "william",
    "billy": "william",
    "liam": "william",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "dave": "david",
    "davy": "david",
    "mike": "michael",
    "mick": "michael",
    "tom": "thomas",
    "tommy": "thomas",
    "chris": "christopher",
    "steve": "stephen",
    "steven": "stephen",
    "tony": "anthony",
    "andy": "andrew",
    "drew": "andrew",
    "dan": "daniel",
    "danny": "daniel",
    "joe": "joseph",
    "ted": "edward",
    "ed": "edward",
    "eddie": "edward",
    "ken": "kenneth",
    "kenny": "kenneth",
    "pete": "peter",
    "nick": "nicholas",
    "matt": "matthew",
    "sam": "samuel",
    "ben": "benjamin",
    "alex": "alexander",
    "harry": "henry",
    "jack": "john",
    "johnny": "john",
    "jon": "john",
    "ron": "ronald",
    "ronnie": "ronald",
    "reg": "reginald",
    "fred": "frederick",
    "freddie": "frederick",
    "charlie": "charles",
    "chas": "charles",
    "geoff": "geoffrey",
    "jeff": "geoffrey",
    "phil": "philip",
    "phillip": "philip",
    "les": "leslie",
    "kate": "katherine",
    "katie": "katherine",
    "kathy": "katherine",
    "catherine": "katherine",
    "kathryn": "katherine",
    "cath": "katherine",
    "liz": "elizabeth",
    "beth": "elizabeth",
    "betty": "elizabeth",
    "lizzie": "elizabeth",
    "maggie": "margaret",
    "peggy": "margaret",
    "meg": "margaret",
    "jenny": "jennifer",
    "jen": "jennifer",
    "sue": "susan",
    "susie": "susan",
    "pat": "patricia",
    "patsy": "patricia",
    "trish": "patricia",
    "debbie": "deborah",
    "debra": "deborah",
    "deb": "deborah",
    "vicky": "victoria",
    "becky": "rebecca",
    "mandy": "amanda",
    "sandy": "sandra",
    "jackie": "jacqueline",
    "jo": "joanne",
    "val": "valerie",
    "dot": "dorothy",
    "dottie": "dorothy",
    "annie": "anne",
    "ann": "anne",
    "jan": "janet",
    "gill": "gillian",
    "jill": "gillian",
    "pam": "pamela",
    "sally": "sarah",
    "sara": "sarah",
    "abby": "abigail",
    "ellie": "eleanor",
    "nell": "eleanor",
    "em": "emily",
    "mo": "maureen",
    "bev": "beverley",
    "tracey": "tracy",
    "allan": "alan",
    "allen": "alan",
    "jeffrey": "geoffrey",
    "terry": "terence",
    "tel": "terence",
    "den": "dennis",
    "ray": "raymond",
    "stan": "stanley",
    "wally": "walter",
    "walt": "walter",
    "bert": "albert",
    "alf": "alfred",
    "alfie": "alfred",
    "ernie": "ernest",
    "sid": "sidney",
    "syd": "sidney",
    "len": "leonard",
    "lenny": "leonard",
    "vic": "victor",
    "doug": "douglas",
    "greg": "gregory",
    "tim": "timothy",
    "ollie": "oliver",
    "olly": "oliver",
    "josh": "joshua",
    "jake": "jacob",
    "zach": "zachary",
    "nate": "nathan",
}


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

    @property
    def postcode_outward(self) -> str | None:
        """The postcode district ('WX3')."""
        return self.postcode.split(" ")[0] if self.postcode else None

    @property
    def birth_year(self) -> str | None:
        """The year of birth ('1950')."""
        return self.date_of_birth[:4] if self.date_of_birth else None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _NULLS)


def _name(value: object) -> str | None:
    if _blank(value):
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z\s-]", "", text).replace("-", " ")
    words = [w for w in text.split() if w not in _TITLES]
    return " ".join(words) or None


def _date(value: object) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", text):
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
            return date(int(m[3]), int(m[2]), int(m[1])).isoformat()  # British day first
        if m := re.fullmatch(r"(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})", text):
            return date(int(m[3]), _MONTHS[m[2].lower()], int(m[1])).isoformat()
    except (ValueError, KeyError):
        return None
    return None


def _postcode(value: object) -> str | None:
    if _blank(value):
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    if not re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}", text):
        return None
    return f"{text[:-3]} {text[-3:]}"


def _nhs_number(value: object) -> str | None:
    if _blank(value):
        return None
    digits = re.sub(r"[\s-]", "", str(value))
    if not re.fullmatch(r"\d{10}", digits):
        return None
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return digits if check != 10 and check == int(digits[9]) else None


def _uprn(value: object) -> str | None:
    if _blank(value):
        return None
    digits = str(value).strip().split(".")[0]  # spreadsheets turn 1234 into 1234.0
    return digits.lstrip("0") or None if digits.isdigit() and len(digits) <= 12 else None


def _sex(value: object) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip().lower()
    return text if text in ("female", "male") else None


# Jnr/Snr are written on some records of a person only; the date of birth tells them apart.
_SUFFIXES = frozenset(["jnr", "snr", "jr", "sr", "junior", "senior", "ii", "iii"])


def _family(value: object) -> str | None:
    name = _name(value)
    if name is None:
        return None
    return " ".join(w for w in name.split() if w not in _SUFFIXES) or None


def normalise_person(raw: dict[str, object]) -> PersonIdentifiers:
    """Normalise one record's canonical identifier fields (values already code-mapped)."""
    given = _name(raw.get("given_name"))
    first = given.split()[0] if given else None
    return PersonIdentifiers(
        given_name=given,
        given_name_canonical=_NICKNAMES.get(first, first) if first else None,
        family_name=_family(raw.get("family_name")),
        date_of_birth=_date(raw.get("date_of_birth")),
        sex=_sex(raw.get("sex")),
        postcode=_postcode(raw.get("postcode")),
        nhs_number=_nhs_number(raw.get("nhs_number")),
        uprn=_uprn(raw.get("uprn")),
    )


_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


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
