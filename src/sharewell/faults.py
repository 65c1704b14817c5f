"""Fault-injection points: a test names a step, the process stops there and says so.

With ``SHAREWELL_FAULT_AT`` naming a step (one of ``FAULT_STEPS``), the process that
reaches that step writes its pid to the file ``SHAREWELL_FAULT_READY`` names and waits to be
killed or interrupted. A fault test waits for that file, then sends its signal, so the kill
lands at an exact step whatever the machine's load — never at a guessed fraction of a
measured run. Unset (always, outside fault tests), a point costs one environment look-up.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["FAULT_AT", "FAULT_READY", "FAULT_STEPS", "fault_point"]

FAULT_AT = "SHAREWELL_FAULT_AT"
FAULT_READY = "SHAREWELL_FAULT_READY"

FAULT_STEPS: dict[str, str] = {
    "ingest.version_registered": "the new version is in the registry, inside the load's "
    "transaction; the previous version is still current",
    "ingest.previous_superseded": "the previous version is marked superseded and its records "
    "deleted; the new records are not yet written",
    "ingest.records_written": "the new records are written; quarantine not yet",
    "ingest.before_commit": "every write of the load is done; the transaction not committed",
    "ingest.committed": "the load's transaction is committed",
    "link.index_replaced": "a full run has replaced the person index inside its transaction; "
    "links and review queue not yet",
    "link.before_commit": "every write of a full linkage run is done; not committed",
    "audit.before_commit": "a group of audit entries is appended inside its transaction; not "
    "committed, so no request in the group has been answered",
    "audit.committed": "a group of audit entries is committed; its requests not yet answered",
    "snapshot.before_pointer": "a new read snapshot is written whole under its version's name; "
    "the CURRENT pointer still names the previous version",
}
"""Every fault-injection point: step -> the state the process is in when it stops there."""

# Long enough for any test on a busy machine; a point nobody kills must not hang forever.
_WAIT_SECONDS = 600.0


def fault_point(step: str) -> None:
    """Stop here, and say so, when ``SHAREWELL_FAULT_AT`` names ``step``; otherwise nothing."""
    if os.environ.get(FAULT_AT) != step:
        return
    if step not in FAULT_STEPS:
        raise RuntimeError(f"unknown fault-injection point {step!r}")
    ready = os.environ.get(FAULT_READY)
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + _WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)  # a SIGINT lands here as KeyboardInterrupt, as Ctrl-C would
    raise RuntimeError(f"fault-injection point {step} was reached but nothing stopped it")
