"""The person linkage model as data: comparisons, blocking rules and training plan.

Everything here is pure: it builds Splink ``SettingsCreator`` objects and plain SQL from
the list of fields present, so the same model runs on DuckDB and on Spark (Splink renders
each level in the engine's dialect) and can be hashed, saved and explained.

Comparisons work on a *prepared* table (see ``prepare.py``) whose derived columns —
``dob`` as ISO text, ``dob_transposed``, ``dob_year_month``, ``postcode_sector`` — make
every level a plain equality or a string similarity, so no level depends on an engine's
date functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.blocking_rule_library import CustomRule
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

__all__ = [
    "PERSON_FIELDS",
    "PREDICTION_BLOCKING",
    "TRAINING_BLOCKING",
    "BlockingRule",
    "LinkType",
    "ModelSpec",
    "anchor_sql",
    "gamma_columns",
    "person_settings",
    "settings_hash",
    "veto_sql",
]

LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]

# Columns of the prepared table the model may compare; the prepared table always has them.
PERSON_FIELDS: tuple[str, ...] = (
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "address",
    "uprn",
    "nhs_number",
    "phone",
    "email",
)


@dataclass(frozen=True)
class BlockingRule:
    """A blocking rule: records must agree on ``columns`` to be compared; ``why`` documents it."""

    name: str
    columns: tuple[str, ...]
    why: str
    sql: str | None = None  # for rules that are not "same value in the same column"

    def creator(self) -> BlockingRuleCreator:
        """The Splink blocking rule."""
        return CustomRule(self.sql) if self.sql else block_on(*self.columns)

    def usable(self, present: Iterable[str]) -> bool:
        """Whether every column the rule needs is present (not wholly missing)."""
        needs = {_field_of(c) for c in self.columns}
        return needs <= set(present)


def _field_of(column: str) -> str:
    """The person field a derived blocking column comes from."""
    derived = {
        "given_name_canonical": "given_name",
        "dob_year": "dob",
        "dob_year_month": "dob",
        "dob_transposed": "dob",
        "postcode_outward": "postcode",
        "postcode_sector": "postcode",
    }
    return derived.get(column, column)


# A pair is scored if it agrees on ANY of these. Each catches the true matches the others
# miss when one field is wrong or missing; together they keep recall high while each
# block stays small (every rule includes something close to unique).
PREDICTION_BLOCKING: tuple[BlockingRule, ...] = (
    BlockingRule("nhs_number", ("nhs_number",), "the NHS number is near-unique when present"),
    BlockingRule(
        "dob_given",
        ("dob", "given_name_canonical"),
        "same birthday and first name (nickname-resolved): survives a new surname or a move",
    ),
    BlockingRule(
        "dob_family",
        ("dob", "family_name"),
        "same birthday and surname: survives a misspelt or abbreviated first name",
    ),
    BlockingRule(
        "postcode_family",
        ("postcode", "family_name"),
        "same household surname: survives a wrong or transposed date of birth",
    ),
    BlockingRule(
        "postcode_given",
        ("postcode", "given_name_canonical"),
        "same postcode and first name: survives a surname change or typo and a bad date",
    ),
    BlockingRule(
        "names_year",
        ("given_name_canonical", "family_name", "dob_year"),
        "same name and birth year: survives a move and a day/month typo",
    ),
    BlockingRule(
        "transposed_dob_family",
        ("dob_transposed", "family_name"),
        "day and month swapped (US-style entry) with the same surname",
    ),
    BlockingRule(
        "dob_postcode",
        ("dob", "postcode"),
        "same birthday at the same postcode: survives typos in both names",
    ),
    BlockingRule(
        "swapped_names",
        ("given_name", "family_name"),
        "forename and surname entered the wrong way round",
        sql="l.given_name = r.family_name AND l.family_name = r.given_name",
    ),
    BlockingRule("uprn_given", ("uprn", "given_name_canonical"), "same property, first name"),
    # The next two find a swapped record whose other name is mistyped or whose date of
    # birth is missing (each is one direction: the pair's records come in either order).
    BlockingRule(
        "postcode_swapped_given",
        ("postcode", "given_name", "family_name"),
        "same postcode, forename entered as surname (the other name may be mistyped)",
        sql="l.postcode = r.postcode AND l.given_name = r.family_name",
    ),
    BlockingRule(
        "postcode_swapped_family",
        ("postcode", "given_name", "family_name"),
        "same postcode, surname entered as forename (the other name may be mistyped)",
        sql="l.postcode = r.postcode AND l.family_name = r.given_name",
    ),
)

# EM runs once per rule; each rule leaves the comparisons it does not use to be estimated.
# Between them every comparison is estimated at least once.
TRAINING_BLOCKING: tuple[BlockingRule, ...] = (
    BlockingRule("dob", ("dob",), "estimates names, location, NHS number, sex, contact"),
    BlockingRule(
        "postcode_family",
        ("postcode", "family_name"),
        "estimates given name, date of birth, NHS number, sex, contact",
    ),
)

# Deterministic rules that should admit almost no false positives; used with an assumed
# recall to estimate how many of all pairs are matches (the model's prior).
DETERMINISTIC_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("nhs_number", ("nhs_number",), "near-unique identifier"),
    BlockingRule(
        "full_identity",
        ("given_name_canonical", "family_name", "dob"),
        "same name and birthday",
    ),
)
DETERMINISTIC_RECALL = 0.7


@dataclass(frozen=True)
class ModelSpec:
    """Which fields the model compares, which extra columns must match exactly, and how."""

    present: frozenset[str] = frozenset(PERSON_FIELDS)
    extra_exact: tuple[str, ...] = ()
    link_type: LinkType = "dedupe_only"
    blocking: tuple[BlockingRule, ...] = field(default=PREDICTION_BLOCKING)

    def prediction_rules(self) -> list[BlockingRule]:
        """Blocking rules whose columns are present in the data."""
        rules = [r for r in self.blocking if r.usable(self.present)]
        rules += [
            BlockingRule(f"exact_{c}", (c,), "extra exact-match column") for c in self.extra_exact
        ]
        return rules

    def training_rules(self) -> list[BlockingRule]:
        """EM blocking rules usable on the data (falls back to prediction rules)."""
        rules = [r for r in TRAINING_BLOCKING if r.usable(self.present)]
        return rules or self.prediction_rules()[:2]

    def deterministic_rules(self) -> list[BlockingRule]:
        """Rules for estimating the prior probability that two records match."""
        rules = [r for r in DETERMINISTIC_RULES if r.usable(self.present)]
        return rules or self.prediction_rules()[:1]


# Forename and surname entered the wrong way round (both ways at once).
_SWAPPED = cll.ColumnsReversedLevel("given_name", "family_name", symmetrical=True).configure(
    label_for_charts="Given and family names swapped"
)


class SwappedAndMistypedLevel(ComparisonLevelCreator):
    """Forename and surname swapped, one of them exact and the other one keystroke wrong.

    One keystroke (Damerau-Levenshtein 1: fariwick/fairwick, rgan/ryan) with the same first
    letter, as the one-letter-typo level asks: Barry and Harry are twins, and Jamie and
    James may be father and son, not a typo. Exact swaps satisfy it too.
    """

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        """The level's SQL in ``sql_dialect`` (the edit distance is named per engine)."""
        dl = sql_dialect.damerau_levenshtein_function_name

        def near(a: str, b: str) -> str:
            return f"({dl}({a}, {b}) <= 1 AND substr({a}, 1, 1) = substr({b}, 1, 1))"

        return (
            f"((given_name_l = family_name_r AND {near('family_name_l', 'given_name_r')}) OR "
            f"(family_name_l = given_name_r AND {near('given_name_l', 'family_name_r')}))"
        )

    def create_label_for_charts(self) -> str:
        """Its label in Splink's charts."""
        return "Names swapped, one mistyped"


def _swapped_neutral() -> Any:
    # The given-name comparison already counts a swap as agreement on both names; here it
    # must count for nothing, or one swapped record outweighs a missing birthday and a move.
    return SwappedAndMistypedLevel().configure(
        label_for_charts="Swapped (counted in given name)",
        m_probability=0.5,
        u_probability=0.5,
        fix_m_probability=True,
        fix_u_probability=True,
    )


def _given_name() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="First name, nickname-aware",
        comparison_levels=[
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
            _SWAPPED,
            SwappedAndMistypedLevel(),
            # Bob ~ Robert: the canonical (nickname-resolved) forms agree.
            cll.ExactMatchLevel("given_name_canonical").configure(
                label_for_charts="Nickname of the same name",
                tf_adjustment_column="given_name_canonical",
                tf_adjustment_weight=0.5,
            ),
            cll.JaroWinklerLevel("given_name", 0.92),
            # Short names mistyped (amy/aym, leo/llo) score low on Jaro-Winkler.
            cll.And(
                cll.DamerauLevenshteinLevel("given_name", 1),
                # ...but Barry and Harry are twins' names, not a typo.
                cll.CustomLevel("substr(given_name_l, 1, 1) = substr(given_name_r, 1, 1)"),
            ).configure(label_for_charts="One letter different or swapped"),
            cll.JaroWinklerLevel("given_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _family_name() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_description="Surname",
        comparison_levels=[
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
            _swapped_neutral(),
            cll.JaroWinklerLevel("family_name", 0.92),
            cll.JaroWinklerLevel("family_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def _date_of_birth() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="Date of birth, with transposition and partial-date levels",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "dob_l = dob_transposed_r", label_for_charts="Day and month transposed"
            ),
            # One keystroke wrong (1984-03-12 vs 1984-03-13 or 1948-...).
            cll.LevenshteinLevel("dob", 1).configure(label_for_charts="One digit different"),
            cll.ExactMatchLevel("dob_year_month").configure(
                label_for_charts="Same year and month (partial date)"
            ),
            cll.ExactMatchLevel("dob_year").configure(label_for_charts="Same year"),
            cll.ElseLevel(),
        ],
    )


def _location(present: frozenset[str]) -> ComparisonCreator:
    levels: list[Any] = []
    has_uprn = "uprn" in present
    null_sql = "(postcode_l IS NULL OR postcode_r IS NULL)"
    if has_uprn:
        null_sql = f"({null_sql} AND (uprn_l IS NULL OR uprn_r IS NULL))"
    levels.append(
        cll.CustomLevel(null_sql, label_for_charts="Location missing").configure(is_null_level=True)
    )
    if has_uprn:
        levels.append(cll.ExactMatchLevel("uprn").configure(label_for_charts="Same UPRN"))
    if "address" in present:
        levels.append(
            cll.And(
                cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("address", 0.9)
            ).configure(label_for_charts="Same postcode and address")
        )
    levels += [
        cll.ExactMatchLevel("postcode").configure(
            label_for_charts="Same postcode", tf_adjustment_column="postcode"
        ),
        cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
        cll.ExactMatchLevel("postcode_outward").configure(label_for_charts="Same district"),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name="location",
        comparison_description="Where they live: UPRN, address, postcode",
        comparison_levels=levels,
    )


def _nhs_number() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="nhs_number",
        comparison_description="NHS number",
        comparison_levels=[
            cll.NullLevel("nhs_number"),
            cll.ExactMatchLevel("nhs_number"),
            cll.DamerauLevenshteinLevel("nhs_number", 1).configure(
                label_for_charts="One digit different or swapped"
            ),
            cll.ElseLevel(),
        ],
    )


def _contact(present: frozenset[str]) -> ComparisonCreator:
    cols = [c for c in ("phone", "email") if c in present]
    null_sql = " AND ".join(f"({c}_l IS NULL OR {c}_r IS NULL)" for c in cols)
    match_sql = " OR ".join(f"{c}_l = {c}_r" for c in cols)
    return cl.CustomComparison(
        output_column_name="contact",
        comparison_description="Phone or email",
        comparison_levels=[
            cll.CustomLevel(null_sql, label_for_charts="No contact details to compare").configure(
                is_null_level=True
            ),
            cll.CustomLevel(match_sql, label_for_charts="Same phone or email"),
            cll.ElseLevel(),
        ],
    )


def _exact(column: str) -> ComparisonCreator:
    return cl.ExactMatch(column)


def comparisons(spec: ModelSpec) -> list[ComparisonCreator | dict[str, Any]]:
    """The comparisons for the fields present."""
    p = spec.present
    out: list[ComparisonCreator | dict[str, Any]] = []
    if "given_name" in p:
        out.append(_given_name())
    if "family_name" in p:
        out.append(_family_name())
    if "dob" in p:
        out.append(_date_of_birth())
    if "postcode" in p or "uprn" in p:
        out.append(_location(p))
    if "nhs_number" in p:
        out.append(_nhs_number())
    if "sex" in p:
        out.append(cl.ExactMatch("sex"))
    if "phone" in p or "email" in p:
        out.append(_contact(p))
    out += [_exact(c) for c in spec.extra_exact]
    return out


def person_settings(spec: ModelSpec, retain: Sequence[str] = ()) -> SettingsCreator:
    """Splink settings for ``spec``: comparisons, prediction blocking, retained columns."""
    return SettingsCreator(
        link_type=spec.link_type,
        comparisons=comparisons(spec),
        blocking_rules_to_generate_predictions=[r.creator() for r in spec.prediction_rules()],
        retain_intermediate_calculation_columns=True,
        # The vetoes read the generation (junior/senior) of both records.
        additional_columns_to_retain=["generation", *retain],
        max_iterations=20,
    )


def veto_sql(spec: ModelSpec) -> str:
    """SQL giving why a scored pair must never link (or NULL), from its comparison levels.

    Probabilistic weights add up: twins share a birthday, surname and address, a father and
    son share a name and address, and the sum can outweigh one strong disagreement. These
    disagreements are vetoes instead — unless the NHS numbers agree exactly, which
    outranks a nickname or a mistyped date.
    """
    p = spec.present
    nhs_same = "coalesce(gamma_nhs_number, -1) = 2" if "nhs_number" in p else "FALSE"
    cases = [f"WHEN generation_l <> generation_r AND NOT {nhs_same} THEN 'junior and senior'"]
    if "nhs_number" in p:
        cases.append("WHEN gamma_nhs_number = 0 THEN 'different NHS numbers'")
    if "given_name" in p:
        cases.append(f"WHEN gamma_given_name = 0 AND NOT {nhs_same} THEN 'different given names'")
    if "dob" in p:
        cases.append(f"WHEN gamma_dob = 0 AND NOT {nhs_same} THEN 'different dates of birth'")
    return "CASE " + " ".join(cases) + " END"


def anchor_sql(spec: ModelSpec) -> str:
    """SQL true when a pair's NHS numbers agree exactly: identity, not resemblance."""
    return "coalesce(gamma_nhs_number = 2, FALSE)" if "nhs_number" in spec.present else "FALSE"


def gamma_columns(spec: ModelSpec) -> list[str]:
    """The comparison-level columns of scored pairs that the vetoes read."""
    wanted = {"nhs_number": "nhs_number", "given_name": "given_name", "dob": "dob"}
    return [f"gamma_{c}" for f, c in wanted.items() if f in spec.present]


def settings_hash(settings: dict[str, Any]) -> str:
    """A short stable hash of a settings dictionary (comparisons and blocking, not params)."""
    core = {
        "link_type": settings.get("link_type"),
        "comparisons": [
            {
                "name": c.get("output_column_name"),
                "levels": [lv.get("sql_condition") for lv in c.get("comparison_levels", [])],
            }
            for c in settings.get("comparisons", [])
        ],
        "blocking": [
            b.get("blocking_rule") if isinstance(b, dict) else str(b)
            for b in settings.get("blocking_rules_to_generate_predictions", [])
        ],
    }
    digest = hashlib.sha256(json.dumps(core, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]
