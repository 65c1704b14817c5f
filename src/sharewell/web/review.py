"""Clerical review on the web: the shared review access (``linkage.review_access``), held.

Who may look at which pair, under which purpose, and the audit of every look and decision
are ``sharewell.linkage.review_access``'s, exactly as on the command line; the web adds only
its workspace lock (one user of the workspace file at a time per process).
"""

from __future__ import annotations

from sqlalchemy import Engine

from sharewell.config import Settings
from sharewell.linkage import review_access
from sharewell.linkage.review_access import ReviewQueueView
from sharewell.web.roles import Principal
from sharewell.web.workspace import held_workspace

__all__ = ["PAGE_PAIRS", "record_decision", "reviewable"]

PAGE_PAIRS = 20


def reviewable(
    engine: Engine, settings: Settings, user: Principal, limit: int = PAGE_PAIRS
) -> ReviewQueueView:
    """The review queue as this analyst may see it."""
    return review_access.reviewable(
        engine, settings, user.name, limit, hold=lambda: held_workspace(settings)
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
    """Decide a pair, if the analyst may review it."""
    return review_access.record_decision(
        engine,
        settings,
        user.name,
        unique_id_a,
        unique_id_b,
        decision,
        note,
        hold=lambda: held_workspace(settings),
    )
