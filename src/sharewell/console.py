"""Rich tables any part of sharewell may print (the CLI, the demo), below every capability.

It imports no sharewell module, so the demo can print its summary as the CLI does without
importing the CLI (``docs/architecture.md``: the demo sits beside the CLI, not on it).
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

__all__ = ["key_value_table"]


def key_value_table(title: str, rows: dict[str, Any]) -> Table:
    """A two-column rich table for a short summary."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, val in rows.items():
        table.add_row(key, str(val))
    return table
