"""Uploads loading in the background, so the page can show each stage while a file loads.

An upload that would replace a current version is first previewed (``upload_preview``) and
waits for the analyst's decision: replace (confirming explicitly when the shrink rule holds
it) or keep the current version. A job is a row of the operational store (``upload_jobs``)
while it runs and for an hour after, so every web worker process shows the same progress
and any of them takes the decision: what it loaded is in the workspace (dataset version and
quarantine), and its audit entry in the log. The uploaded file is deleted as soon as the
load ends (or the upload is declined, or abandoned for an hour): a copy on disk would
outlive the agreements' retention rules.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, delete, insert, or_, select, update

from sharewell.agreements.governed_ingest import ingest_partner_extract
from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.errors import IngestError, SharewellError
from sharewell.ingest.load import IngestReport
from sharewell.ingest.mapping import Mapping
from sharewell.partnership import get_user
from sharewell.store.tables import upload_jobs
from sharewell.web.upload_preview import UploadPreview, preview_upload
from sharewell.web.workspace import open_workspace

__all__ = ["UploadJob", "UploadJobs", "load_upload"]

log = logging.getLogger(__name__)

# Finished jobs are forgotten after this; the dataset version page stays for good.
KEEP_FINISHED = timedelta(hours=1)


@dataclass
class UploadJob:
    """One upload being loaded: whose, which file, the stage reached and how it ended."""

    id: str
    username: str
    organisation: str
    file_name: str
    source_type: str
    stage: str = "Waiting to start"
    step: int = 0
    finished: datetime | None = None
    dataset_version: int | None = None
    recognised: bool = False
    error: str | None = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    upload_dir: Path | None = None
    # the current version beside the new file, when the upload would replace one
    preview: UploadPreview | None = None
    decided: bool = False
    kept_current: bool = False  # the analyst declined the upload
    # what to load once decided (any worker may be the one that loads it)
    path: Path = field(default=Path(), repr=False)
    mapping: Mapping | None = field(default=None, repr=False)

    # The stages ingest reports, in order: the progress bar counts them.
    STAGES = ("Hashing", "Reading", "Validating", "Loading")

    def say(self, message: str) -> None:
        """The stage ``message`` names, and the step it is (``UploadJobs.say`` stores it)."""
        self.stage = message
        for i, prefix in enumerate(self.STAGES, 1):
            if message.startswith(prefix):
                self.step = i

    @property
    def done(self) -> bool:
        """Whether the load has ended, one way or the other."""
        return self.finished is not None

    @property
    def awaiting_decision(self) -> bool:
        """Previewed, and waiting for the analyst to replace the current version or keep it."""
        return self.preview is not None and not self.decided and not self.done


def load_upload(
    settings: Settings,
    engine: Engine,
    *,
    path: Path,
    username: str,
    organisation: str,
    source_type: str,
    mapping: Mapping | None,
    progress: Callable[[str], None] | None = None,
    accept_shrink: bool = False,
) -> IngestReport:
    """Load an uploaded extract as ``organisation``'s data, audited, through ingest.

    A load the shrink rule holds (unless ``accept_shrink``: someone confirmed the smaller
    file) is refused here with its reason; nothing was loaded.
    """
    with open_workspace(settings, write=True) as workspace:
        report = ingest_partner_extract(
            engine,
            workspace,
            partner=organisation,
            path=path,
            source_type=source_type,
            mapping=mapping,
            loaded_by=username,
            progress=progress,
            accept_shrink=accept_shrink,
            hold_share=settings.ingest_hold_share,
        )
    if report.held is not None:
        raise IngestError(f"{path.name}: {report.held.message}")
    return report


FAULT = (
    "the load stopped because of a fault in the service; nothing was loaded. Try again, and "
    "tell your hub administrator if it happens again"
)
_PREVIEW: TypeAdapter[UploadPreview] = TypeAdapter(UploadPreview)


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(worker: str) -> bool:
    """Whether the worker process running a job, on this machine, has died (kill -9)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: it says for itself when it ends
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


STOPPED = (
    "the service stopped while loading this extract; the load's transaction was not "
    "committed, so nothing was loaded. Upload it again"
)


def _job(row: Any) -> UploadJob:
    preview = _PREVIEW.validate_json(row.preview) if row.preview else None
    running = row.finished is None and not (row.preview and not row.decided)
    if running and _gone(row.worker):
        # A worker killed mid-load leaves its row behind: say so rather than spin forever.
        return replace(_job_of(row, preview), error=STOPPED, finished=row.updated_at)
    return _job_of(row, preview)


def _job_of(row: Any, preview: UploadPreview | None) -> UploadJob:
    return UploadJob(
        id=row.id,
        username=row.username,
        organisation=row.organisation,
        file_name=row.file_name,
        source_type=row.source_type,
        stage=row.stage,
        step=row.step,
        finished=row.finished,
        dataset_version=row.dataset_version,
        recognised=row.recognised,
        error=row.error,
        started=row.started,
        upload_dir=Path(row.upload_dir) if row.upload_dir else None,
        preview=preview,
        decided=row.decided,
        kept_current=row.kept_current,
        path=Path(row.path),
        mapping=Mapping.model_validate_json(row.mapping) if row.mapping else None,
    )


class UploadJobs:
    """Running, waiting and recently finished uploads, kept in the operational store.

    Any web worker shows any job's progress and takes the analyst's decision on it; the
    worker that runs a load writes each stage as it starts. A job is a row, so a page served
    by another worker process (``sharewell serve --workers N``) reads the same progress.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, job_id: str) -> UploadJob | None:
        """The job with this id, if it is still remembered."""
        with self.engine.connect() as conn:
            row = conn.execute(select(upload_jobs).where(upload_jobs.c.id == job_id)).first()
        return _job(row) if row is not None else None

    def _update(self, job_id: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(upload_jobs)
                .where(upload_jobs.c.id == job_id)
                .values(updated_at=datetime.now(UTC), **values)
            )

    def say(self, job_id: str, message: str) -> None:
        """Called by ingest as each stage starts: the stage, and the step it is."""
        job = UploadJob(id=job_id, username="", organisation="", file_name="", source_type="")
        job.say(message)
        self._update(job_id, stage=job.stage[:500], step=job.step)

    def _forget_old(self) -> None:
        cutoff = datetime.now(UTC) - KEEP_FINISHED
        with self.engine.begin() as conn:
            old = conn.execute(
                select(upload_jobs.c.id, upload_jobs.c.upload_dir).where(
                    or_(
                        upload_jobs.c.finished < cutoff,
                        # waiting for a decision nobody gave: abandoned
                        (upload_jobs.c.finished.is_(None))
                        & (upload_jobs.c.started < cutoff)
                        & upload_jobs.c.preview.is_not(None)
                        & ~upload_jobs.c.decided,
                    )
                )
            ).all()
            for _job_id, upload_dir in old:
                if upload_dir:
                    shutil.rmtree(upload_dir, ignore_errors=True)  # an abandoned upload
            if old:
                conn.execute(delete(upload_jobs).where(upload_jobs.c.id.in_([j for j, _ in old])))

    def _run(self, job_id: str, upload_dir: Path | None, work: Callable[[], None]) -> None:
        """Run ``work`` in a thread; any failure ends the job with a message, the file removed."""

        def run() -> None:
            error = None
            try:
                work()
            except SharewellError as exc:
                error = str(exc)
            except Exception:  # the page must end, and say so, whatever happened
                log.exception("upload %s failed", job_id)
                error = FAULT
            job = self.get(job_id)
            if error or (job is not None and not job.awaiting_decision):
                if upload_dir is not None:
                    shutil.rmtree(upload_dir, ignore_errors=True)
                self._update(job_id, error=error, finished=datetime.now(UTC))

        threading.Thread(target=run, name=f"upload-{job_id[:8]}", daemon=True).start()

    def _load(self, settings: Settings, job: UploadJob, accept_shrink: bool = False) -> None:
        report = load_upload(
            settings,
            self.engine,
            path=job.path,
            username=job.username,
            organisation=job.organisation,
            source_type=job.source_type,
            mapping=job.mapping,
            progress=partial(self.say, job.id),
            accept_shrink=accept_shrink,
        )
        self._update(job.id, dataset_version=report.dataset_version, recognised=report.recognised)

    def start(
        self,
        settings: Settings,
        *,
        upload_dir: Path,
        path: Path,
        username: str,
        organisation: str,
        source_type: str,
        mapping: Mapping | None,
    ) -> UploadJob:
        """Preview ``path`` (inside ``upload_dir``) against the current version, in a thread;
        load it at once if it replaces nothing, else wait for ``decide``."""
        self._forget_old()
        now = datetime.now(UTC)
        job = UploadJob(
            id=uuid.uuid4().hex,
            username=username,
            organisation=organisation,
            file_name=path.name,
            source_type=source_type,
            upload_dir=upload_dir,
            started=now,
            path=path,
            mapping=mapping,
        )
        with self.engine.begin() as conn:
            conn.execute(
                insert(upload_jobs).values(
                    id=job.id,
                    username=username,
                    organisation=organisation,
                    file_name=job.file_name[:500],
                    source_type=source_type,
                    stage=job.stage,
                    step=0,
                    started=now,
                    updated_at=now,
                    recognised=False,
                    upload_dir=str(upload_dir),
                    path=str(path),
                    mapping=mapping.model_dump_json() if mapping is not None else None,
                    decided=False,
                    kept_current=False,
                    worker=_worker(),
                )
            )

        def preview_then_load() -> None:
            preview = preview_upload(
                settings,
                path=path,
                organisation=organisation,
                source_type=source_type,
                mapping=mapping,
                username=username,
                progress=partial(self.say, job.id),
            )
            if preview is None:
                self._load(settings, job)
                return
            self._update(
                job.id,
                stage="Waiting for your decision",
                step=len(UploadJob.STAGES),
                preview=_PREVIEW.dump_json(preview).decode("utf-8"),
            )

        self._run(job.id, upload_dir, preview_then_load)
        return job

    def decide(
        self, settings: Settings, job: UploadJob, *, replace: bool, accept_shrink: bool
    ) -> None:
        """The analyst's decision on a previewed upload: load it, or keep the current version."""
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(upload_jobs)
                .where(
                    upload_jobs.c.id == job.id,
                    upload_jobs.c.preview.is_not(None),
                    ~upload_jobs.c.decided,
                    upload_jobs.c.finished.is_(None),
                )
                .values(decided=True, updated_at=datetime.now(UTC), worker=_worker())
            ).rowcount
        if taken != 1:
            return  # decided already (a second click, perhaps on another worker): it stands
        if replace:
            self._update(job.id, stage="Waiting to start", step=0)
            self._run(job.id, job.upload_dir, lambda: self._load(settings, job, accept_shrink))
            return
        preview = job.preview
        assert preview is not None
        try:
            record(
                self.engine,
                AuditEvent(
                    actor=job.username,
                    action="ingest",
                    target=f"{job.source_type} from {job.organisation}: {job.file_name}",
                    outcome="held",
                    organisation=job.organisation,
                    role=get_user(self.engine, job.username).role,
                    detail={
                        "decision": "kept the current version",
                        "current_version": preview.current.dataset_version,
                        "current_rows": preview.current.rows_accepted,
                        "rows_read": preview.new.rows_read,
                        "rows_accepted": preview.new.rows_accepted,
                        "shrink_rule_held": preview.hold is not None,
                    },
                ),
            )
        finally:
            if job.upload_dir is not None:
                shutil.rmtree(job.upload_dir, ignore_errors=True)
            self._update(job.id, kept_current=True, finished=datetime.now(UTC))
