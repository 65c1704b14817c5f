"""The EM training plan: which blocking rules to run EM on so every comparison is estimated.

Splink sets aside, for an EM session, every comparison that reads a column of the
session's blocking rule (its m would be biased: every pair agrees on it). So a plan is
chosen from the comparisons actually in the model, using Splink's own reading of which
columns a rule and a comparison use: each session must leave at least one comparison
free (never a session with nothing to train), and between them the sessions must free
every comparison that any usable rule can free. What no rule can free keeps a prior m,
which training says in its notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from splink.internals.comparison import Comparison
from splink.internals.parse_sql import get_columns_used_from_sql

from sharewell.linkage.blocking import BlockingRule

__all__ = ["EmSession", "TrainingPlan", "free_comparisons", "training_plan"]

# Enough sessions that most comparisons are estimated twice (Splink averages them), few
# enough to keep training quick.
MIN_SESSIONS = 2
MAX_SESSIONS = 4


@dataclass(frozen=True)
class EmSession:
    """One EM session: its blocking rule and the comparisons it estimates."""

    rule: BlockingRule
    estimates: tuple[str, ...]


@dataclass(frozen=True)
class TrainingPlan:
    """The EM sessions to run, and the comparisons none of them can estimate."""

    sessions: tuple[EmSession, ...]
    untrainable: tuple[str, ...]


def free_comparisons(
    rule: BlockingRule, comparisons: Sequence[Comparison], sqlglot_dialect: str
) -> tuple[str, ...]:
    """The comparisons an EM session blocked on ``rule`` can estimate (as Splink decides)."""
    used = set(get_columns_used_from_sql(rule.sql(), sqlglot_dialect))
    return tuple(
        c.output_column_name
        for c in comparisons
        if not used & {col.input_name for col in c._input_columns_used_by_case_statement}
    )


def training_plan(
    candidates: Sequence[BlockingRule],
    comparisons: Sequence[Comparison],
    sqlglot_dialect: str,
    *,
    exclude: frozenset[str] = frozenset(),
) -> TrainingPlan:
    """Sessions, in ``candidates`` order, until every freeable comparison is covered.

    A rule joins the plan when it frees at least one comparison not yet covered, or when
    the plan has fewer than ``MIN_SESSIONS`` — and never when it frees nothing, or only
    one comparison of a model that has more (one comparison alone cannot tell matches
    from non-matches). ``exclude`` names rules not to use (they failed, or are too big).
    """
    names = [c.output_column_name for c in comparisons]
    frees = {
        r.name: free_comparisons(r, comparisons, sqlglot_dialect)
        for r in candidates
        if r.name not in exclude
    }
    wanted = min(2, len(names))
    usable = [r for r in candidates if r.name in frees and len(frees[r.name]) >= wanted]
    if not usable:
        # Two-field data (given and family name only): one free comparison is all there is.
        usable = [r for r in candidates if frees.get(r.name)]
    freeable = {n for r in usable for n in frees[r.name]}
    covered: set[str] = set()
    sessions: list[EmSession] = []
    for rule in usable:
        if len(sessions) == MAX_SESSIONS:
            break
        if not set(frees[rule.name]) - covered and len(sessions) >= MIN_SESSIONS:
            continue
        sessions.append(EmSession(rule, frees[rule.name]))
        covered |= set(frees[rule.name])
        if covered >= freeable and len(sessions) >= MIN_SESSIONS:
            break
    return TrainingPlan(tuple(sessions), tuple(n for n in names if n not in covered))
