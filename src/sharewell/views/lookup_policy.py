"""May this person run a flag lookup for this purpose at all? Decided before anyone is matched.

A refused lookup must reveal nothing about the person asked for: not whether they are known,
not who they are. So the policy is asked first, with no person in the question, for every
source of flags the asker's organisation might be granted; only when at least one is allowed
is the person matched. Each read is still decided and audited again by ``governed_read``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sharewell.agreements import FLAGS, AccessRequest, Agreement, decide

__all__ = ["FlagSource", "LookupDecision", "decide_lookup"]


@dataclass(frozen=True)
class FlagSource:
    """One source type a lookup may read flags from: which flags, and whose records."""

    source_type: str
    flags: tuple[str, ...]
    provider: str | None


@dataclass(frozen=True)
class LookupDecision:
    """The sources a lookup may read, or why it is refused (the rule that refused it)."""

    sources: tuple[FlagSource, ...]
    reason: str
    agreement_id: str | None = None
    agreement_version: int | None = None

    @property
    def allowed(self) -> bool:
        """Whether any source of flags is granted (then, and only then, match the person)."""
        return bool(self.sources)


def _flag_grants(agreements: Sequence[Agreement], organisation: str) -> list[FlagSource]:
    """Every flag_only grant to ``organisation``, whatever its purpose, by source type."""
    names: dict[str, set[str]] = {}
    owners: dict[str, set[str]] = {}
    for agreement in agreements:
        for recipient in agreement.recipients:
            if recipient.organisation != organisation:
                continue
            for grant in recipient.datasets:
                if grant.level != "flag_only":
                    continue
                source = grant.source_type
                names.setdefault(source, set()).update(
                    n for n in grant.fields if n in FLAGS and source in FLAGS[n].reads
                )
                owners.setdefault(source, set()).update(
                    p.organisation for p in agreement.providers if source in p.datasets
                )
    return [
        FlagSource(
            source,
            tuple(sorted(names[source])),
            next(iter(owners[source])) if len(owners[source]) == 1 else None,
        )
        for source in sorted(names)
        if names[source]
    ]


def decide_lookup(
    agreements: Sequence[Agreement],
    *,
    organisation: str,
    role: str,
    active: bool,
    purpose: str,
    username: str,
    at: datetime,
) -> LookupDecision:
    """Which flag sources a lookup for ``purpose`` may read; no person is involved (pure).

    Returns:
        The allowed sources, or none with the reason of the refusal that got furthest
        through the policy's checks (the agreement that nearly allowed it and what stood
        in the way: purpose, role, status, dates), in plain English.
    """
    if not active:
        return LookupDecision((), f"user {username} is no longer active")
    grants = _flag_grants(agreements, organisation)
    if not grants:
        return LookupDecision(
            (),
            f"no agreement grants {organisation} any flags (flag_only) for any purpose, so "
            "it cannot look people up",
        )
    allowed: list[FlagSource] = []
    refusals = []
    for grant in grants:
        decision = decide(
            AccessRequest(
                user=username,
                organisation=organisation,
                role=role,
                purpose=purpose,
                dataset=grant.source_type,
                fields=grant.flags,
                level="flag_only",
                provider=grant.provider,
            ),
            agreements,
            at,
        )
        if decision.allowed:
            allowed.append(FlagSource(grant.source_type, decision.fields, grant.provider))
        else:
            refusals.append(decision)
    if allowed:
        return LookupDecision(tuple(allowed), "allowed")
    # Prefer a refusal that names an agreement: it says which rule stood in the way.
    named = [d for d in refusals if d.agreement_id is not None]
    refusal = (named or refusals)[0]
    return LookupDecision(
        (),
        refusal.reason,
        agreement_id=refusal.agreement_id,
        agreement_version=refusal.agreement_version,
    )
