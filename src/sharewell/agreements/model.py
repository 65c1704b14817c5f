"""The data sharing agreement as a validated model: what the ICO's data sharing code expects."""

from __future__ import annotations

from datetime import date
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from sharewell.partnership.model import PurposeName, Role

__all__ = [
    "ARTICLE6_BASES",
    "ARTICLE9_CONDITIONS",
    "ARTICLE9_NEEDS_SCHEDULE1",
    "LEVELS",
    "LINKAGE_MODES",
    "SCHEDULE1_CONDITIONS",
    "SCHEDULE1_FOR_ARTICLE9",
    "Agreement",
    "AgreementStatus",
    "Approval",
    "Article6Basis",
    "Article9Condition",
    "DatasetGrant",
    "LawfulBasis",
    "Level",
    "LinkageMode",
    "Provider",
    "Recipient",
    "Schedule1Condition",
]

# Least to most revealing (DESIGN.md).
Level = Literal["aggregate_only", "flag_only", "pseudonymised", "identifiable"]
LEVELS: tuple[str, ...] = get_args(Level)

# How the hub links the partners' records: names and dates of birth in clear (Splink), or
# privacy-preserving linkage of encodings the partners make themselves (docs/privacy.md).
LinkageMode = Literal["plaintext", "pprl"]
LINKAGE_MODES: tuple[str, ...] = get_args(LinkageMode)

AgreementStatus = Literal["draft", "active", "suspended", "expired"]

# UK GDPR Article 6(1)(a)-(f).
Article6Basis = Literal[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
]
ARTICLE6_BASES: tuple[str, ...] = get_args(Article6Basis)

# UK GDPR Article 9(2) conditions for special category (e.g. health) data.
Article9Condition = Literal[
    "explicit_consent",  # 9(2)(a)
    "employment_social_security",  # 9(2)(b)
    "vital_interests",  # 9(2)(c)
    "legal_claims",  # 9(2)(f)
    "substantial_public_interest",  # 9(2)(g)
    "health_social_care",  # 9(2)(h)
    "public_health",  # 9(2)(i)
    "archiving_research_statistics",  # 9(2)(j)
]
ARTICLE9_CONDITIONS: tuple[str, ...] = get_args(Article9Condition)

# DPA 2018 Schedule 1 conditions (Part 1: paras 1-4; Part 2: substantial public interest).
Schedule1Condition = Literal[
    "employment_social_security",  # Part 1 para 1
    "health_or_social_care",  # Part 1 para 2
    "public_health",  # Part 1 para 3
    "research",  # Part 1 para 4
    "statutory_and_government_purposes",  # Part 2 para 6
    "preventing_or_detecting_unlawful_acts",  # Part 2 para 10
    "protecting_the_public",  # Part 2 para 11
    "safeguarding_children_and_individuals_at_risk",  # Part 2 para 18
    "safeguarding_economic_wellbeing",  # Part 2 para 19
]
SCHEDULE1_CONDITIONS: tuple[str, ...] = get_args(Schedule1Condition)

_PART2: frozenset[str] = frozenset(
    {
        "statutory_and_government_purposes",
        "preventing_or_detecting_unlawful_acts",
        "protecting_the_public",
        "safeguarding_children_and_individuals_at_risk",
        "safeguarding_economic_wellbeing",
    }
)
# DPA 2018 s.10: these Article 9 conditions are only met with a Schedule 1 condition, and
# only with one from the matching part of the Schedule.
SCHEDULE1_FOR_ARTICLE9: dict[str, frozenset[str]] = {
    "employment_social_security": frozenset({"employment_social_security"}),
    "health_social_care": frozenset({"health_or_social_care"}),
    "public_health": frozenset({"public_health"}),
    "archiving_research_statistics": frozenset({"research"}),
    "substantial_public_interest": _PART2,
}
ARTICLE9_NEEDS_SCHEDULE1: frozenset[str] = frozenset(SCHEDULE1_FOR_ARTICLE9)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class LawfulBasis(BaseModel):
    """Why the sharing is lawful: Article 6, and for special category data Art. 9 / Sch. 1."""

    model_config = _FROZEN

    article_6: Article6Basis
    article_9: Article9Condition | None = None
    schedule_1: Schedule1Condition | None = None
    statutory_gateway: str = ""


class Provider(BaseModel):
    """An organisation that provides data under the agreement, and which source types."""

    model_config = _FROZEN

    organisation: str
    datasets: tuple[str, ...] = Field(min_length=1)


class DatasetGrant(BaseModel):
    """Which fields of one source type a recipient sees, and at what level."""

    model_config = _FROZEN

    source_type: str
    level: Level
    fields: tuple[str, ...] = Field(min_length=1)
    min_cell_size: int | None = Field(default=None, ge=2)


class Recipient(BaseModel):
    """An organisation receiving data: for which roles, purposes and datasets."""

    model_config = _FROZEN

    organisation: str
    roles: tuple[Role, ...] = Field(min_length=1)
    purposes: tuple[PurposeName, ...] = ()
    datasets: tuple[DatasetGrant, ...] = Field(min_length=1)


class Approval(BaseModel):
    """Who approved the agreement for an organisation, and when."""

    model_config = _FROZEN

    name: str
    role: str
    organisation: str
    date: date


class Agreement(BaseModel):
    """A data sharing agreement; one stored row per version, never edited in place."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    status: AgreementStatus
    purposes: tuple[PurposeName, ...] = ()
    lawful_basis: LawfulBasis
    providers: tuple[Provider, ...] = Field(min_length=1)
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    retention_days: int = Field(ge=1)
    # pprl: the providers send the hub encodings, never identifiers in clear.
    linkage: LinkageMode = "plaintext"
    start: date
    end: date
    review: date
    approved_by: tuple[Approval, ...] = ()
