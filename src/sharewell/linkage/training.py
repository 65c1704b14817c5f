"""Unsupervised training and scoring with Splink: u by random sampling, m by EM.

Used by the hub's full runs, by ``link-files`` and by the benchmark, so every path
trains the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from splink import Linker
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.splink_dataframe import SplinkDataFrame

from sharewell.errors import LinkageError
from sharewell.linkage.model import DETERMINISTIC_RECALL, ModelSpec, person_settings

__all__ = ["PREDICT_FLOOR", "Step", "predict", "train_linker"]

Step = Callable[[str], None]

# Pairs scoring below this are not kept at all: they can neither link nor need review.
PREDICT_FLOOR = 0.01
# Pairs sampled to estimate u; grows with the data, capped to keep a county fast.
U_PAIRS_MIN = 2e6
U_PAIRS_MAX = 5e6
EM_MAX_PAIRS = 2e6


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
) -> Linker:
    """A linker on ``inputs`` trained without labels; raises LinkageError if it cannot be."""
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
    for rule in spec.training_rules():
        step(f"estimating m (how often matches agree) by EM, blocking on {rule.name}")
        try:
            training.estimate_parameters_using_expectation_maximisation(
                rule.creator(), max_pairs=EM_MAX_PAIRS
            )
        except Exception as exc:  # Splink raises plain exceptions when a block is empty
            raise LinkageError(
                f"training (EM blocked on {rule.name}) failed; the data may be too small "
                f"or share too little: {exc}"
            ) from exc
    return linker


def predict(linker: Linker, *, floor: float = PREDICT_FLOOR) -> SplinkDataFrame:
    """Score every blocked pair, keeping those at or above ``floor``."""
    return linker.inference.predict(threshold_match_probability=floor, warning_mode="never")


def model_dict(linker: Linker) -> dict[str, Any]:
    """The trained model (settings and parameters) as a JSON-able dict."""
    return linker.misc.save_model_to_json()
