"""The person linkage model as data: which fields, comparisons, blocking and vetoes.

Everything here is pure: it builds Splink ``SettingsCreator`` objects and plain SQL from
the fields present, so the same model runs on DuckDB and on Spark (Splink renders each
level in the engine's dialect) and can be hashed, saved and explained. The comparisons
are in ``comparisons.py``, the blocking rules in ``blocking.py``, the EM plan in
``plan.py``; this module puts them together for one set of fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from splink import SettingsCreator

from sharewell.linkage.blocking import (
    DETERMINISTIC_RECALL,
    DETERMINISTIC_RULES,
    EM_RULES,
    PREDICTION_BLOCKING,
    BlockingRule,
    usable_rules,
)
from sharewell.linkage.comparisons import comparisons_for
from sharewell.linkage.fields import LINK_FIELDS

__all__ = [
    "DETERMINISTIC_RECALL",
    "PERSON_FIELDS",
    "PREDICTION_BLOCKING",
    "BlockingRule",
    "LinkType",
    "ModelSpec",
    "anchor_sql",
    "differs_sql",
    "household_sql",
    "identity_sql",
    "person_settings",
    "settings_hash",
    "veto_sql",
]

LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]

# Fields of the prepared table the model may compare (fields.py).
PERSON_FIELDS: tuple[str, ...] = LINK_FIELDS


@dataclass(frozen=True)
class ModelSpec:
    """Which fields the model compares, which extra columns it compares too, and how.

    ``extra_ids`` are extra columns that look like identifiers (a social security or
    customer number): exact or one character different; ``extra_exact`` must match exactly.
    ``dropped_rules`` are prediction rules left out because they made too many pairs.
    """

    present: frozenset[str] = frozenset(PERSON_FIELDS)
    extra_exact: tuple[str, ...] = ()
    extra_ids: tuple[str, ...] = ()
    link_type: LinkType = "dedupe_only"
    blocking: tuple[BlockingRule, ...] = field(default=PREDICTION_BLOCKING)
    dropped_rules: frozenset[str] = frozenset()

    def candidate_rules(self) -> list[BlockingRule]:
        """Prediction rules whose fields are present, before the size guard."""
        rules = usable_rules(self.blocking, self.present)
        rules += [BlockingRule(f"exact_{c}", (c,), "an extra identifier") for c in self.extra_ids]
        return rules

    def prediction_rules(self) -> list[BlockingRule]:
        """Blocking rules to score pairs with: present fields, not oversized."""
        return [r for r in self.candidate_rules() if r.name not in self.dropped_rules]

    def em_rules(self) -> list[BlockingRule]:
        """Candidate EM blocking rules usable on the data, in order of preference."""
        extra = [BlockingRule(f"exact_{c}", (c,), "an extra identifier") for c in self.extra_ids]
        return usable_rules(EM_RULES, self.present) + extra

    def deterministic_rules(self) -> list[BlockingRule]:
        """Rules for estimating the prior probability that two records match."""
        rules = usable_rules(DETERMINISTIC_RULES, self.present)[:2]
        rules += [BlockingRule(f"exact_{c}", (c,), "extra identifier") for c in self.extra_ids]
        return rules or self.prediction_rules()[:1]


def person_settings(spec: ModelSpec, retain: Sequence[str] = ()) -> SettingsCreator:
    """Splink settings for ``spec``: comparisons, prediction blocking, retained columns."""
    return SettingsCreator(
        link_type=spec.link_type,
        comparisons=comparisons_for(spec.present, spec.extra_exact, spec.extra_ids),
        blocking_rules_to_generate_predictions=[r.creator() for r in spec.prediction_rules()],
        retain_intermediate_calculation_columns=True,
        # The vetoes read the generation (junior/senior) of both records.
        additional_columns_to_retain=["generation", *retain],
        max_iterations=20,
    )


def _same_household_sql(p: frozenset[str]) -> str | None:
    """Same surname and same address (UPRN, postcode or address line), from raw columns."""
    places = [f"{c}_l = {c}_r" for c in ("uprn", "postcode", "address") if c in p]
    if "family_name" not in p or not places:
        return None
    return f"(family_name_l = family_name_r AND ({' OR '.join(places)}))"


def identity_sql(spec: ModelSpec) -> str:
    """SQL true when an identifier agrees exactly (NHS number, an extra identifier column)."""
    ids = (["nhs_number"] if "nhs_number" in spec.present else []) + list(spec.extra_ids)
    if not ids:
        return "FALSE"
    # The exact level of an identifier comparison is its highest: 2 (null -1, else 0).
    return "(" + " OR ".join(f"coalesce(gamma_{c} = 2, FALSE)" for c in ids) + ")"


def veto_sql(spec: ModelSpec) -> str:
    """SQL giving why a scored pair must never link (or NULL), from its comparison levels.

    Weights add up, and one disagreement can be outvoted: twins share a birthday, surname
    and address. But one disagreeing field is also what a typo or a keying error looks
    like (a replaced date of birth, a mangled first name), so a veto needs strong evidence
    of a different person: a validated NHS number that differs; a junior and a senior;
    or two things a person does not change at once (given name and date of birth, or
    given name and sex). An identifier that agrees exactly outranks all but a differing NHS
    number. Relatives at one address are handled with the links around a pair
    (``household_sql`` and rivals.py), not by one field.
    """
    p = spec.present
    same_id = identity_sql(spec)
    cases = [f"WHEN generation_l <> generation_r AND NOT {same_id} THEN 'junior and senior'"]
    if "nhs_number" in p:
        cases.append("WHEN gamma_nhs_number = 0 THEN 'different NHS numbers'")
    if {"given_name", "dob"} <= p:
        cases.append(
            f"WHEN gamma_given_name = 0 AND gamma_dob = 0 AND NOT {same_id} "
            "THEN 'different given names and dates of birth'"
        )
    if {"given_name", "sex"} <= p:
        cases.append(
            f"WHEN gamma_given_name = 0 AND gamma_sex = 0 AND NOT {same_id} "
            "THEN 'different given names and sex'"
        )
    return "CASE " + " ".join(cases) + " END"


def household_sql(spec: ModelSpec) -> str:
    """SQL true when a pair looks like two relatives of one household, not one person.

    Same surname and address, and the one thing that tells such relatives apart disagrees
    outright: the first name with the same birthday (twins), or the date of birth with the
    same first name (a father and son of one name) — and no identifier agrees. On its own
    this is also what a replaced first name or date of birth looks like, so it vetoes
    nothing: inside a cluster that already holds two people (a cannot-link), such pairs
    are kept apart too (index.split_conflicting_clusters).
    """
    p = spec.present
    household = _same_household_sql(p)
    if not household or not {"given_name", "dob"} <= p:
        return "FALSE"
    twins = "(gamma_given_name = 0 AND dob_l = dob_r)"
    namesakes = "(gamma_dob = 0 AND given_name_canonical_l = given_name_canonical_r)"
    return f"coalesce(({twins} OR {namesakes}) AND {household} AND NOT {identity_sql(spec)}, FALSE)"


def differs_sql(spec: ModelSpec) -> str:
    """SQL true when a pair disagrees outright on what tells relatives apart: the given
    name or the date of birth (their "other" level). Only such a pair can lose to rivals:
    a person's records at two addresses are joined even when each address has better links.
    """
    p = spec.present
    parts = [f"gamma_{c} = 0" for c in ("given_name", "dob") if c in p]
    return f"coalesce({' OR '.join(parts)}, FALSE)" if parts else "FALSE"


def anchor_sql(spec: ModelSpec) -> str:
    """SQL true when an identifier agrees exactly: identity, not resemblance."""
    return identity_sql(spec)


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
