"""Calibrate fire risk weights on past fires, and measure the ranking against age-only targeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from sharewell.errors import SharewellError
from sharewell.views.fire_risk import (
    FACTORS,
    AgeBand,
    FactorWeight,
    HouseholdRisk,
    RiskWeights,
)

__all__ = [
    "CalibrationResult",
    "HouseholdOutcome",
    "RankingQuality",
    "calibrate",
    "ranking_quality",
]


@dataclass(frozen=True)
class HouseholdOutcome:
    """A household as it stood at the cut-off date, and whether it had a fire afterwards."""

    risk: HouseholdRisk
    had_fire: bool


@dataclass(frozen=True)
class RankingQuality:
    """How well a ranking finds the households that went on to have a fire."""

    households: int
    fires: int
    auc: float
    top_decile_capture: float  # share of fires in the top 10% of households

    @classmethod
    def of(cls, scores: np.ndarray, outcomes: np.ndarray) -> RankingQuality:
        """Measure ``scores`` (higher = visit first) against 0/1 ``outcomes``."""
        fires = int(outcomes.sum())
        if fires == 0 or fires == len(outcomes):
            raise SharewellError(
                "cannot measure a ranking: the outcome period has "
                + ("no fires" if fires == 0 else "fires in every household")
            )
        # Random tie-breaking would make the figure noisy; stable order by score then index.
        order = np.lexsort((np.arange(len(scores)), -scores))
        top = order[: max(1, len(scores) // 10)]
        return cls(
            households=len(scores),
            fires=fires,
            auc=float(roc_auc_score(outcomes, scores)),
            top_decile_capture=float(outcomes[top].sum() / fires),
        )


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted weights, and the ranking's quality beside age-only targeting."""

    weights: RiskWeights
    model: RankingQuality
    age_only: RankingQuality


def _design(rows: Sequence[HouseholdOutcome], weights: RiskWeights) -> np.ndarray:
    """One row per household: an indicator per age band (but the first), factor, recent visit."""
    columns: list[list[float]] = []
    for row in rows:
        present = {c.factor for c in row.risk.contributions}
        ages = [p.age for p in row.risk.people if p.age is not None]
        band = weights.age_band(max(ages)) if ages else None
        band_cols = [1.0 if band is b else 0.0 for b in weights.age_bands[1:]]
        factor_cols = [1.0 if f in present else 0.0 for f in FACTORS]
        columns.append([*band_cols, *factor_cols, 1.0 if "recent_visit" in present else 0.0])
    return np.asarray(columns, dtype=float)


def ranking_quality(rows: Sequence[HouseholdOutcome]) -> tuple[RankingQuality, RankingQuality]:
    """Quality of the rows' own scores, and of ranking by the oldest occupant's age alone."""
    outcomes = np.asarray([r.had_fire for r in rows], dtype=float)
    scores = np.asarray([r.risk.logit for r in rows])
    ages = np.asarray(
        [max((p.age for p in r.risk.people if p.age is not None), default=0) for r in rows],
        dtype=float,
    )
    return RankingQuality.of(scores, outcomes), RankingQuality.of(ages, outcomes)


def calibrate(
    train: Sequence[HouseholdOutcome],
    weights: RiskWeights,
    *,
    fitted_on: str,
) -> RiskWeights:
    """Fit the weights' log-odds to past fires by penalised logistic regression."""
    y = np.asarray([r.had_fire for r in train], dtype=int)
    if y.sum() < 10:
        raise SharewellError(
            f"too few past fires to calibrate on ({int(y.sum())}; at least 10 needed): "
            "use a longer history window"
        )
    x = _design(train, weights)
    # Mild L2 penalty: rare factors should not get wild weights from a handful of fires.
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    coef = model.coef_[0]
    n_bands = len(weights.age_bands) - 1
    bands = [weights.age_bands[0].model_copy(update={"weight": 0.0})]
    bands += [
        band.model_copy(update={"weight": round(float(w), 4)})
        for band, w in zip(weights.age_bands[1:], coef[:n_bands], strict=True)
    ]
    factors = {
        name: FactorWeight(
            weight=round(float(w), 4),
            reason=weights.factors[name].reason
            if name in weights.factors
            else name.replace("_", " "),
        )
        for name, w in zip(FACTORS, coef[n_bands : n_bands + len(FACTORS)], strict=True)
    }
    visit_weight = min(0.0, round(float(coef[-1]), 4))
    return RiskWeights(
        version=weights.version + 1,
        name=f"Calibrated on {fitted_on}",
        fitted_on=fitted_on,
        intercept=round(float(model.intercept_[0]), 4),
        age_bands=tuple(AgeBand.model_validate(b.model_dump()) for b in bands),
        factors=factors,
        recent_visit=weights.recent_visit.model_copy(update={"weight": visit_weight}),
    )
