"""Unsupervised training and scoring with Splink: u by random sampling, m by EM.

Used by the hub's full runs, by ``link-files`` and by the benchmark, so every path
trains the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import duckdb
from splink import Linker
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.exceptions import EMTrainingException
from splink.internals.splink_dataframe import SplinkDataFrame

from sharewell.errors import LinkageError
from sharewell.linkage.blocking import DETERMINISTIC_RECALL, BlockingRule, oversized_rules
from sharewell.linkage.model import ModelSpec, person_settings
from sharewell.linkage.plan import EmSession, free_comparisons, training_plan

__all__ = [
    "PREDICT_FLOOR",
    "Step",
    "Training",
    "guard_blocking",
    "predict",
    "prior_m_levels",
    "train_linker",
]

Step = Callable[[str], None]

# Pairs scoring below this are not kept at all: they can neither link nor need review.
PREDICT_FLOOR = 0.01
# Pairs sampled to estimate u; grows with the data, capped to keep a county fast.
U_PAIRS_MIN = 2e6
U_PAIRS_MAX = 5e6
EM_MAX_PAIRS = 2e6
# When an EM session fails (small data), at most this many other rules are tried for the
# comparisons it would have estimated, before falling back on prior m values.
FALLBACK_EM_RULES = 3


@dataclass(frozen=True)
class Training:
    """A trained linker and, in plain words, anything training had to fall back on."""

    linker: Linker
    notes: tuple[str, ...] = ()


def guard_blocking(
    con: duckdb.DuckDBPyConnection, table: str, spec: ModelSpec, n_records: int
) -> tuple[ModelSpec, list[str]]:
    """``spec`` without the blocking rules that would make too many pairs on ``table``."""
    too_big = oversized_rules(
        con, table, spec.candidate_rules(), n_records=n_records, link=spec.link_type == "link_only"
    )
    notes = [
        f"blocking rule {name} left out: it would make {pairs:,} pairs on this data"
        for name, pairs in too_big.items()
        if name not in BROAD_RULES
    ]
    guarded = replace(spec, dropped_rules=frozenset(too_big))
    if not guarded.prediction_rules():
        raise LinkageError(
            "the fields held are too unspecific to compare records at this scale (every "
            "blocking rule would make too many pairs): map a name, date of birth or address"
        )
    return guarded, notes


# The one-field rules at the end of PREDICTION_BLOCKING: dropping them at scale is the plan,
# not news.
BROAD_RULES = ("dob", "postcode", "names", "house", "phone", "uprn", "family", "given", "town")


def _quiet() -> None:
    # Splink narrates every step at INFO; sharewell reports progress itself.
    logging.getLogger("splink").setLevel(logging.WARNING)


def _none(_: str) -> None:
    return None


def train_linker(
    inputs: SplinkDataFrame | list[SplinkDataFrame],
    spec: ModelSpec,
    *,
    n_records: int,
    seed: int = 42,
    step: Step = _none,
) -> Training:
    """A linker on ``inputs`` trained without labels, and what training could not estimate.

    An EM session that fails (too little data) is skipped and other blocking rules are
    tried for what it would have estimated; comparisons no session could estimate keep a
    prior m (see ``prior_m_levels``). Every fallback is named in ``notes``.
    """
    _quiet()
    settings = person_settings(spec)
    linker = Linker(inputs, settings, log_level=None)
    training = linker.training
    step("estimating how often two random records match")
    rules: list[str | BlockingRuleCreator] = [r.creator() for r in spec.deterministic_rules()]
    try:
        training.estimate_probability_two_random_records_match(rules, recall=DETERMINISTIC_RECALL)
    except ValueError as exc:
        raise LinkageError(f"cannot estimate the match prior from the data: {exc}") from exc
    if linker._settings_obj._probability_two_random_records_match <= 0:
        # No deterministic matches (e.g. two files sharing nobody): assume 1 in n.
        linker._settings_obj._probability_two_random_records_match = 1.0 / max(n_records, 2)
    step("estimating u (how often non-matches agree) by random sampling")
    u_pairs = min(max(U_PAIRS_MIN, n_records * 5.0), U_PAIRS_MAX)
    training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    notes = _run_plan(linker, spec, step)
    by_comparison: dict[str, list[str]] = {}
    for comparison, level in prior_m_levels(linker):
        by_comparison.setdefault(comparison, []).append(level)
    notes += [
        f"{c}: m could not be estimated from the data; prior m used for "
        + ("every level" if len(levels) > 2 else ", ".join(levels))
        for c, levels in by_comparison.items()
    ]
    return Training(linker, tuple(notes))


def _run_plan(linker: Linker, spec: ModelSpec, step: Step) -> list[str]:
    """Run the EM plan (plan.py); a session that fails is replaced by another rule that
    frees what it would have estimated. Returns notes on anything that went differently."""
    comparisons = linker._settings_obj.comparisons
    dialect = linker._db_api.sql_dialect.sqlglot_dialect
    candidates = spec.em_rules()
    plan = training_plan(candidates, comparisons, dialect)
    notes: list[str] = []
    queue = list(plan.sessions)
    tried: set[str] = set()
    covered: set[str] = set()
    replacements = 0
    while queue:
        session = queue.pop(0)
        tried.add(session.rule.name)
        step(f"estimating m (how often matches agree) by EM, blocking on {session.rule.name}")
        failed = _em(linker, session.rule)
        if not failed:
            covered |= set(session.estimates)
            continue
        notes.append(f"EM blocked on {session.rule.name} was skipped: {failed}")
        missing = set(session.estimates) - covered - {n for s in queue for n in s.estimates}
        if not missing or replacements == FALLBACK_EM_RULES:
            continue
        for rule in candidates:
            frees = free_comparisons(rule, comparisons, dialect)
            if rule.name not in tried and missing & set(frees) and len(frees) >= 2:
                replacements += 1
                notes.append(f"EM blocked on {rule.name} was tried instead")
                queue.insert(0, EmSession(rule, frees))
                break
    if plan.untrainable:
        notes.append(
            "no EM blocking rule leaves "
            + ", ".join(plan.untrainable)
            + " free to be estimated (every usable rule blocks on it)"
        )
    return notes


def _em(linker: Linker, rule: BlockingRule) -> str | None:
    """One EM session blocked on ``rule``; None, or why it estimated nothing."""
    # A failed EM session leaves the linker without the comparisons its rule blocks on
    # (Splink removes them for the session and puts them back only on success), so keep
    # the parameters as they were and put them back ourselves.
    before = linker._settings_obj.core_model_settings.copy()
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule.creator(), max_pairs=EM_MAX_PAIRS
        )
    except (ValueError, EMTrainingException) as exc:
        # On a small county EM can drive a rare level's m below what a float holds (Splink
        # refuses it) or find no pairs at all: the session estimates nothing.
        linker._settings_obj.core_model_settings = before
        return _first_line(exc)
    return None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__


def prior_m_levels(linker: Linker) -> list[tuple[str, str]]:
    """Comparison levels whose m no EM session estimated; they keep Splink's prior m.

    The prior gives the exact-agreement level 0.95 and shares 0.05 among the others. A
    level never seen among candidate pairs (one NHS digit wrong, in a small extract) is
    left to Splink's own "not observed" handling and is not listed.
    """
    out = []
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            if level._fix_m_probability or level._trained_m_probabilities:
                continue
            out.append((comparison.output_column_name, level.label_for_charts))
    return out


def predict(linker: Linker, *, floor: float = PREDICT_FLOOR) -> SplinkDataFrame:
    """Score every blocked pair, keeping those at or above ``floor``."""
    return linker.inference.predict(threshold_match_probability=floor, warning_mode="never")


def model_dict(linker: Linker) -> dict[str, Any]:
    """The trained model (settings and parameters) as a JSON-able dict."""
    return linker.misc.save_model_to_json()
