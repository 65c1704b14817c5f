"""The partnership as plain data: organisations, the people who log in, purposes."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DEFAULT_PURPOSES",
    "ORGANISATION_TYPES",
    "PURPOSES",
    "ROLES",
    "Organisation",
    "OrganisationType",
    "Purpose",
    "PurposeName",
    "Role",
    "User",
]

OrganisationType = Literal[
    "local_authority", "fire", "police", "nhs_trust", "icb", "ambulance", "voluntary"
]
# executive: a chief executive or finance officer: its organisation's savings answer, and
# nothing person-level (no agreement may grant it records or flags; see agreements/validation)
Role = Literal["admin", "ig_lead", "analyst", "frontline", "executive"]
PurposeName = Literal["fire_prevention", "mh_crisis_care", "safeguarding", "service_evaluation"]

ORGANISATION_TYPES: tuple[str, ...] = get_args(OrganisationType)
ROLES: tuple[str, ...] = get_args(Role)
PURPOSES: tuple[str, ...] = get_args(PurposeName)

SLUG_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"


class Organisation(BaseModel):
    """A partner organisation: a council, fire service, police force, trust, ICB..."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str = Field(pattern=SLUG_PATTERN, description="Short name used on the command line.")
    name: str = Field(min_length=1, max_length=200)
    type: OrganisationType
    code: str | None = Field(
        default=None, pattern=r"^[A-Z0-9]{2,16}$", description="ODS-style code."
    )


class User(BaseModel):
    """A person who logs in; belongs to exactly one organisation and holds one role."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.@-]{1,63}$")
    display_name: str = Field(min_length=1, max_length=200)
    organisation: str
    role: Role
    active: bool = True


class Purpose(BaseModel):
    """A purpose data may be shared for; agreements name one or more."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: PurposeName
    title: str
    description: str = ""


DEFAULT_PURPOSES: tuple[Purpose, ...] = (
    Purpose(
        slug="fire_prevention",
        title="Fire prevention",
        description=(
            "Finding those most at risk of dying in a house fire, for Safe and Well visits."
        ),
    ),
    Purpose(
        slug="mh_crisis_care",
        title="Mental health crisis care",
        description="Joining up police, ambulance and NHS responses to people in repeated crisis.",
    ),
    Purpose(
        slug="safeguarding",
        title="Safeguarding",
        description="Protecting children and adults at risk of harm (Care Act 2014 s.42).",
    ),
    Purpose(
        slug="service_evaluation",
        title="Service evaluation",
        description="Measuring what services cost and achieve, from anonymised aggregates.",
    ),
)
