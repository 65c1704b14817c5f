"""Seed the demo partnership (Westshire): organisations, purposes, users and example agreements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sharewell.agreements.store import add_agreement_file
from sharewell.partnership.model import Organisation, User
from sharewell.partnership.store import add_organisation, add_user, ensure_purposes

__all__ = [
    "DEMO_ORGANISATIONS",
    "EXAMPLES_DIR",
    "DemoPartnership",
    "demo_users",
    "seed_demo_partnership",
]

EXAMPLES_DIR = Path(__file__).with_name("examples")

# The demo partnership of docs/extracts.md.
DEMO_ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation(
        slug="westshire_cc",
        name="Westshire County Council",
        code="W10000001",
        type="local_authority",
    ),
    Organisation(
        slug="westshire_fire", name="Westshire Fire and Rescue Service", code="WFR01", type="fire"
    ),
    Organisation(slug="westshire_police", name="Westshire Police", code="WP001", type="police"),
    Organisation(
        slug="westshire_mht", name="Westshire Mental Health NHS Trust", code="RW1", type="nhs_trust"
    ),
    Organisation(
        slug="westshire_icb", name="NHS Westshire Integrated Care Board", code="QW1", type="icb"
    ),
    Organisation(
        slug="westshire_ambulance",
        name="Westshire Ambulance Service NHS Trust",
        code="RW2",
        type="ambulance",
    ),
)


@dataclass(frozen=True)
class DemoPartnership:
    """What seeding added (counts) and the usernames to try."""

    organisations_added: int
    users_added: int
    agreements: dict[str, str]  # agreement id -> added | new_version | unchanged
    usernames: tuple[str, ...]


def demo_users(organisations: tuple[Organisation, ...] = DEMO_ORGANISATIONS) -> list[User]:
    """One user per role per organisation, named ``<slug>.<role>``, e.g. westshire_fire.analyst."""
    titles = {
        "admin": "Administrator",
        "ig_lead": "IG lead",
        "analyst": "Analyst",
        "frontline": "Front-line officer",
        "executive": "Chief executive",
    }
    return [
        User(
            username=f"{org.slug}.{role}",
            display_name=f"{titles[role]}, {org.name}",
            organisation=org.slug,
            role=role,
        )
        for org in organisations
        for role in ("ig_lead", "analyst", "frontline", "executive")
    ] + [
        User(
            username="hub.admin",
            display_name="Hub administrator",
            organisation=organisations[0].slug,
            role="admin",
        )
    ]


def seed_demo_partnership(
    engine: Engine, *, actor: str = "demo", examples_dir: Path = EXAMPLES_DIR
) -> DemoPartnership:
    """Add the Westshire organisations, purposes, demo users and example agreements; idempotent."""
    ensure_purposes(engine)
    orgs = sum(add_organisation(engine, org, actor=actor) for org in DEMO_ORGANISATIONS)
    users = demo_users()
    added_users = sum(add_user(engine, u, actor=actor) for u in users)
    results: dict[str, str] = {}
    for path in sorted(examples_dir.glob("*.yaml")):
        result = add_agreement_file(engine, path, actor=actor)
        results[result.agreement_id] = result.outcome
    return DemoPartnership(orgs, added_users, results, tuple(u.username for u in users))
