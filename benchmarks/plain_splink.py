"""The floor: plain Splink 5 with the settings its own documentation uses for person data.

Taken from Splink's FEBRL examples (``docs/demos/examples/duckdb/febrl4.nb.py``, the
"detailed model", and ``febrl3.nb.py`` for deduplication), with each column given the
comparison those examples give a column of its kind:

- given and family name: ``cl.NameComparison`` with term frequencies;
- date of birth: ``cl.DateOfBirthComparison(input_is_string=True,
  invalid_dates_as_null=True)``;
- an identifier (FEBRL's social security id, the NHS number):
  ``cl.DamerauLevenshteinAtThresholds(col, [1, 2])``;
- street number: ``cl.ExactMatch`` with term frequencies; postcode:
  ``cl.DamerauLevenshteinAtThresholds(col, [1, 2])`` with term frequencies; the other
  address columns are left out "as they will be strongly correlated with postcode" —
  except when there is no postcode, when the street and town are ``cl.ExactMatch`` with
  term frequencies, as the 50k example (``deduplicate_50k_synthetic.nb.py``) treats such
  columns;
- sex, middle initial, UPRN, phone, email: ``cl.ExactMatch``.

Blocking rules are febrl4's (names; names reversed; date of birth; identifier; state and
street; street number and street; postcode), those whose columns are present. The prior
comes from febrl4's deterministic rules (identifier; names and date of birth) at recall
0.8; u from 1e7 random pairs; m by EM blocked on the date of birth and then the postcode,
as both examples do (blocked on the names, as the 50k example does, where one is missing).
Links are clusters at match probability 0.99, febrl4's threshold.

The only preparation is what those examples do and what a user must do for Splink to read
the columns at all: text trimmed and lower-cased, dates parsed to ISO, empty as NULL, a
middle name cut to its initial where the other file holds initials.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import EMTrainingException

__all__ = ["THRESHOLD", "plain_splink_clusters"]

THRESHOLD = 0.99
DATE_FORMATS = "['%Y%m%d', '%d/%m/%Y', '%Y-%m-%d']"


def _prepared(con: duckdb.DuckDBPyConnection, source: str, roles: dict[str, str]) -> str:
    cols = []
    for role, col in roles.items():
        if role == "middle_name_right":
            continue
        if role == "date_of_birth":
            expr = (
                f"strftime(try_strptime(trim(CAST({col} AS VARCHAR)), {DATE_FORMATS}), '%Y-%m-%d')"
            )
        elif role == "middle_name":
            expr = f"left(lower(trim(CAST({col} AS VARCHAR))), 1)"
        else:
            expr = f"lower(trim(CAST({col} AS VARCHAR)))"
        cols.append(f"nullif({expr}, '') AS {role}")
    return f"SELECT CAST(record_id AS VARCHAR) AS unique_id, {', '.join(cols)} FROM {source}"


def _comparisons(roles: Sequence[str]) -> list[Any]:
    r = set(roles)
    out: list[Any] = []
    for name in ("given_name", "family_name"):
        if name in r:
            out.append(cl.NameComparison(name).configure(term_frequency_adjustments=True))
    if "middle_name" in r:
        out.append(cl.ExactMatch("middle_name"))
    if "date_of_birth" in r:
        out.append(
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y-%m-%d",
                invalid_dates_as_null=True,
            )
        )
    for ident in ("identifier", "nhs_number"):
        if ident in r:
            out.append(cl.DamerauLevenshteinAtThresholds(ident, [1, 2]))
    if "street_number" in r:
        out.append(cl.ExactMatch("street_number").configure(term_frequency_adjustments=True))
    if "postcode" in r:
        out.append(
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            )
        )
    else:
        for col in ("address_line", "town"):
            if col in r:
                out.append(cl.ExactMatch(col).configure(term_frequency_adjustments=True))
    for col in ("sex", "uprn", "phone", "email"):
        if col in r:
            out.append(cl.ExactMatch(col))
    return out


def _usable(rules: list[tuple[str, ...]], roles: set[str]) -> list[tuple[str, ...]]:
    return [rule for rule in rules if set(rule) <= roles]


def plain_splink_clusters(
    con: duckdb.DuckDBPyConnection,
    left: str,
    right: str | None,
    roles: dict[str, str],
    out: str,
) -> dict[str, Any]:
    """Cluster the records of ``left`` (and ``right``) with plain Splink into table ``out``
    (unique_id, cluster_id); returns counts and any step that failed."""
    logging.getLogger("splink").setLevel(logging.WARNING)
    con.execute(f"CREATE OR REPLACE TABLE plain_l AS {_prepared(con, left, roles)}")
    if right:
        con.execute(f"CREATE OR REPLACE TABLE plain_r AS {_prepared(con, right, roles)}")
    present = {k for k in roles if k != "middle_name_right"}
    names = {"given_name", "family_name"}
    rules: list[Any] = [block_on(*r) for r in _usable([("given_name", "family_name")], present)]
    if names <= present:
        rules.append("l.given_name = r.family_name and l.family_name = r.given_name")
    rules += [
        block_on(*r)
        for r in _usable(
            [
                ("date_of_birth",),
                ("identifier",),
                ("nhs_number",),
                ("state", "address_line"),
                ("street_number", "address_line"),
                ("postcode",),
            ],
            present,
        )
    ]
    settings = SettingsCreator(
        link_type="link_only" if right else "dedupe_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=_comparisons(sorted(present)),
        retain_intermediate_calculation_columns=True,
    )
    db_api = DuckDBAPI(connection=con)
    inputs = [db_api.register("plain_l")] + ([db_api.register("plain_r")] if right else [])
    linker = Linker(inputs if right else inputs[0], settings)
    deterministic = [
        block_on(*r)
        for r in _usable(
            [("identifier",), ("nhs_number",), ("given_name", "family_name", "date_of_birth")],
            present,
        )
    ] or [block_on("given_name", "family_name", "street_number")]
    failed: list[str] = []
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2)
    em = _usable([("date_of_birth",), ("postcode",), ("given_name", "family_name")], present)
    for rule in em[:2]:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), estimate_without_term_frequencies=True
            )
        except (EMTrainingException, ValueError, duckdb.Error) as exc:
            failed.append(f"EM on {rule}: {str(exc).splitlines()[0][:80]}")
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=THRESHOLD
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS SELECT unique_id, cluster_id FROM "
        f"{clusters.physical_name}"
    )
    pairs = con.execute(f"SELECT count(*) FROM {predictions.physical_name}").fetchall()[0][0]
    return {"pairs_scored": int(pairs), "failed": failed}
