"""On synthetic Westshires the design finds what was generated, and only that.

``sharewell.synth`` cuts referred people's police mental health incidents, Section 136
detentions and A&E attendances by 35% from their referral and leaves the rest alone. Over many
generated partnerships with no effect the design must report "no clear effect" in at least 95%
of them; with the effect, its corrected intervals must contain what was generated at least 90%
of the time. ``make bench`` runs the same with more seeds (benchmarks/savings.py).
"""

from __future__ import annotations

import pytest

from sharewell.savings.calibration import calibrate

SEEDS = range(200, 220)


@pytest.mark.slow
def test_a_null_effect_reports_no_clear_effect_in_95_percent_of_partnerships() -> None:
    null = calibrate(SEEDS, effect=0.0)
    assert null.no_clear_effect >= 0.95, [r.clear for _, r in null.runs]
    assert null.coverage >= 0.95


@pytest.mark.slow
def test_the_generated_effect_is_recovered_within_its_interval() -> None:
    runs = calibrate(SEEDS, effect=0.35)
    assert runs.coverage >= 0.90
    # The police estimate, the largest effect, is found on most partnerships.
    assert runs.detected("police_mental_health") >= 0.8
    # The unchanged event types are rarely called clear.
    assert runs.detected("ambulance_mh_callout") <= 0.1
    grades = [r.estimates["police_mental_health"].confidence_grade for _, r in runs.runs]
    assert grades.count(2) >= 0.7 * len(grades)
