"""Clerical review through the agreements: which pairs an analyst may see, read governed.

A pair shows two partners' records side by side, so an analyst sees it only when each record
is their own organisation's or one an agreement lets them see identifiably; each partner's
records on a page are one governed, audited read, and withheld fields stay withheld. A
decision is refused unless the analyst could see both records. Linkage's own ``review_queue``
and ``decide`` do the rest, so every later run respects the decision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
from pydantic import BaseModel
from sqlalchemy import Engine

from sharewell.agreements import (
    AccessRequest,
    Decision,
    current_agreements,
    decide,
    governed_read,
)
from sharewell.config import Settings
from sharewell.errors import AccessDenied, LinkageError, NotFound
from sharewell.linkage.review import SHOWN, ReviewPair, review_queue
from sharewell.linkage.review import decide as decide_pair
from sharewell.linkage.run import attach_workspace
from sharewell.partnership.model import PURPOSES
from sharewell.web.roles import Principal
from sharewell.web.workspace import held_workspace

__all__ = [
    "ReviewPairBody",
    "ReviewQueueBody",
    "ReviewRecordBody",
    "linkage_db",
    "record_decision",
    "reviewable",
]

# Pairs read from the queue per page: the nearest the threshold, before the agreements filter.
QUEUE_WINDOW = 500
PAGE_PAIRS = 20


@contextmanager
def linkage_db(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the workspace attached as ``ws``, held for the block."""
    with held_workspace(settings):
        con = duckdb.connect(":memory:")
        try:
            attach_workspace(con, settings)
            yield con
        finally:
            con.close()


def _partner_and_source(unique_id: str) -> tuple[str, str]:
    # unique_id is partner:source:record_id (docs/extracts.md)
    partner, source, _ = unique_id.split(":", 2)
    return partner, source


def _purpose_for(
    user: Principal, source: str, provider: str, agreements: list[Any], now: datetime
) -> str | None:
    """A purpose under which an agreement lets ``user`` see these records identifiably."""
    for purpose in PURPOSES:
        request = AccessRequest(
            user=user.name,
            organisation=user.organisation,
            role=user.role,
            purpose=purpose,
            dataset=source,
            fields=SHOWN,
            level="identifiable",
            provider=provider,
        )
        if decide(request, agreements, now).allowed:
            return purpose
    return None


class ReviewRecordBody(BaseModel):
    """One record of a pair, with only the fields the agreements let the reviewer see."""

    unique_id: str
    partner: str
    source: str
    fields: dict[str, str | None]
    withheld: list[str]


class ReviewPairBody(BaseModel):
    """A pair the model was unsure about, both records side by side."""

    unique_id_l: str
    unique_id_r: str
    match_probability: float
    match_weight: float
    left: ReviewRecordBody
    right: ReviewRecordBody


class ReviewQueueBody(BaseModel):
    """Pairs the reviewer may decide, and how many others need someone else's eyes."""

    pairs: list[ReviewPairBody]
    not_shown: int


def _visible_sides(
    engine: Engine, user: Principal, pairs: list[ReviewPair]
) -> tuple[list[ReviewPair], dict[tuple[str, str], str | None]]:
    """The pairs whose records the user may see, and the purpose for each partner's source."""
    now = datetime.now(UTC)
    agreements = list(current_agreements(engine))
    purposes: dict[tuple[str, str], str | None] = {}
    shown = []
    for pair in pairs:
        ok = True
        for uid in (pair.unique_id_l, pair.unique_id_r):
            partner, source = _partner_and_source(uid)
            if (partner, source) not in purposes:
                own = user.organisation == partner
                purposes[(partner, source)] = (
                    "own" if own else _purpose_for(user, source, partner, agreements, now)
                )
            ok = ok and purposes[(partner, source)] is not None
        if ok:
            shown.append(pair)
    return shown, purposes


def _person_ids(settings: Settings, unique_ids: list[str]) -> dict[str, str]:
    if not unique_ids:
        return {}
    with linkage_db(settings) as con:
        rows = con.execute(
            "SELECT unique_id, person_id FROM ws.person_index WHERE unique_id IN "
            "(SELECT unnest(?))",
            [unique_ids],
        ).fetchall()
    return {str(u): str(p) for u, p in rows}


def reviewable(
    engine: Engine, settings: Settings, user: Principal, limit: int = PAGE_PAIRS
) -> ReviewQueueBody:
    """The review queue as this analyst may see it; each partner's records read governed."""
    with held_workspace(settings):
        queue = review_queue(settings, limit=QUEUE_WINDOW)
    visible, purposes = _visible_sides(engine, user, queue)
    page = visible[:limit]
    person_of = _person_ids(settings, [u for p in page for u in (p.unique_id_l, p.unique_id_r)])
    records: dict[str, tuple[dict[str, str | None], list[str]]] = {}
    groups: dict[tuple[str, str], list[tuple[str, dict[str, str | None]]]] = {}
    for pair in page:
        for uid, values in ((pair.unique_id_l, pair.left), (pair.unique_id_r, pair.right)):
            groups.setdefault(_partner_and_source(uid), []).append((uid, values))
    for (partner, source), members in sorted(groups.items()):
        purpose = purposes[(partner, source)]
        if purpose == "own":
            for uid, values in members:
                records[uid] = (dict(values), [])
            continue
        assert purpose is not None
        # The audit names the persons seen, so a subject access report finds this look.
        fetched = [{"person_id": person_of.get(uid, uid), **values} for uid, values in members]

        def fetch(
            _decision: Decision, rows: list[dict[str, Any]] = fetched
        ) -> list[dict[str, Any]]:
            return rows

        result = governed_read(
            engine,
            username=user.name,
            purpose=purpose,
            dataset=source,
            fields=SHOWN,
            level="identifiable",
            fetch=fetch,
            provider=partner,
        )
        withheld = list(result.decision.withheld)
        for (uid, _), row in zip(members, result.rows, strict=True):
            records[uid] = ({f: row.get(f) for f in result.decision.fields}, withheld)

    def side(uid: str) -> ReviewRecordBody:
        partner, source = _partner_and_source(uid)
        fields, withheld = records[uid]
        return ReviewRecordBody(
            unique_id=uid, partner=partner, source=source, fields=fields, withheld=withheld
        )

    return ReviewQueueBody(
        pairs=[
            ReviewPairBody(
                unique_id_l=p.unique_id_l,
                unique_id_r=p.unique_id_r,
                match_probability=p.match_probability,
                match_weight=p.match_weight,
                left=side(p.unique_id_l),
                right=side(p.unique_id_r),
            )
            for p in page
        ],
        not_shown=len(queue) - len(visible),
    )


def record_decision(
    engine: Engine,
    settings: Settings,
    user: Principal,
    unique_id_a: str,
    unique_id_b: str,
    decision: str,
    note: str,
) -> tuple[str, str]:
    """Decide a pair, if the analyst may see both of its records."""
    if decision not in ("accept", "reject"):
        raise LinkageError("choose whether the two records are the same person")
    now = datetime.now(UTC)
    agreements = list(current_agreements(engine))
    for uid in (unique_id_a, unique_id_b):
        if uid.count(":") < 2:
            raise NotFound(f"no record {uid}; records are named partner:source:record_id")
        partner, source = _partner_and_source(uid)
        if partner != user.organisation and not _purpose_for(
            user, source, partner, agreements, now
        ):
            raise AccessDenied(
                f"no agreement lets you see {partner}'s {source} records, so you cannot decide "
                "this pair; someone whose agreements cover both records must review it"
            )
    with held_workspace(settings):
        return decide_pair(
            settings,
            unique_id_a,
            unique_id_b,
            decision,  # type: ignore[arg-type]
            reviewer=user.name,
            note=note,
        )
