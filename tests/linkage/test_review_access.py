"""Who may review a pair, and under which purpose the look is logged (docs/linkage.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sharewell.agreements import EXAMPLES_DIR, load_agreement
from sharewell.linkage.review_access import OWN, review_purpose
from sharewell.partnership.model import User

AGREEMENTS = [load_agreement(p) for p in sorted(EXAMPLES_DIR.glob("*.yaml"))]
NOW = datetime(2026, 6, 1, tzinfo=UTC)

POLICE = ("westshire_police", "police.mh_incident")
MHT = ("westshire_mht", "mh_trust.crisis_contact")
AMBULANCE = ("westshire_ambulance", "ambulance.mh_callout")
FIRE = ("westshire_fire", "fire.safe_and_well_visit")
COUNCIL = ("westshire_cc", "asc.client")


def _user(organisation: str, role: str = "analyst") -> User:
    return User(
        username=f"{organisation}.{role}",
        display_name="Test",
        organisation=organisation,
        role=role,
    )


def _purpose(user: User, left: tuple[str, str], right: tuple[str, str]) -> str | None:
    found = review_purpose(user, (left, right), AGREEMENTS, NOW)
    return None if found is None else found[0]


@pytest.mark.parametrize(
    ("organisation", "left", "right", "purpose"),
    [
        # the crisis care agreement covers both records and grants MHT the police record
        ("westshire_mht", POLICE, MHT, "mh_crisis_care"),
        ("westshire_mht", MHT, AMBULANCE, "mh_crisis_care"),
        # fire prevention covers the fire service's own visits and the council's clients
        ("westshire_fire", FIRE, COUNCIL, "fire_prevention"),
        # their own duplicates need no agreement
        ("westshire_ambulance", AMBULANCE, AMBULANCE, OWN),
        # no one at MHT holds either record of an ambulance-police pair (once logged as
        # "mh crisis care"), and no agreement grants the ambulance service police records
        ("westshire_mht", AMBULANCE, POLICE, None),
        ("westshire_ambulance", AMBULANCE, POLICE, None),
        ("westshire_police", AMBULANCE, POLICE, None),
        # the police may see crisis contacts only as a flag, never named
        ("westshire_police", POLICE, MHT, None),
    ],
)
def test_only_analysts_of_the_pairs_organisations_review_it_under_its_agreements_purpose(
    organisation: str, left: tuple[str, str], right: tuple[str, str], purpose: str | None
) -> None:
    assert _purpose(_user(organisation), left, right) == purpose


def test_other_roles_never_review_not_even_their_own_records() -> None:
    for role in ("frontline", "ig_lead", "admin"):
        assert _purpose(_user("westshire_mht", role), POLICE, MHT) is None
        assert _purpose(_user("westshire_mht", role), MHT, MHT) is None


def test_a_suspended_agreement_stops_the_review_at_once() -> None:
    suspended = [
        a.model_copy(update={"status": "suspended"}) if a.id == "mh-crisis-care" else a
        for a in AGREEMENTS
    ]
    user = _user("westshire_mht")
    assert review_purpose(user, (POLICE, MHT), suspended, NOW) is None
