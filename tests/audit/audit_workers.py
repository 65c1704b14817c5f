"""Worker for the multi-process audit test (a module of its own so ``spawn`` can import it)."""

from __future__ import annotations

from pathlib import Path

from sharewell.audit import AuditEvent, record
from sharewell.store import operational_engine


def append_many(url: str, key_file: str, worker: int, count: int) -> list[int]:
    """Append ``count`` entries from a fresh engine; return the sequence numbers written."""
    engine = operational_engine(url, Path(key_file))
    written = []
    for i in range(count):
        entry = record(
            engine,
            AuditEvent(
                actor=f"proc{worker}",
                action="access",
                target=f"item {i}",
                outcome="allow",
                persons=(f"w{worker}-{i}",),
            ),
        )
        written.append(entry.seq)
    engine.dispose()
    return written
