"""What each role may do in the web app and API (pure): one table, read by every route.

``system`` is an organisation's API token: a machine acting for the whole organisation,
with no person behind it, so it may read but never change anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACTIVITIES",
    "PERMISSIONS",
    "ROLE_TITLES",
    "Activity",
    "Permission",
    "Principal",
    "activities_for",
]

Permission = Literal[
    "agreements.read",  # the agreements the organisation is party to (admin: every one)
    "agreements.change",  # upload a new version, suspend
    "audit.search",  # audit entries of the organisation (admin: all)
    "audit.verify",  # check the hash chain is intact
    "savings",  # savings scenarios: the answer, the table and the charts
    "uploads",  # load an extract of the organisation's own data
    "uploads.read",  # the organisation's loads and their quarantine reports
    "linkage.read",  # linkage runs and their quality (figures and model, no person's data)
    "linkage.review",  # clerical review: pairs the agreements let the analyst see, decided
    "frontline",  # the front-line views: Safe and Well list, crisis cohort, flag lookup
]

PERMISSIONS: dict[Permission, frozenset[str]] = {
    "agreements.read": frozenset({"admin", "ig_lead", "system"}),
    "agreements.change": frozenset({"ig_lead"}),
    "audit.search": frozenset({"admin", "ig_lead"}),
    "audit.verify": frozenset({"admin", "ig_lead", "system"}),
    # Savings answers name nobody: the executive (chief executive, finance) who asks "will it
    # save us money?" and the analysts who model it. IG leads and the hub administrator run
    # governance, not budgets, so least privilege leaves it out of their roles.
    "savings": frozenset({"analyst", "executive", "system"}),
    "uploads": frozenset({"analyst"}),
    "uploads.read": frozenset({"analyst", "system"}),
    "linkage.read": frozenset({"admin", "analyst", "system"}),
    # The agreements decide which pairs an analyst sees; the role only opens the door.
    "linkage.review": frozenset({"analyst"}),
    # The agreements decide what each front-line user sees; the role only opens the door.
    "frontline": frozenset({"frontline"}),
}

ROLE_TITLES = {
    "admin": "hub administrator",
    "ig_lead": "IG lead",
    "analyst": "analyst",
    "frontline": "front-line officer",
    "executive": "executive",
    "system": "API token",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in person, or an organisation's API token (role ``system``)."""

    name: str
    display_name: str
    organisation: str
    role: str
    session_token: str | None = None

    def may(self, permission: Permission) -> bool:
        """Whether this caller's role grants ``permission``."""
        return self.role in PERMISSIONS[permission]

    @property
    def role_title(self) -> str:
        """The role as people say it: IG lead, analyst..."""
        return ROLE_TITLES.get(self.role, self.role)

    @property
    def sees_every_organisation(self) -> bool:
        """Hub administrators see across the partnership; everyone else, their own slice."""
        return self.role == "admin"


@dataclass(frozen=True)
class Activity:
    """One thing the home page offers: a link and what it is for.

    ``view`` names a front-line view whose agreements must also allow the person (the role
    opens the door, the agreements decide): it is offered only when they would.
    """

    permission: Permission
    href: str
    title: str
    description: str
    view: str | None = None


ACTIVITIES: tuple[Activity, ...] = (
    Activity(
        "agreements.read",
        "/agreements",
        "Data sharing agreements",
        "See the agreements your organisation is party to, their versions and status.",
    ),
    Activity(
        "agreements.change",
        "/agreements/upload",
        "Upload an agreement",
        "Check and record a new agreement, or a new version of one.",
    ),
    Activity(
        "audit.search",
        "/audit",
        "Search the audit log",
        "Who accessed what, when, under which agreement and for what purpose.",
    ),
    Activity(
        "audit.search",
        "/audit/who-looked",
        "Who looked at our data",
        "Every read of your organisation's records by anyone in the partnership, refusals too.",
    ),
    Activity(
        "audit.search",
        "/audit/person",
        "Person access report",
        "Find a person by name, date of birth or NHS number and see everyone who saw their data.",
    ),
    Activity(
        "audit.verify",
        "/audit/verify",
        "Verify the audit log",
        "Check that no entry of the tamper-evident log was changed, removed or reordered.",
    ),
    Activity(
        "uploads",
        "/uploads",
        "Upload an extract",
        "Load your organisation's data; see what was accepted and what was quarantined, and why.",
    ),
    Activity(
        "linkage.read",
        "/linkage",
        "Linkage runs",
        "How records were linked into people: each run's figures and the model's match weights.",
    ),
    Activity(
        "linkage.review",
        "/linkage/review",
        "Clerical review",
        "Decide pairs of records the model was unsure about: the same person, or not.",
    ),
    Activity(
        "savings",
        "/savings",
        "Savings scenarios",
        "Will an initiative save your organisation money? The answer, figures and charts.",
    ),
    Activity(
        "frontline",
        "/safe-and-well",
        "Safe and Well visit list",
        "Households to visit first, with the reasons, as the fire prevention agreement allows.",
        "safe_and_well",
    ),
    Activity(
        "frontline",
        "/crisis-cohort",
        "Crisis cohort",
        "People in repeated mental health crisis across agencies, with their timelines.",
        "crisis_cohort",
    ),
    Activity(
        "frontline",
        "/lookup",
        "Flag lookup",
        "Check whether partners hold a flag about someone in front of you.",
        "lookup",
    ),
)


def activities_for(principal: Principal, views: set[str] | None = None) -> list[Activity]:
    """The home page's links for this caller, in the order above.

    ``views`` are the front-line views the caller's agreements allow; None offers none.
    """
    return [
        a
        for a in ACTIVITIES
        if principal.may(a.permission) and (a.view is None or a.view in (views or set()))
    ]
