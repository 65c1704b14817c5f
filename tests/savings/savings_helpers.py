"""Shared test data for the savings tests: round-number local unit costs, a minimal initiative."""

from __future__ import annotations

from typing import Any

LOCAL_COSTS = (
    ("code,item,unit,payer,value_type,cost_gbp,price_year,cashable_share,confidence_grade,source\n")
    + """T.POLICE,Test police event,event,police,fiscal,100,2024/25,0.5,1,test
T.SPLIT,Test split event,event,local_authority,fiscal,60,2024/25,1.0,1,test
T.SPLIT,Test split event,event,nhs_trust,fiscal,40,2024/25,0.0,1,test
T.WEAK,Test weak unit cost,event,police,fiscal,100,2024/25,0.0,5,test
T.SOCIAL,Test social value,event,society,social,1000,2024/25,0.0,1,test
"""
)

PARTNERS = {
    "westshire_cc": {"name": "Westshire County Council", "type": "local_authority"},
    "westshire_police": {"name": "Westshire Police", "type": "police"},
    "westshire_mht": {"name": "Westshire Mental Health NHS Trust", "type": "nhs_trust"},
}


def initiative_data(**overrides: Any) -> dict[str, Any]:
    """A minimal valid initiative as parsed YAML: police pays £0, 10 police events a year."""
    data: dict[str, Any] = {
        "name": "Test initiative",
        "slug": "test",
        "price_year": "2024/25",
        "horizon_years": 3,
        "partners": PARTNERS,
        "costs": [{"item": "Staff", "running": 0, "paid_by": "westshire_police"}],
        "outcomes": [
            {
                "name": "Police events avoided",
                "events_avoided": 10,
                "confidence_grade": 1,
                "unit_costs": {"T.POLICE": 1},
            }
        ],
    }
    data.update(overrides)
    return data
