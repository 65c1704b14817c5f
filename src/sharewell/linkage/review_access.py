"""Clerical review through the agreements: who may look at a pair, and each look audited.

The one path by which a person sees the review queue, from the CLI or the web. The rule
(docs/linkage.md, "Who may review a pair"): only an analyst of an organisation whose records
are in the pair may review it. A pair of their own organisation's records (duplicates in its
own data) needs no agreement. Otherwise an agreement must cover the pair — both records'
datasets are among its providers' — and grant the analyst's organisation the other record
identifiably; the look is logged under that agreement's purpose (the first of ``PURPOSES``
it grants), so a review of a police–mental health trust pair under the crisis care agreement
is logged as ``mh_crisis_care`` and a fire–council pair as ``fire_prevention``. The other
partner's values are read only once the policy has allowed it, and each look is one
governed, audited read naming the persons seen; a refused decision is audited too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine

from sharewell.agreements import (
    AccessRequest,
    Agreement,
    Decision,
    current_agreements,
    decide,
    governed_read,
    newest_versions,
)
from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.errors import AccessDenied, LinkageError, NotFound
from sharewell.linkage.review import SHOWN, PendingPair, pending_pairs, record_values
from sharewell.linkage.review import decide as decide_pair
from sharewell.partnership.model import PURPOSES, User
from sharewell.partnership.store import get_user

__all__ = [
    "QUEUE_WINDOW",
    "REVIEWER_ROLES",
    "ReviewPairView",
    "ReviewQueueView",
    "ReviewRecordView",
    "record_decision",
    "review_purpose",
    "reviewable",
]

QUEUE_WINDOW = 500
"""Pairs read from the queue per page, nearest the threshold, before the agreements filter."""

REVIEWER_ROLES = ("analyst",)
"""Only analysts review pairs (issue 20: least privilege)."""

OWN = "own"
"""A pair of the reviewer's own organisation's records: no agreement needed."""

Hold = Callable[[], AbstractContextManager[Any]]


class ReviewRecordView(BaseModel):
    """One record of a pair, with only the fields the agreements let the reviewer see."""

    unique_id: str
    partner: str
    source: str
    fields: dict[str, str | None]
    withheld: list[str]


class ReviewPairView(BaseModel):
    """A pair the model was unsure about, both records side by side, and why it is shown."""

    unique_id_l: str
    unique_id_r: str
    match_probability: float
    match_weight: float
    purpose: str | None
    left: ReviewRecordView
    right: ReviewRecordView


class ReviewQueueView(BaseModel):
    """Pairs the reviewer may decide, and how many others need someone else's eyes."""

    pairs: list[ReviewPairView]
    not_shown: int


@dataclass(frozen=True)
class _Grant:
    """Why a reviewer may see a pair: their own records, or an agreement and its purpose."""

    purpose: str | None
    agreement: Agreement | None = None


def _side(unique_id: str) -> tuple[str, str]:
    # unique_id is partner:source:record_id (docs/extracts.md)
    if unique_id.count(":") < 2:
        raise NotFound(f"no record {unique_id}; records are named partner:source:record_id")
    partner, source, _ = unique_id.split(":", 2)
    return partner, source


def review_purpose(
    user: User,
    sides: tuple[tuple[str, str], tuple[str, str]],
    agreements: Sequence[Agreement],
    at: datetime,
) -> tuple[str, Agreement | None] | None:
    """The purpose (and agreement) under which ``user`` may review a pair, or None (pure).

    ``sides`` are the pair's (partner, source type); ``(OWN, None)`` for the user's own records.
    """
    if user.role not in REVIEWER_ROLES or not user.active:
        return None
    if user.organisation not in (sides[0][0], sides[1][0]):
        return None
    others = [s for s in sides if s[0] != user.organisation]
    if not others:
        return OWN, None
    provider, source = others[0]
    for agreement in newest_versions(agreements):
        covered = all(
            any(p.organisation == partner and stype in p.datasets for p in agreement.providers)
            for partner, stype in sides
        )
        if not covered:
            continue
        for purpose in PURPOSES:
            request = AccessRequest(
                user=user.username,
                organisation=user.organisation,
                role=user.role,
                purpose=purpose,
                dataset=source,
                fields=SHOWN,
                level="identifiable",
                provider=provider,
            )
            if decide(request, [agreement], at).allowed:
                return purpose, agreement
    return None


def _reviewer(engine: Engine, username: str, what: str) -> User:
    """The user, if they may review at all; a refusal is audited."""
    try:
        user: User | None = get_user(engine, username)
    except NotFound:
        user = None
    if user is not None and user.active and user.role in REVIEWER_ROLES:
        return user
    reason = f"clerical review is for analysts; {username!r} is not an active analyst"
    _refuse(engine, username, user, what, reason)
    raise AccessDenied(reason)


def _refuse(engine: Engine, username: str, user: User | None, what: str, reason: str) -> None:
    record(
        engine,
        AuditEvent(
            actor=username,
            action="access",
            target=what,
            outcome="deny",
            organisation=user.organisation if user else None,
            role=user.role if user else None,
            detail={"reason": reason},
        ),
    )


def reviewable(
    engine: Engine,
    settings: Settings,
    username: str,
    limit: int = 20,
    hold: Hold = contextlib.nullcontext,
) -> ReviewQueueView:
    """The review queue as this analyst may see it; each other partner's records governed.

    ``hold`` guards every use of the workspace (the web app's lock); none by default.
    """
    user = _reviewer(engine, username, "clerical review queue")
    with hold():
        queue = pending_pairs(settings, limit=QUEUE_WINDOW)
    now = datetime.now(UTC)
    agreements = list(current_agreements(engine))
    grants: dict[tuple[tuple[str, str], tuple[str, str]], tuple[str, Agreement | None] | None]
    grants = {}
    shown: list[tuple[PendingPair, tuple[str, Agreement | None]]] = []
    for pair in queue:
        sides = (_side(pair.unique_id_l), _side(pair.unique_id_r))
        if sides not in grants:
            grants[sides] = review_purpose(user, sides, agreements, now)
        grant = grants[sides]
        if grant is not None:
            shown.append((pair, grant))
    page = shown[:limit]
    records = _read_sides(engine, settings, user, page, hold)

    def view(uid: str) -> ReviewRecordView:
        partner, source = _side(uid)
        fields, withheld = records[uid]
        return ReviewRecordView(
            unique_id=uid, partner=partner, source=source, fields=fields, withheld=withheld
        )

    return ReviewQueueView(
        pairs=[
            ReviewPairView(
                unique_id_l=p.unique_id_l,
                unique_id_r=p.unique_id_r,
                match_probability=p.match_probability,
                match_weight=p.match_weight,
                purpose=None if purpose == OWN else purpose,
                left=view(p.unique_id_l),
                right=view(p.unique_id_r),
            )
            for p, (purpose, _) in page
        ],
        not_shown=len(queue) - len(shown),
    )


def _read_sides(
    engine: Engine,
    settings: Settings,
    user: User,
    page: list[tuple[PendingPair, tuple[str, Agreement | None]]],
    hold: Hold,
) -> dict[str, tuple[dict[str, str | None], list[str]]]:
    """Every record on the page: own records directly, others' through the governed read."""
    own: list[str] = []
    groups: dict[tuple[str, str, str, str], tuple[Agreement, list[str]]] = {}
    for pair, (purpose, agreement) in page:
        for uid in (pair.unique_id_l, pair.unique_id_r):
            partner, source = _side(uid)
            if partner == user.organisation:
                own.append(uid)
            else:
                assert agreement is not None
                key = (partner, source, purpose, agreement.id)
                groups.setdefault(key, (agreement, []))[1].append(uid)
    records: dict[str, tuple[dict[str, str | None], list[str]]] = {}
    with hold():
        values = record_values(settings, own)
    for uid in own:
        records[uid] = ({f: values.get(uid, {}).get(f) for f in SHOWN}, [])
    for (partner, source, purpose, _), (agreement, members) in sorted(
        groups.items(), key=lambda g: g[0]
    ):
        uids = list(dict.fromkeys(members))

        def fetch(decision: Decision, uids: list[str] = uids) -> list[dict[str, Any]]:
            # Read only now, once allowed, and only the permitted fields.
            with hold():
                got = record_values(settings, uids, decision.fields)
            # The audit names the persons seen, so a subject access report finds this look.
            return [
                {**got.get(u, {}), "person_id": got.get(u, {}).get("person_id") or u} for u in uids
            ]

        result = governed_read(
            engine,
            username=user.username,
            purpose=purpose,
            dataset=source,
            fields=SHOWN,
            level="identifiable",
            fetch=fetch,
            provider=partner,
            agreements=[agreement],
        )
        withheld = list(result.decision.withheld)
        for uid, row in zip(uids, result.rows, strict=True):
            records[uid] = ({f: row.get(f) for f in result.decision.fields}, withheld)
    return records


def record_decision(
    engine: Engine,
    settings: Settings,
    username: str,
    unique_id_a: str,
    unique_id_b: str,
    decision: str,
    note: str,
    hold: Hold = contextlib.nullcontext,
) -> tuple[str, str]:
    """Decide a pair, if the analyst may review it; audited under the review's purpose."""
    if decision not in ("accept", "reject"):
        raise LinkageError("choose whether the two records are the same person: accept or reject")
    target = f"record pair {unique_id_a} / {unique_id_b}"
    user = _reviewer(engine, username, target)
    sides = (_side(unique_id_a), _side(unique_id_b))
    grant = review_purpose(user, sides, list(current_agreements(engine)), datetime.now(UTC))
    if grant is None:
        reason = (
            f"{user.organisation}'s analysts may not review this pair: only analysts of an "
            "organisation whose records are in it, under an agreement covering both records, "
            "may; someone whose agreements cover both records must review it"
        )
        _refuse(engine, username, user, target, reason)
        raise AccessDenied(reason)
    purpose, _ = grant
    with hold():
        return decide_pair(
            settings,
            unique_id_a,
            unique_id_b,
            decision,  # type: ignore[arg-type]
            reviewer=username,
            note=note,
            purpose=None if purpose == OWN else purpose,
        )
