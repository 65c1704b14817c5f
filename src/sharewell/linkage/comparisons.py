"""The model's comparisons, one per kind of evidence, built from the fields present.

Each comparison has levels from most to least alike (see docs/linkage.md). Levels that
look across two names (forename and surname swapped, known by the middle name) read the
joined columns ``names_fwd``/``names_rev`` rather than the other name's own column, so
that an EM session blocked on the family name still estimates the given name (Splink
sets aside every comparison that reads a column of the training blocking rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

__all__ = ["DialectLevel", "comparisons_for"]


class DialectLevel(ComparisonLevelCreator):
    """A level written once with ``{dl}`` / ``{jw}`` for the engine's edit-distance and
    Jaro-Winkler functions, rendered in each engine's dialect."""

    def __init__(self, template: str, label: str) -> None:
        self.template = template
        self.label = label

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        """The level's SQL in ``sql_dialect``."""
        return self.template.format(
            dl=sql_dialect.damerau_levenshtein_function_name,
            jw=sql_dialect.jaro_winkler_function_name,
        )

    def create_label_for_charts(self) -> str:
        """Its label in Splink's charts."""
        return self.label


# Forename and surname the wrong way round, exactly or with one of them a keystroke wrong
# (same first letter: Barry and Harry are twins, not a typo).
SWAPPED = "names_fwd_l = names_rev_r"
SWAPPED_MISTYPED = (
    "({dl}(names_fwd_l, names_rev_r) <= 1 "
    "AND substr(names_fwd_l, 1, 1) = substr(names_rev_r, 1, 1))"
)


def _given_name(p: frozenset[str]) -> ComparisonCreator:
    levels: list[Any] = [
        cll.NullLevel("given_name"),
        cll.ExactMatchLevel("given_name", term_frequency_adjustments=True),
    ]
    if "family_name" in p:
        levels += [
            cll.CustomLevel(SWAPPED, label_for_charts="Given and family names swapped"),
            DialectLevel(SWAPPED_MISTYPED, "Names swapped, one mistyped"),
        ]
    if "middle_name" in p:
        # Known by the middle name (John Michael Smith, who goes by Michael).
        levels.append(
            cll.CustomLevel(
                "(given_name_l = middle_name_r OR middle_name_l = given_name_r)",
                label_for_charts="Given name is the other's middle name",
            )
        )
    levels += [
        # Bob ~ Robert: the canonical (nickname-resolved) forms agree.
        cll.ExactMatchLevel("given_name_canonical").configure(
            label_for_charts="Nickname of the same name",
            tf_adjustment_column="given_name_canonical",
            tf_adjustment_weight=0.5,
        ),
        cll.JaroWinklerLevel("given_name", 0.92),
        # Short names mistyped (amy/aym, leo/llo) score low on Jaro-Winkler.
        DialectLevel(
            "({dl}(given_name_l, given_name_r) <= 1 AND given_initial_l = given_initial_r)",
            "One letter different or swapped",
        ),
        cll.JaroWinklerLevel("given_name", 0.8),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_description="First name, nickname-aware",
        comparison_levels=levels,
    )


def _middle_name() -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name="middle_name",
        comparison_description="Middle name or initial",
        comparison_levels=[
            cll.NullLevel("middle_name"),
            # The same name, or the same initial where both hold initials (weighted by how
            # common it is: an initial is weaker evidence than a name).
            cll.ExactMatchLevel("middle_name", term_frequency_adjustments=True),
            # "J" and "John".
            cll.ExactMatchLevel("middle_initial").configure(label_for_charts="Same initial"),
            cll.ElseLevel(),
        ],
    )


def _family_name(p: frozenset[str]) -> ComparisonCreator:
    levels: list[Any] = [
        cll.NullLevel("family_name"),
        cll.ExactMatchLevel("family_name", term_frequency_adjustments=True),
    ]
    if "given_name" in p:
        # The given-name comparison already counts a swap as agreement on both names; here
        # it counts for nothing, or one swapped record outweighs a missing birthday and a move.
        levels.append(
            DialectLevel(
                f"({SWAPPED} OR {SWAPPED_MISTYPED})", "Swapped (counted in given name)"
            ).configure(
                m_probability=0.5,
                u_probability=0.5,
                fix_m_probability=True,
                fix_u_probability=True,
            )
        )
    levels += [
        cll.JaroWinklerLevel("family_name", 0.92),
        cll.JaroWinklerLevel("family_name", 0.8),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(
        output_column_name="family_name",
        comparison_description="Surname",
        comparison_levels=levels,
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
            # One keystroke wrong (1984-03-12 vs 1984-03-13, 1948-... or 1984-30-...).
            cll.DamerauLevenshteinLevel("dob", 1).configure(
                label_for_charts="One digit different or swapped"
            ),
            cll.ExactMatchLevel("dob_year_month").configure(
                label_for_charts="Same year and month (partial date)"
            ),
            cll.ExactMatchLevel("dob_year").configure(label_for_charts="Same year"),
            cll.ElseLevel(),
        ],
    )


# An address agrees when its house numbers agree (or neither has one) and the rest is alike.
SAME_ADDRESS = (
    "(coalesce(address_number_l, '') = coalesce(address_number_r, '') "
    "AND {jw}(address_street_l, address_street_r) >= 0.9)"
)


def _null_location(p: frozenset[str]) -> str:
    cols = [c for c in ("uprn", "postcode", "address", "town") if c in p]
    return " AND ".join(f"({c}_l IS NULL OR {c}_r IS NULL)" for c in cols)


def _location(p: frozenset[str]) -> ComparisonCreator:
    levels: list[Any] = [
        cll.CustomLevel(_null_location(p), label_for_charts="Location missing").configure(
            is_null_level=True
        )
    ]
    if "uprn" in p:
        levels.append(cll.ExactMatchLevel("uprn").configure(label_for_charts="Same UPRN"))
    if "postcode" in p and "address" in p:
        levels.append(
            DialectLevel(
                f"(postcode_l = postcode_r AND {SAME_ADDRESS})", "Same postcode and address"
            )
        )
    if "address" in p:
        levels.append(DialectLevel(SAME_ADDRESS, "Same address, postcode differs or missing"))
    if "postcode" in p:
        levels.append(
            cll.ExactMatchLevel("postcode").configure(
                label_for_charts="Same postcode", tf_adjustment_column="postcode"
            )
        )
    if "address" in p:
        levels.append(
            DialectLevel(
                "{jw}(address_street_l, address_street_r) >= 0.9",
                "Same street, house number differs",
            )
        )
    if "postcode" in p:
        levels += [
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="Same sector"),
            cll.ExactMatchLevel("postcode_outward").configure(label_for_charts="Same district"),
        ]
    if "town" in p:
        levels.append(cll.ExactMatchLevel("town").configure(label_for_charts="Same town"))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(
        output_column_name="location",
        comparison_description="Where they live: UPRN, address, postcode, town",
        comparison_levels=levels,
    )


def _identifier(column: str, description: str) -> ComparisonCreator:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=description,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.DamerauLevenshteinLevel(column, 1).configure(
                label_for_charts="One character different or swapped"
            ),
            cll.ElseLevel(),
        ],
    )


def _contact(p: frozenset[str]) -> ComparisonCreator:
    cols = [c for c in ("phone", "email") if c in p]
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


def comparisons_for(
    present: frozenset[str], extra_exact: Iterable[str] = (), extra_ids: Iterable[str] = ()
) -> list[ComparisonCreator | dict[str, Any]]:
    """The comparisons for the fields ``present``, then the extra columns'."""
    p = present
    out: list[ComparisonCreator | dict[str, Any]] = []
    if "given_name" in p:
        out.append(_given_name(p))
    if "middle_name" in p:
        out.append(_middle_name())
    if "family_name" in p:
        out.append(_family_name(p))
    if "dob" in p:
        out.append(_date_of_birth())
    if p & {"postcode", "uprn", "address", "town"}:
        out.append(_location(p))
    if "nhs_number" in p:
        out.append(_identifier("nhs_number", "NHS number"))
    if "sex" in p:
        out.append(cl.ExactMatch("sex"))
    if "phone" in p or "email" in p:
        out.append(_contact(p))
    out += [_identifier(c, f"{c} (an identifier)") for c in extra_ids]
    out += [cl.ExactMatch(c).configure(term_frequency_adjustments=True) for c in extra_exact]
    return out
