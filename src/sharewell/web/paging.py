"""Long lists shown a page at a time, with the GOV.UK pagination component's links (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

__all__ = ["PAGE_SIZE", "Page", "page_of"]

PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, where it starts, and the links to the others."""

    items: Sequence[T]
    number: int
    pages: int
    total: int
    first_index: int  # 1-based rank of the first item on this page
    pagination: Mapping[str, Any] | None  # params for govukPagination; None for one page

    @property
    def last_index(self) -> int:
        """The rank of the last item on this page."""
        return self.first_index + len(self.items) - 1


def _href(path: str, query: Mapping[str, str], number: int) -> str:
    return f"{path}?{urlencode({**query, 'page': str(number)})}"


def page_of(
    items: Sequence[T],
    number: int,
    *,
    path: str,
    query: Mapping[str, str],
    size: int = PAGE_SIZE,
) -> Page[T]:
    """Page ``number`` (from 1; out of range is clamped) of ``items``, with links that keep
    ``query`` (the list's date and filters)."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    pagination: dict[str, Any] | None = None
    if pages > 1:
        # GOV.UK's pattern: first, last, and the pages either side of this one; gaps elided.
        shown = sorted({1, pages, number - 1, number, number + 1} & set(range(1, pages + 1)))
        entries: list[dict[str, Any]] = []
        for i, n in enumerate(shown):
            if i and n - shown[i - 1] > 1:
                entries.append({"ellipsis": True})
            entries.append({"number": n, "href": _href(path, query, n), "current": n == number})
        pagination = {"items": entries}
        if number > 1:
            pagination["previous"] = {"href": _href(path, query, number - 1)}
        if number < pages:
            pagination["next"] = {"href": _href(path, query, number + 1)}
    return Page(items[start : start + size], number, pages, len(items), start + 1, pagination)
