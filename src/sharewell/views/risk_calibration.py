"""Calibrate fire risk weights on past fires, and measure the ranking against age-only targeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.stats import rankdata
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
    # 95% bootstrap interval of the AUC: a county-year holds a few dozen fires, so the figure
    # alone says little; the same resamples are used for every ranking of the same households
    auc_interval: tuple[float, float] | None = None

    @classmethod
    def of(cls, scores: np.ndarray, outcomes: np.ndarray, resamples: int = 0) -> RankingQuality:
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
            auc_interval=_auc_interval(scores, outcomes, resamples) if resamples else None,
        )


def _auc_interval(scores: np.ndarray, outcomes: np.ndarray, resamples: int) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the AUC over households resampled with replacement."""
    rng = np.random.default_rng(0)  # fixed: every ranking of these households sees the same
    aucs = []
    for _ in range(resamples):
        pick = rng.integers(0, len(scores), len(scores))
        drawn = outcomes[pick]
        fires = drawn.sum()
        if 0 < fires < len(drawn):
            # Mann-Whitney form of the AUC (ties averaged, as roc_auc_score): far quicker here
            ranks = rankdata(scores[pick])
            aucs.append(
                (ranks[drawn == 1].sum() - fires * (fires + 1) / 2) / (fires * (len(drawn) - fires))
            )
    low, high = np.percentile(aucs, [2.5, 97.5])
    return round(float(low), 4), round(float(high), 4)


@dataclass(frozen=True)
class CalibrationResult:
    """Fitted weights, and the ranking's quality beside age-only targeting."""

    weights: RiskWeights
    model: RankingQuality
    age_only: RankingQuality
    starting: RankingQuality | None = None  # the weights calibration started from, same test


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


def ranking_quality(
    rows: Sequence[HouseholdOutcome], resamples: int = 0
) -> tuple[RankingQuality, RankingQuality]:
    """Quality of the rows' own scores, and of ranking by the oldest occupant's age alone."""
    outcomes = np.asarray([r.had_fire for r in rows], dtype=float)
    scores = np.asarray([r.risk.logit for r in rows])
    ages = np.asarray(
        [max((p.age for p in r.risk.people if p.age is not None), default=0) for r in rows],
        dtype=float,
    )
    return (
        RankingQuality.of(scores, outcomes, resamples),
        RankingQuality.of(ages, outcomes, resamples),
    )


def _fit_around(
    x: np.ndarray, y: np.ndarray, intercept: float, prior: np.ndarray, prior_sd: float
) -> tuple[float, np.ndarray]:
    """Logistic regression whose weights are pulled towards ``prior`` (not towards zero).

    The penalty is a normal prior on each weight, centred on the starting weight with
    ``prior_sd``; the intercept is free. scikit-learn's penalties only pull towards zero (and
    take no offset), so this small maximum a posteriori fit is written out for scipy.
    """
    precision = 1.0 / prior_sd**2

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid, without overflow
        gap = theta[1:] - prior
        value = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * precision * gap @ gap)
        grad = np.concatenate([[np.sum(p - y)], x.T @ (p - y) + precision * gap])
        return value, grad

    fit = minimize(loss, np.concatenate([[intercept], prior]), jac=True, method="L-BFGS-B")
    if not fit.success:
        raise SharewellError(f"calibration did not converge ({fit.message}): check the history")
    return float(fit.x[0]), fit.x[1:]


def calibrate(
    train: Sequence[HouseholdOutcome],
    weights: RiskWeights,
    *,
    fitted_on: str,
    prior_sd: float = 0.5,
) -> RiskWeights:
    """Fit the weights' log-odds to past fires, starting from (and pulled towards) ``weights``.

    A county's few dozen fires a year cannot set nine weights on their own: fitted freely they
    chase noise (a factor with no fires that year gets no weight). So the starting weights are
    the prior — each within about ``prior_sd`` log-odds (0.5: a factor of 1.6 in the odds) —
    and the fires move them as far as they are evidence for. A factor no partner records
    keeps its starting weight.
    """
    y = np.asarray([r.had_fire for r in train], dtype=int)
    if y.sum() < 10:
        raise SharewellError(
            f"too few past fires to calibrate on ({int(y.sum())}; at least 10 needed): "
            "use a longer history window"
        )
    x = _design(train, weights)
    prior = np.asarray(
        [b.weight for b in weights.age_bands[1:]]
        + [weights.factors[f].weight if f in weights.factors else 0.0 for f in FACTORS]
        + [weights.recent_visit.weight]
    )
    # Weights are relative to the first age band, as the design leaves it out.
    prior[: len(weights.age_bands) - 1] -= weights.age_bands[0].weight
    intercept, coef = _fit_around(
        x, y.astype(float), weights.intercept + weights.age_bands[0].weight, prior, prior_sd
    )
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
        intercept=round(intercept, 4),
        age_bands=tuple(AgeBand.model_validate(b.model_dump()) for b in bands),
        factors=factors,
        recent_visit=weights.recent_visit.model_copy(update={"weight": visit_weight}),
    )
