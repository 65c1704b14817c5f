"""The shrink rule: a load far smaller than the version it would replace is held, not loaded.

A careless export (the wrong file, a truncated one, one whose every row is quarantined) must
never quietly replace a partner's good data. When the accepted rows of a new load fall below
a share of the current version's (``Settings.ingest_hold_share``, default half), or to none
at all, the load is *held*: nothing is written and the current version stays current, until
someone who has looked confirms it (``sharewell ingest --accept-shrink``; the web upload's
confirm step). The rule is a pure function so every door into ingest applies the same one.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_HOLD_SHARE", "ShrinkHold", "shrink_hold"]

# Half: a partner's caseload does not halve between two monthly extracts, a broken file does.
DEFAULT_HOLD_SHARE = 0.5


@dataclass(frozen=True)
class ShrinkHold:
    """Why a load was held instead of superseding the current version: the figures to confirm."""

    partner: str
    source_type: str
    current_version: int
    current_rows: int
    rows_read: int
    rows_accepted: int
    hold_share: float

    @property
    def message(self) -> str:
        """The hold in words a partner's analyst can act on (without naming a CLI flag)."""
        was = f"{self.current_rows:,} accepted rows (dataset version {self.current_version})"
        now = f"{self.rows_accepted:,} of the {self.rows_read:,} rows read"
        if self.rows_accepted == 0:
            why = "no row of the new file was accepted"
        else:
            why = f"that is below {self.hold_share:.0%} of the current version"
        return (
            f"held, not loaded: {self.partner}'s {self.source_type} would go from {was} to "
            f"{now} — {why}. The current version stays in use; check the file (wrong file, "
            "cut short, wrong delimiter or mapping?) and confirm only if the smaller extract "
            "is right"
        )


def shrink_hold(
    *,
    partner: str,
    source_type: str,
    current_version: int | None,
    current_rows: int,
    rows_read: int,
    rows_accepted: int,
    hold_share: float = DEFAULT_HOLD_SHARE,
) -> ShrinkHold | None:
    """Whether a load must wait for confirmation before superseding the current version (pure).

    Args:
        current_version, current_rows: the version it would replace (None: there is none).
        rows_read, rows_accepted: the new load's counts.
        hold_share: hold when ``rows_accepted < hold_share * current_rows``; 0 holds only
            empty loads.

    Returns:
        A ``ShrinkHold`` with the figures when the load is held, else None. A first load is
        never held (it replaces nothing); a load of no accepted rows always is.
    """
    if not 0 <= hold_share <= 1:
        raise ValueError(f"hold_share must be between 0 and 1, not {hold_share}")
    if current_version is None:
        return None
    if rows_accepted > 0 and rows_accepted >= hold_share * current_rows:
        return None
    return ShrinkHold(
        partner=partner,
        source_type=source_type,
        current_version=current_version,
        current_rows=current_rows,
        rows_read=rows_read,
        rows_accepted=rows_accepted,
        hold_share=hold_share,
    )
