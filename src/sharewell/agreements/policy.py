"""The one policy function: may this user, for this purpose, see these fields, at this level?

Default deny. Only the newest version of an agreement counts, and only while it is active
and today is within its start and end dates, so suspension and expiry take effect at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sharewell.agreements.model import Agreement, Level

__all__ = ["AccessRequest", "Decision", "decide", "effective_status", "newest_versions"]


@dataclass(frozen=True)
class AccessRequest:
    """Who asks (user, their organisation and role), why, and for what."""

    user: str
    organisation: str
    role: str
    purpose: str
    dataset: str  # a source type, e.g. police.mh_incident
    fields: tuple[str, ...]
    level: Level
    provider: str | None = None  # whose records; None means any provider the agreement names


@dataclass(frozen=True)
class Decision:
    """Allow with the exact fields and level permitted, or deny with the reason."""

    allowed: bool
    reason: str
    fields: tuple[str, ...] = ()
    level: Level | None = None
    withheld: tuple[str, ...] = ()
    min_cell_size: int | None = None
    providers: tuple[str, ...] = ()
    agreement_id: str | None = None
    agreement_version: int | None = None


def newest_versions(agreements: Iterable[Agreement]) -> list[Agreement]:
    """Only the newest version of each agreement: older versions never grant anything."""
    newest: dict[str, Agreement] = {}
    for a in agreements:
        if a.id not in newest or a.version > newest[a.id].version:
            newest[a.id] = a
    return [newest[k] for k in sorted(newest)]


def _on(at: date | datetime) -> date:
    return at.date() if isinstance(at, datetime) else at


def effective_status(agreement: Agreement, at: date | datetime) -> str:
    """The status as the policy sees it on a day: an active agreement past its end is expired."""
    today = _on(at)
    if agreement.status != "active":
        return agreement.status
    if today > agreement.end:
        return "expired"
    return "not started" if today < agreement.start else "active"


def decide(
    request: AccessRequest, agreements: Iterable[Agreement], at: date | datetime
) -> Decision:
    """Decide one request against the agreements in force at ``at`` (pure)."""
    today = _on(at)
    requested = tuple(dict.fromkeys(request.fields))
    if not requested:
        return Decision(False, "no fields were requested")

    # The refusal that got furthest through the checks is the most useful one to report.
    best_miss: tuple[int, str, Agreement | None] = (
        -1,
        f"no agreement shares {request.dataset} with {request.organisation}",
        None,
    )
    allowed: list[tuple[int, Agreement, int | None, tuple[str, ...], tuple[str, ...]]] = []

    def miss(stage: int, reason: str, a: Agreement) -> None:
        nonlocal best_miss
        if stage > best_miss[0]:
            best_miss = (stage, reason, a)

    for a in newest_versions(agreements):
        name = f"agreement {a.id} v{a.version}"
        recipient = next((r for r in a.recipients if r.organisation == request.organisation), None)
        if recipient is None:
            continue
        grants = [g for g in recipient.datasets if g.source_type == request.dataset]
        if not grants:
            continue
        # Checks run from "is this agreement about the request at all" to "is it in force",
        # so a refusal names the agreement that nearly allowed it and what stood in the way.
        if request.purpose not in recipient.purposes or request.purpose not in a.purposes:
            miss(
                0,
                f"{name} does not allow {request.organisation} to use {request.dataset} "
                f"for {request.purpose}",
                a,
            )
            continue
        if request.role not in recipient.roles:
            miss(
                1,
                f"{name} does not grant role {request.role} at {request.organisation} "
                f"(only {', '.join(recipient.roles)})",
                a,
            )
            continue
        providers = tuple(p.organisation for p in a.providers if request.dataset in p.datasets)
        if request.provider is not None and request.provider not in providers:
            miss(2, f"{name} does not cover {request.dataset} from {request.provider}", a)
            continue
        # Validation forbids two grants of one dataset at one level, but the policy must be
        # exact even for an agreement that slipped past it: such grants add up.
        at_level = [g for g in grants if g.level == request.level]
        if not at_level:
            levels = ", ".join(g.level for g in grants)
            miss(3, f"{name} grants {request.dataset} only at {levels}, not {request.level}", a)
            continue
        if a.status != "active":
            miss(4, f"{name} is {a.status}", a)
            continue
        if today < a.start:
            miss(5, f"{name} does not start until {a.start}", a)
            continue
        if today > a.end:
            miss(5, f"{name} expired on {a.end}", a)
            continue
        granted_fields = {f for g in at_level for f in g.fields}
        permitted = tuple(f for f in requested if f in granted_fields)
        if not permitted:
            miss(
                6,
                f"{name} grants none of the requested fields of {request.dataset} at "
                f"{request.level}",
                a,
            )
            continue
        withheld = tuple(f for f in requested if f not in granted_fields)
        sizes = [g.min_cell_size for g in at_level if g.min_cell_size is not None]
        allowed.append((len(permitted), a, max(sizes, default=None), permitted, withheld))

    if not allowed:
        _, reason, near = best_miss
        return Decision(
            False,
            reason,
            agreement_id=near.id if near else None,
            agreement_version=near.version if near else None,
        )
    # Each access is attributed to one agreement: the one granting most of what was asked.
    _, a, min_cell_size, permitted, withheld = min(allowed, key=lambda t: (-t[0], t[1].id))
    reason = f"allowed by agreement {a.id} v{a.version}"
    if withheld:
        reason += f"; withheld (not granted): {', '.join(withheld)}"
    return Decision(
        True,
        reason,
        fields=permitted,
        level=request.level,
        withheld=withheld,
        min_cell_size=min_cell_size,
        providers=tuple(p.organisation for p in a.providers if request.dataset in p.datasets),
        agreement_id=a.id,
        agreement_version=a.version,
    )
