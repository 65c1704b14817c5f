"""On a linked synthetic county, shared risk factors find next year's fires better than age."""

from __future__ import annotations

from datetime import date

import pytest

from sharewell.views.safe_and_well import calibrate_from_history

from .conftest import LinkedHub

pytestmark = pytest.mark.slow


def test_ranking_beats_age_only_targeting_on_the_synthetic_partnership(
    county_hub: LinkedHub,
) -> None:
    result = calibrate_from_history(
        county_hub.engine,
        county_hub.workspace.conn,
        username="westshire_fire.analyst",
        cutoff=date(2023, 12, 31),
    )
    assert result.model.fires >= 15
    assert result.model.households == result.age_only.households
    assert result.model.auc > result.age_only.auc
    # the report says how sure it is, and whether calibrating beat the starting weights
    assert result.starting is not None and result.starting.households == result.model.households
    for quality in (result.model, result.starting, result.age_only):
        assert quality.auc_interval is not None
        assert quality.auc_interval[0] < quality.auc < quality.auc_interval[1]
    # the factors the generator made matter come out as raising risk
    factors = result.weights.factors
    assert factors["hoarding"].weight > 0
    assert factors["mh_crisis_last_12m"].weight > 0
