"""Blocking rules generated from the fields present, and a guard on how many pairs each makes.

A pair is scored only if it agrees on at least one prediction rule. Each rule pairs
something close to unique (a birthday, a postcode, a house number) with something else, so
that one wrong or missing field never hides a true pair on its own: every field appears
in several rules, and partial keys (initials) survive typos in both names. Rules whose
fields are absent are left out; a rule that would make too many pairs on the data at hand
(a common name at county scale) is dropped and said so (``oversized_rules``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
from splink import block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.blocking_rule_library import CustomRule

from sharewell.linkage.fields import fields_of

__all__ = [
    "DETERMINISTIC_RECALL",
    "DETERMINISTIC_RULES",
    "EM_RULES",
    "PREDICTION_BLOCKING",
    "BlockingRule",
    "oversized_rules",
    "rule_pairs",
    "usable_rules",
]


@dataclass(frozen=True)
class BlockingRule:
    """Records pair up when ``left`` columns of one equal ``right`` columns of the other."""

    name: str
    left: tuple[str, ...]
    why: str
    right: tuple[str, ...] = ()  # defaults to ``left``: the same columns on both sides

    @property
    def columns(self) -> tuple[str, ...]:
        """Every prepared column the rule reads."""
        return tuple(dict.fromkeys(self.left + self.right))

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """(left column, right column) pairs that must be equal."""
        return tuple(zip(self.left, self.right or self.left, strict=True))

    def sql(self) -> str:
        """The rule as Splink SQL over ``l`` and ``r``."""
        return " AND ".join(f"l.{a} = r.{b}" for a, b in self.keys)

    def creator(self) -> BlockingRuleCreator:
        """The Splink blocking rule."""
        return CustomRule(self.sql()) if self.right else block_on(*self.left)

    def usable(self, present: Iterable[str]) -> bool:
        """Whether every field the rule needs is present (not wholly missing)."""
        return fields_of(self.columns) <= set(present)


def _r(name: str, *left: str, why: str, right: tuple[str, ...] = ()) -> BlockingRule:
    return BlockingRule(name, tuple(left), why, right)


PREDICTION_BLOCKING: tuple[BlockingRule, ...] = (
    _r("nhs_number", "nhs_number", why="the NHS number is near-unique when present"),
    _r("uprn_given", "uprn", "given_initial", why="same property, same initial"),
    _r("email", "email", why="an email address is near-unique"),
    _r("phone_given", "phone", "given_initial", why="same phone, same initial"),
    _r("dob_given", "dob", "given_name_canonical", why="survives a new surname or a move"),
    _r("dob_family", "dob", "family_name", why="survives a misspelt first name"),
    _r("dob_postcode", "dob", "postcode", why="survives typos in both names"),
    _r("dob_initials", "dob", "given_initial", "family_initial", why="typos in both names"),
    _r("dob_house", "dob", "address_number", why="typos in both names and the postcode"),
    _r("transposed_dob_family", "dob_transposed", "family_name", why="US-style dates"),
    _r("postcode_family", "postcode", "family_name", why="survives a wrong date of birth"),
    _r("postcode_given", "postcode", "given_name_canonical", why="survives a new surname"),
    _r(
        "names_year",
        "given_name_canonical",
        "family_name",
        "dob_year",
        why="survives a move and a day/month typo",
    ),
    _r(
        "swapped_names",
        "given_name",
        "family_name",
        right=("family_name", "given_name"),
        why="forename and surname entered the wrong way round",
    ),
    # A swapped record whose other name is mistyped or whose date of birth is missing
    # (one direction each: a pair's records come in either order).
    _r(
        "postcode_swapped_given",
        "postcode",
        "given_name",
        right=("postcode", "family_name"),
        why="same postcode, forename entered as surname",
    ),
    _r(
        "postcode_swapped_family",
        "postcode",
        "family_name",
        right=("postcode", "given_name"),
        why="same postcode, surname entered as forename",
    ),
    _r(
        "house_street_initial",
        "address_number",
        "address_street",
        "family_initial",
        why="same address written alike: survives a wrong postcode and a surname typo",
    ),
    _r(
        "house_sector_initials",
        "address_number",
        "postcode_sector",
        "given_initial",
        "family_initial",
        why="same house number nearby: survives typos in the postcode, street and names",
    ),
    _r(
        "names_sector",
        "given_name_canonical",
        "family_name",
        "postcode_sector",
        why="same name nearby: survives a postcode typo with no date of birth",
    ),
    _r(
        "names_town",
        "given_name_canonical",
        "family_name",
        "town",
        why="same name in the same town: no postcode and no date of birth",
    ),
    _r(
        "names_house",
        "given_name_canonical",
        "family_name",
        "address_number",
        why="same name and house number: survives a misspelt street and postcode",
    ),
    # Broad rules on one field, last: they catch what the combined rules miss on small
    # files (and let any two fields link at all), and the size guard drops them when they
    # would make too many pairs at county scale.
    _r("dob", "dob", why="same birthday (small files)"),
    _r("postcode", "postcode", why="same postcode (small files)"),
    _r("names", "given_name_canonical", "family_name", why="same name (small files)"),
    _r("house", "address_number", "address_street", why="same address (small files)"),
    _r("phone", "phone", why="same phone (small files)"),
    _r("uprn", "uprn", why="same property (small files)"),
    _r("family", "family_name", why="same surname (small files)"),
    _r("given", "given_name_canonical", why="same first name (small files)"),
    _r("town", "town", why="same town (small files)"),
)

# Candidate EM blocking rules, in order of preference; the training plan (plan.py) picks
# those that between them leave every comparison free to be estimated at least once.
EM_RULES: tuple[BlockingRule, ...] = (
    _r("dob", "dob", why="estimates names, location, identifiers, sex, contact"),
    _r("postcode_family", "postcode", "family_name", why="estimates given name, date of birth"),
    _r("names", "given_name_canonical", "family_name", why="estimates date of birth, location"),
    _r("nhs_number", "nhs_number", why="estimates everything but the NHS number"),
    _r("house_street", "address_number", "address_street", why="estimates names, birthday"),
    _r("email", "email", why="estimates everything but contact"),
    _r("phone", "phone", why="estimates everything but contact"),
    _r("postcode", "postcode", why="estimates everything but location"),
    _r("family_town", "family_name", "town", why="estimates given name, birthday"),
    _r("family", "family_name", why="estimates everything but the family name"),
    _r("given", "given_name_canonical", why="estimates everything but the given name"),
)

# Rules that should admit almost no false positives; with an assumed recall they estimate
# how many of all pairs are matches (the model's prior). Used in order, the first two
# usable ones; the last three are for data with neither a date of birth nor identifiers.
DETERMINISTIC_RULES: tuple[BlockingRule, ...] = (
    _r("nhs_number", "nhs_number", why="near-unique identifier"),
    _r("full_identity", "given_name_canonical", "family_name", "dob", why="name and birthday"),
    _r("name_email", "given_name_canonical", "family_name", "email", why="name and email"),
    _r("name_uprn", "given_name_canonical", "family_name", "uprn", why="name and property"),
    _r(
        "name_address",
        "given_name_canonical",
        "family_name",
        "address_number",
        "address_street",
        why="name and address",
    ),
    _r("name_postcode", "given_name_canonical", "family_name", "postcode", why="name, postcode"),
    _r("name_town", "given_name_canonical", "family_name", "town", why="name and town"),
)
DETERMINISTIC_RECALL = 0.7


def usable_rules(rules: Sequence[BlockingRule], present: Iterable[str]) -> list[BlockingRule]:
    """The rules whose fields are all present."""
    p = set(present)
    return [r for r in rules if r.usable(p)]


def rule_pairs(
    con: duckdb.DuckDBPyConnection, table: str, rule: BlockingRule, *, link: bool
) -> int:
    """How many pairs ``rule`` makes on ``table`` (before removing those of earlier rules).

    For a link, ``table`` has ``source_dataset`` ('left'/'right'); otherwise every pair of
    distinct records counts once.
    """
    lk = ", ".join(f"{a}" for a, _ in rule.keys)
    rk = ", ".join(f"{b}" for _, b in rule.keys)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in rule.columns)
    if link:
        sql = f"""
        WITH l AS (SELECT {lk}, count(*) AS n FROM {table}
                   WHERE source_dataset = 'left' AND {not_null} GROUP BY ALL),
             r AS (SELECT {rk}, count(*) AS n FROM {table}
                   WHERE source_dataset = 'right' AND {not_null} GROUP BY ALL)
        SELECT coalesce(sum(l.n * r.n), 0) FROM l JOIN r ON {_on(rule)}
        """
    elif not rule.right:
        sql = (
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
            f"(SELECT count(*) AS n FROM {table} WHERE {not_null} GROUP BY {lk})"
        )
    else:
        sql = f"""
        WITH l AS (SELECT {lk}, count(*) AS n FROM {table} WHERE {not_null} GROUP BY ALL),
             r AS (SELECT {rk}, count(*) AS n FROM {table} WHERE {not_null} GROUP BY ALL)
        SELECT coalesce(sum(l.n * r.n), 0) FROM l JOIN r ON {_on(rule)}
        """
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _on(rule: BlockingRule) -> str:
    # Both sides were grouped under their own column names, in key order.
    return " AND ".join(f"l.{a} = r.{b}" for a, b in rule.keys)


def oversized_rules(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rules: Sequence[BlockingRule],
    *,
    n_records: int,
    link: bool,
) -> dict[str, int]:
    """Rules that would each make more pairs than the budget allows: name -> pairs.

    The budget grows with the data (``PAIRS_PER_RECORD`` per record, at least
    ``MIN_PAIRS_BUDGET``), so memory stays bounded at county scale while small files keep
    every rule.
    """
    budget = max(MIN_PAIRS_BUDGET, PAIRS_PER_RECORD * n_records)
    out = {}
    for rule in rules:
        n = rule_pairs(con, table, rule, link=link)
        if n > budget:
            out[rule.name] = n
    return out


MIN_PAIRS_BUDGET = 2_000_000
PAIRS_PER_RECORD = 5
