"""Who is at risk of what: crisis, smoking, alcohol, mobility, hoarding, and household fire.

One latent vulnerability per person, part of it shared within the household, makes crisis,
smoking and alcohol go together; prevalences are calibrated to the rates in docs/synthetic.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sharewell.synth.config import SynthConfig

__all__ = ["DIAGNOSES", "PersonRisk", "household_fire_risk", "person_risk"]

DIAGNOSES = (
    "F20 Paranoid schizophrenia",
    "F31 Bipolar affective disorder",
    "F32 Depressive episode",
    "F33 Recurrent depressive disorder",
    "F41 Anxiety disorder",
    "F43 Reaction to severe stress",
    "F60.3 Emotionally unstable personality disorder",
    "F10 Mental and behavioural disorders due to alcohol",
)
_DIAGNOSIS_SHARES = (0.12, 0.12, 0.2, 0.14, 0.12, 0.12, 0.12, 0.06)


@dataclass(frozen=True)
class PersonRisk:
    """Each person's true risk factors (one element per person)."""

    smoker: np.ndarray
    alcohol_misuse: np.ndarray
    reduced_mobility: np.ndarray
    hoarding: np.ndarray
    lives_alone: np.ndarray
    crisis_prone: np.ndarray
    crisis_rate: np.ndarray  # expected crisis team contacts a year
    diagnosis: np.ndarray


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrated(rng: np.random.Generator, linear: np.ndarray, target: float) -> np.ndarray:
    """Bernoulli draws with log-odds ``c + linear``, ``c`` chosen so the mean is ``target``."""
    lo, hi = -20.0, 20.0
    for _ in range(50):  # bisection: the mean probability rises with c
        mid = (lo + hi) / 2
        if _sigmoid(mid + linear).mean() < target:
            lo = mid
        else:
            hi = mid
    return rng.random(len(linear)) < _sigmoid((lo + hi) / 2 + linear)


def person_risk(
    rng: np.random.Generator,
    config: SynthConfig,
    *,
    age: np.ndarray,
    sex: np.ndarray,
    household: np.ndarray,
    household_size: np.ndarray,
    deprivation: np.ndarray,
    trap_pairs: tuple[tuple[np.ndarray, np.ndarray], ...],
) -> PersonRisk:
    """Risk factors for every person; ``trap_pairs`` are twins and father/son namesakes."""
    n, h = len(age), len(household_size)
    hh, size, dep = household, household_size, deprivation
    adult = age >= 18
    teen_or_adult = age >= 14  # crisis services (CAMHS included) see people from 14
    shared = config.household_vulnerability_share
    z = np.sqrt(shared) * rng.standard_normal(h)[hh] + np.sqrt(1 - shared) * rng.standard_normal(n)
    young = (age >= 14) & (age < 45)
    old = age >= 70
    male = sex == "male"
    lives_alone = size[hh] == 1
    crisis_prone = teen_or_adult & _calibrated(
        rng,
        np.where(teen_or_adult, 1.6 * z + 0.4 * dep + 0.5 * young - 0.8 * old, -30.0),
        config.crisis_prone_rate * teen_or_adult.mean(),
    )
    # Some twins and father/son namesakes are both known to mental health services, so the
    # traps they set for linkage show up in the extracts, not only in the truth.
    for pair_a, pair_b in trap_pairs:
        both = (age[pair_a] >= 14) & (age[pair_b] >= 14)
        known = both & (rng.random(len(pair_a)) < config.trap_contact_rate)
        crisis_prone[pair_a[known]] = True
        crisis_prone[pair_b[known]] = True
    smoker = adult & _calibrated(
        rng,
        np.where(adult, 0.6 * z + 0.5 * dep + 1.0 * crisis_prone - 0.6 * old, -30.0),
        0.13 * adult.mean(),
    )
    alcohol = adult & _calibrated(
        rng,
        np.where(adult, 0.6 * z + 0.3 * dep + 1.2 * crisis_prone + 0.5 * male, -30.0),
        0.05 * adult.mean(),
    )
    mobility = rng.random(n) < _sigmoid(-5.5 + 0.065 * age + 0.3 * dep)
    hoarding = adult & _calibrated(
        rng,
        np.where(
            adult, 0.5 * z + 0.02 * (age - 50) + 0.8 * lives_alone + 0.6 * crisis_prone, -30.0
        ),
        0.015 * adult.mean(),
    )
    mean = config.crisis_rate_mean
    crisis_rate = np.where(
        crisis_prone,
        rng.gamma(1.2, mean / 1.2, n),
        np.where(teen_or_adult, config.background_crisis_rate * np.exp(0.5 * z - 0.125), 0.0),
    )
    diagnosis = np.where(
        crisis_rate > 0,
        np.array(DIAGNOSES, dtype=object)[rng.choice(len(DIAGNOSES), n, p=_DIAGNOSIS_SHARES)],
        "",
    ).astype(object)
    diagnosis = np.where(alcohol & crisis_prone & (rng.random(n) < 0.4), DIAGNOSES[-1], diagnosis)

    return PersonRisk(
        smoker=smoker,
        alcohol_misuse=alcohol,
        reduced_mobility=mobility,
        hoarding=hoarding,
        lives_alone=lives_alone,
        crisis_prone=crisis_prone,
        crisis_rate=crisis_rate,
        diagnosis=diagnosis,
    )


def _any(flag: np.ndarray, hh: np.ndarray, h: int) -> np.ndarray:
    return np.bincount(hh, weights=flag.astype(float), minlength=h) > 0


def household_fire_risk(
    rng: np.random.Generator,
    config: SynthConfig,
    *,
    age: np.ndarray,
    household: np.ndarray,
    household_size: np.ndarray,
    deprivation: np.ndarray,
    risk: PersonRisk,
) -> tuple[np.ndarray, np.ndarray]:
    """Each household's working smoke alarm and true dwelling fire rate (docs/synthetic.md)."""
    hh, h = household, len(household_size)
    oldest = np.zeros(h, dtype=int)
    np.maximum.at(oldest, hh, age)
    smoker = _any(risk.smoker, hh, h)
    dep = deprivation
    alone = household_size == 1
    working_alarm = rng.random(h) < _sigmoid(
        2.2 - 0.4 * dep - 0.5 * smoker - 0.4 * (alone & (oldest >= 75))
    )
    # Relative risks multiply: each factor is from the fire literature's usual range (1.4-2.5).
    rate = (
        config.dwelling_fire_rate
        * np.where(smoker, 2.0, 1.0)
        * np.where(_any(risk.alcohol_misuse, hh, h), 1.8, 1.0)
        * np.where(_any(risk.crisis_prone, hh, h), 2.2, 1.0)
        * np.where(alone, 1.5, 1.0)
        * np.where(_any(risk.reduced_mobility, hh, h), 1.4, 1.0)
        * np.where(_any(risk.hoarding, hh, h), 2.5, 1.0)
        * np.select([oldest >= 80, oldest >= 65], [1.4, 1.15], 1.0)
        * np.exp(0.15 * dep)
    )
    return working_alarm, rate
