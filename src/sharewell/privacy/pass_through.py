"""What a PPRL partner may pass through in clear: only what its agreements grant, no free text.

Encoding runs on the partner's machine, so the partner's own copies of its agreements (the
same YAML files the hub enforces) say what may leave it unencoded: a column passes through
only when an agreement in force, in which the partner provides that source type, grants it
to some recipient (a flag grant counts for the columns its flags are derived from). A
free-text column (``free_text: true``: a narrative, a diagnosis) is refused even then unless
the partner says so explicitly: typed text may name anyone, in clear.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sharewell.agreements import FLAGS, Agreement, effective_status, newest_versions
from sharewell.errors import AccessDenied, ConfigError
from sharewell.ingest.source_types import source_type

__all__ = ["check_pass_through", "granted_columns", "refuse_free_text"]


def granted_columns(
    agreements: Iterable[Agreement], *, partner: str, source: str, on: date
) -> set[str]:
    """Columns of ``source`` that agreements in force on ``on`` let ``partner`` share (pure)."""
    granted: set[str] = set()
    for agreement in newest_versions(agreements):
        if effective_status(agreement, on) != "active":
            continue
        if not any(p.organisation == partner and source in p.datasets for p in agreement.providers):
            continue
        for recipient in agreement.recipients:
            for grant in recipient.datasets:
                if grant.source_type != source:
                    continue
                if grant.level == "flag_only":
                    for name in grant.fields:
                        if name in FLAGS:
                            granted.update(FLAGS[name].reads.get(source, ()))
                else:
                    granted.update(grant.fields)
    return granted


def refuse_free_text(source: str, fields: Sequence[str], *, allow_free_text: bool) -> None:
    """Raise ConfigError when ``fields`` include a free-text column and that was not allowed."""
    columns = source_type(source).columns
    free = [f for f in fields if f in columns and columns[f].free_text]
    if free and not allow_free_text:
        raise ConfigError(
            f"{', '.join(free)} {'is' if len(free) == 1 else 'are'} free text, which may name "
            "anyone, and would leave this organisation in clear: leave "
            f"{'it' if len(free) == 1 else 'them'} out of pass_through (or, if the agreement "
            "grants it and your IG lead has agreed, pass --allow-free-text)"
        )


def check_pass_through(
    fields: Sequence[str],
    *,
    partner: str,
    source: str,
    agreements: Sequence[Agreement],
    on: date,
    allow_free_text: bool = False,
) -> None:
    """Refuse any pass-through column the partner's agreements do not grant, or free text.

    Raises:
        AccessDenied: a column no agreement in force grants (or no agreement was given).
        ConfigError: a free-text column, without ``allow_free_text``.
    """
    if not fields:
        return
    refuse_free_text(source, fields, allow_free_text=allow_free_text)
    if not agreements:
        raise AccessDenied(
            f"passing {', '.join(fields)} through in clear needs the agreement that grants "
            "it: give the agreement file(s) with --agreement"
        )
    granted = granted_columns(agreements, partner=partner, source=source, on=on)
    refused = [f for f in fields if f not in granted]
    if refused:
        names = ", ".join(sorted({a.id for a in agreements}))
        raise AccessDenied(
            f"no agreement in force ({names}) lets {partner} share {', '.join(refused)} of "
            f"{source}, so {'it' if len(refused) == 1 else 'they'} cannot pass through in "
            f"clear; {partner} may pass through: {', '.join(sorted(granted)) or 'nothing'}"
        )
