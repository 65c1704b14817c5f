"""Named scenarios side by side (GMCA CBA model): the central case and each scenario, appraised.

A scenario sets parameters, the events of named outcomes, or a multiplier on every cost; the
engine appraises each, so the figures beside the central case are exact, not approximations.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharewell.savings.engine import Appraisal, appraise
from sharewell.savings.initiative import Initiative, Scenario
from sharewell.savings.unit_costs import UnitCostLibrary

__all__ = ["CENTRAL", "ScenarioResult", "apply_scenario", "scenario_results"]

CENTRAL = "central"


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's name, what it changes, and its appraisal."""

    key: str
    description: str
    source: str
    appraisal: Appraisal


def _scale(value: float | list[float], k: float) -> float | list[float]:
    return [v * k for v in value] if isinstance(value, list) else value * k


def apply_scenario(initiative: Initiative, scenario: Scenario) -> Initiative:
    """The initiative with the scenario's values in place of the central ones."""
    params = {
        name: p.model_copy(update={"value": scenario.parameters[name]})
        if name in scenario.parameters
        else p
        for name, p in initiative.parameters.items()
    }
    outcomes = []
    for o in initiative.outcomes:
        if o.name in scenario.events:
            update: dict[str, object] = {"events_avoided": scenario.events[o.name], "cohort": None}
            if o.measured:
                # Still an effect against a comparison group: no deadweight or attribution.
                update.update({"deadweight": 0.0, "attribution": 1.0})
            o = o.model_copy(update=update)
        outcomes.append(o)
    k = scenario.cost_multiplier
    costs = [
        c.model_copy(update={"setup": _scale(c.setup, k), "running": _scale(c.running, k)})
        for c in initiative.costs
    ]
    return initiative.model_copy(
        update={"parameters": params, "outcomes": outcomes, "costs": costs}
    )


def scenario_results(initiative: Initiative, library: UnitCostLibrary) -> list[ScenarioResult]:
    """The central case, then each named scenario, each appraised."""
    out = [ScenarioResult(CENTRAL, "Central case", "", appraise(initiative, library))]
    for key, scenario in initiative.scenarios.items():
        ap = appraise(apply_scenario(initiative, scenario), library)
        out.append(ScenarioResult(key, scenario.description or key, scenario.source, ap))
    return out
