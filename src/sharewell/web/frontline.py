"""What every front-line page shares: the date it is drawn up for, and how old the data is.

A view's date defaults to the latest date in the data it draws on (not today: an extract
ending in December gives an empty cohort "as of" March), and every view lists, for each
source the person may read, whose it is, when it was loaded and the latest date in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine

from sharewell.agreements import current_agreements
from sharewell.config import Settings
from sharewell.web.allowed import VIEWS, granted_sources
from sharewell.web.data_dates import SourceFreshness, default_as_of, freshness
from sharewell.web.dates import DateField, read_date
from sharewell.web.deps import page_permission
from sharewell.web.roles import Principal

__all__ = ["DatedView", "Frontline", "dated_view", "sources_for"]

Frontline = Annotated[Principal, Depends(page_permission("frontline"))]


@dataclass(frozen=True)
class DatedView:
    """A view's date as asked for (or the default), and the data it draws on."""

    as_of: DateField
    sources: list[SourceFreshness]

    @property
    def errors(self) -> dict[str, str]:
        """The date's error, keyed by the box the error summary links to."""
        return {self.as_of.error_href[1:]: self.as_of.error} if self.as_of.error else {}


def sources_for(
    engine: Engine, settings: Settings, user: Principal, purpose: str, among: tuple[str, ...]
) -> list[SourceFreshness]:
    """The current extracts of ``among`` that this person may read for ``purpose`` today."""
    granted = set(granted_sources(current_agreements(engine), user, purpose, date.today()))
    return freshness(settings, [s for s in among if s in granted])


def dated_view(
    engine: Engine,
    settings: Settings,
    user: Principal,
    view: str,
    values: Mapping[str, str],
) -> DatedView:
    """Read the view's date from the request; default it to the latest date in its data."""
    spec = VIEWS[view]
    sources = sources_for(engine, settings, user, spec.purpose, spec.sources)
    field = read_date(values, "as_of", "The date", default=default_as_of(sources))
    return DatedView(field, sources)
