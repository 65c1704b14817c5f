"""A compact maker of synthetic person records with known truth, for linkage tests.

Each person gets one to four records spread over partners, written the way ingest leaves
``person_records`` (normalised, lower-case). Records carry the hard cases linkage must get
right: typos, nicknames, day/month transposed dates of birth, moves, missing fields —
and people who must NOT be merged: twins (same birthday, surname, address) and fathers
and sons with the same name at the same address.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from sharewell.ingest.normalisers import nicknames


def _words(text: str, sep: str | None = None) -> list[str]:
    return [
        w.strip() for w in text.replace("\n", " " if sep is None else "").split(sep) if w.strip()
    ]


MALE = _words(
    """
    robert william richard james john michael thomas christopher anthony edward joseph
    daniel david stephen matthew andrew peter charles henry alexander benjamin samuel
    nicholas frederick kenneth ronald donald gerald leonard patrick timothy george arthur
    oliver harry jacob noah oscar leo archie alfie logan ethan mohammed muhammad ali omar
    yusuf ibrahim adam lewis ryan connor callum kieran liam owen dylan rhys gareth ian keith
    colin graham neil stuart craig barry derek trevor malcolm nigel clive roger
    """
)
FEMALE = _words(
    """
    elizabeth margaret catherine katherine jennifer susan deborah patricia victoria rebecca
    alexandra christine dorothy jacqueline samantha abigail barbara helen eleanor josephine
    joanne kimberley pamela sarah theresa valerie olivia amelia isla ava mia ivy lily freya
    florence grace emily sophie chloe jessica lucy hannah ellie megan fatima aisha zara
    maryam amina priya anita sunita julie karen tracey nicola claire joanna lisa wendy janet
    sandra gillian maureen brenda shirley irene doreen
    """
)
SURNAMES = _words(
    """
    smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson
    thompson wright walker white edwards hughes green hall lewis harris clarke patel jackson
    wood turner martin cooper hill ward morris moore clark lee king baker harrison morgan
    allen james scott phillips watson davis parker price bennett young griffiths mitchell
    kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan
    marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb
    rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills barnes
    knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham
    pearson ahmed fletcher walsh kaur gibson howard andrews stewart elliott reynolds
    saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley spencer
    gill dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis
    rees hayes hart hudson newman barrett webster hunter gregory carr lowe page marsh riley
    dunn woods hussey stone
    """
)
STREETS = _words(
    """
    high street|church lane|mill road|station road|park avenue|victoria road|
    green lane|manor way|the crescent|kings road|queens drive|school lane|orchard close|
    bridge street|meadow view|willow walk|chapel row|north road|south street|west end
    """,
    "|",
)
PARTNERS = (
    ("westshire_cc", "asc.client", False),
    ("westshire_fire", "fire.safe_and_well_visit", False),
    ("westshire_police", "police.mh_incident", False),
    ("westshire_mht", "mh_trust.crisis_contact", True),
    ("westshire_icb", "nhs.over65_register", True),
    ("westshire_ambulance", "ambulance.mh_callout", True),
)
# Ingest's nickname list (the one sharewell resolves names with), both ways round.
NICKS_OF: dict[str, list[str]] = {}
CANONICAL: dict[tuple[str, str], str] = {}
for _nick, _canon, _sex in nicknames():
    NICKS_OF.setdefault(_canon, []).append(_nick)
    CANONICAL[(_nick, _sex)] = _canon


def canonical_given_name(name: str | None, sex: str | None) -> str | None:
    """The canonical given name as ingest resolves it: by sex where that matters."""
    if name is None:
        return None
    first = name.split(" ")[0]
    return CANONICAL.get((first, sex or "")) or CANONICAL.get((first, "")) or first


@dataclass
class Person:
    """A person's true attributes."""

    person_id: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str
    address: str
    postcode: str
    uprn: str
    nhs_number: str
    suffix: str = ""


@dataclass
class People:
    """Records in ``person_records`` shape, and which person each record truly is."""

    records: list[dict[str, Any]] = field(default_factory=list)
    truth: dict[str, str] = field(default_factory=dict)
    twins: list[tuple[str, str]] = field(default_factory=list)
    father_son: list[tuple[str, str]] = field(default_factory=list)


def nhs_number(rng: random.Random) -> str:
    """A valid (modulus 11) NHS number."""
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def _postcode(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"WS{rng.randint(1, 30)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def _home(rng: random.Random) -> tuple[str, str, str]:
    return (
        f"{rng.randint(1, 180)} {rng.choice(STREETS)} westshire",
        _postcode(rng),
        str(rng.randint(10**9, 10**10)),
    )


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s
    i = rng.randint(1, len(s) - 2)
    kind = rng.random()
    if kind < 0.4:
        return s[:i] + rng.choice("aeiourstln") + s[i + 1 :]
    if kind < 0.7:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s[:i] + s[i + 1 :]


def _person(rng: random.Random, pid: str, sex: str | None = None, **over: Any) -> Person:
    sex = sex or rng.choice(("female", "male"))
    address, postcode, uprn = _home(rng)
    start = date(1930, 1, 1)
    base: dict[str, Any] = {
        "person_id": pid,
        "given_name": rng.choice(MALE if sex == "male" else FEMALE),
        "family_name": rng.choice(SURNAMES),
        "date_of_birth": start + timedelta(days=rng.randint(0, 80 * 365)),
        "sex": sex,
        "address": address,
        "postcode": postcode,
        "uprn": uprn,
        "nhs_number": nhs_number(rng),
    }
    base.update(over)
    return Person(**base)


def _record(rng: random.Random, p: Person, n: int, clean: bool = False) -> dict[str, Any]:
    partner, source, nhs = PARTNERS[rng.randrange(len(PARTNERS))]
    given, family, dob = p.given_name, p.family_name, p.date_of_birth
    address, postcode, uprn = p.address, p.postcode, p.uprn
    if not clean:
        r = rng.random
        if r() < 0.08 and NICKS_OF.get(given):
            given = rng.choice(NICKS_OF[given])
        if r() < 0.06:
            given = _typo(rng, given)
        if r() < 0.06:
            family = _typo(rng, family)
        if r() < 0.03 and dob.day <= 12 and dob.day != dob.month:
            dob = date(dob.year, dob.day, dob.month)
        elif r() < 0.03:
            dob = dob + timedelta(days=rng.choice((-1, 1, 10, -10)))
        if r() < 0.12:
            address, postcode, uprn = _home(rng)  # moved
        if r() < 0.05:
            postcode = None  # type: ignore[assignment]
        if r() < 0.03:
            given, family = family, given  # forename and surname the wrong way round
        if p.suffix and r() < 0.3:
            family = f"{family} {p.suffix}"
    record_id = f"{n:07d}"
    uid = f"{partner}:{source}:{record_id}"
    # Drawn in the order the dictionary below used to draw them, so the data stay the same.
    recorded_dob = None if (not clean and rng.random() < 0.02) else dob
    sex = p.sex if clean or rng.random() > 0.1 else None
    return {
        "unique_id": uid,
        "record_id": record_id,
        "partner": partner,
        "source": source,
        "dataset_version": 1,
        "given_name": given,
        "given_name_canonical": canonical_given_name(given, sex),
        "family_name": family,
        "date_of_birth": recorded_dob,
        "sex": sex,
        "address": address,
        "postcode": postcode,
        "postcode_outward": postcode.split(" ")[0] if postcode else None,
        "postcode_sector": postcode[:-2] if postcode else None,
        "uprn": uprn if rng.random() > 0.3 else None,
        "nhs_number": p.nhs_number if nhs and (clean or rng.random() > 0.1) else None,
        "phone": None,
        "email": None,
    }


def make_people(n_people: int, seed: int = 7, start: int = 0) -> People:
    """``n_people`` people (2% twins, 2% father/son pairs) with 1-4 records each."""
    rng = random.Random(seed)
    out = People()
    persons: list[Person] = []
    i = start
    while len(persons) < n_people:
        roll = rng.random()
        if roll < 0.02:
            a = _person(rng, f"p{i}", sex="male")
            b_name = rng.choice([g for g in MALE if g[0] != a.given_name[0]])
            b = _person(
                rng,
                f"p{i + 1}",
                sex="male",
                given_name=b_name,
                **{
                    k: getattr(a, k)
                    for k in ("family_name", "date_of_birth", "address", "postcode", "uprn")
                },
            )
            out.twins.append((a.person_id, b.person_id))
            persons += [a, b]
            i += 2
        elif roll < 0.04:
            son = _person(rng, f"p{i}", sex="male")
            dad = _person(
                rng,
                f"p{i + 1}",
                sex="male",
                date_of_birth=son.date_of_birth - timedelta(days=rng.randint(20, 40) * 365),
                **{
                    k: getattr(son, k)
                    for k in ("given_name", "family_name", "address", "postcode", "uprn")
                },
            )
            son.suffix, dad.suffix = "jnr", "snr"
            out.father_son.append((dad.person_id, son.person_id))
            persons += [son, dad]
            i += 2
        else:
            persons.append(_person(rng, f"p{i}"))
            i += 1
    n = start * 4
    for p in persons:
        k = rng.choice((1, 2, 2, 3, 3, 4))
        for j in range(k):
            rec = _record(rng, p, n, clean=(j == 0))
            out.records.append(rec)
            out.truth[rec["unique_id"]] = p.person_id
            n += 1
    return out


def write_person_records(path: Path, people: People, table: str = "person_records") -> None:
    """Create (or append to) ``person_records`` in the DuckDB file at ``path``."""
    arrow = pa.Table.from_pylist(people.records)  # noqa: F841 - read by DuckDB by name
    con = duckdb.connect(str(path))
    try:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
        ).fetchall()[0]
        if exists and exists[0]:
            con.execute(f"INSERT INTO {table} SELECT * FROM arrow")
        else:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM arrow")
    finally:
        con.close()


def write_truth_csv(path: Path, people: People) -> None:
    """A truth file: unique_id,person_id per record."""
    lines = ["unique_id,person_id"] + [f"{u},{p}" for u, p in people.truth.items()]
    path.write_text("\n".join(lines) + "\n")
