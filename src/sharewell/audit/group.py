"""Group commit: concurrent audit appends in one process share one transaction.

A web worker serves many requests at once, and each must not answer before its audit entry
is durable. Committing each entry alone makes every request wait for its own commit (and,
across workers, for the chain head's lock). Instead the first request to find no commit in
progress becomes the group's leader: it appends every entry queued so far, in order, in one
transaction (the chain's head locked as for a single append: ``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL, so seq and prev-hash stay serialised across
processes), commits once, and hands each request its entry. Requests that queue while it
commits form the next group.

Nothing is acknowledged before its commit: a process killed mid-group loses only entries
whose requests had not been answered, and those requests fail. If a group's transaction
fails, each of its entries is tried again alone, so one bad entry cannot fail its neighbours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from sharewell.audit.chain import AuditEntry, AuditEvent
from sharewell.faults import fault_point

__all__ = ["GroupCommit", "group_for"]

Append = Callable[[Connection, AuditEvent], AuditEntry]
Transaction = Callable[[Engine], object]  # audit_transaction: a context manager of Connection


@dataclass
class _Pending:
    events: Sequence[AuditEvent]
    entries: list[AuditEntry] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


class GroupCommit:
    """One process's queue of audit appends to one operational store."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._writing = False
        self.groups = 0  # transactions committed (for tests and figures)

    def record(
        self,
        engine: Engine,
        events: Sequence[AuditEvent],
        append: Append,
        transaction: Callable[[Engine], object],
    ) -> list[AuditEntry]:
        """Append ``events`` (in order, consecutive) and return their entries once committed."""
        pending = _Pending(events)
        with self._cond:
            self._queue.append(pending)
            while self._writing and not pending.done:
                self._cond.wait()
            if not pending.done:
                self._writing = True  # this request leads the next group
                group, self._queue = self._queue, []
        if not pending.done:
            try:
                self._commit(engine, group, append, transaction)
            finally:
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.entries

    def _commit(
        self,
        engine: Engine,
        group: list[_Pending],
        append: Append,
        transaction: Callable[[Engine], object],
    ) -> None:
        try:
            self._write(engine, group, append, transaction)
        except BaseException as exc:
            if len(group) == 1 or not isinstance(exc, Exception):
                for p in group:
                    p.error, p.done = exc, True
                if not isinstance(exc, Exception):
                    raise
                return
            for p in group:  # one at a time, so one bad entry fails only its own request
                try:
                    self._write(engine, [p], append, transaction)
                except Exception as alone:
                    p.error, p.done = alone, True

    def _write(
        self,
        engine: Engine,
        group: list[_Pending],
        append: Append,
        transaction: Callable[[Engine], object],
    ) -> None:
        with transaction(engine) as conn:  # type: ignore[attr-defined]
            written = [[append(conn, e) for e in p.events] for p in group]
            fault_point("audit.before_commit")
        # Committed: only now may any request in the group answer.
        self.groups += 1
        fault_point("audit.committed")
        for p, entries in zip(group, written, strict=True):
            p.entries, p.done = entries, True


_groups: dict[tuple[str, str], GroupCommit] = {}
_groups_lock = threading.Lock()


def group_for(engine: Engine) -> GroupCommit:
    """The group commit of this process for ``engine``'s store (one per database and keys)."""
    key = (engine.url.render_as_string(hide_password=False), repr(engine.get_execution_options()))
    with _groups_lock:
        group = _groups.get(key)
        if group is None:
            group = _groups[key] = GroupCommit()
        return group
