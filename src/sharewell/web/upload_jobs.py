"""Uploads loading in the background, so the page can show each stage while a file loads.

An upload that would replace a current version is first previewed (``upload_preview``) and
waits for the analyst's decision: replace (confirming explicitly when the shrink rule holds
it) or keep the current version. A job lives in the web process's memory only while it runs
and for a while after: what it loaded is in the workspace (dataset version and quarantine),
and its audit entry in the log. The uploaded file is deleted as soon as the load ends (or
the upload is declined, or abandoned for an hour): a copy on disk would outlive the
agreements' retention rules.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from sharewell.agreements.governed_ingest import ingest_partner_extract
from sharewell.audit import AuditEvent, record
from sharewell.config import Settings
from sharewell.errors import IngestError, SharewellError
from sharewell.ingest.load import IngestReport
from sharewell.ingest.mapping import Mapping
from sharewell.partnership import get_user
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
    # loads the file (accept_shrink): set when the job starts, called once decided
    resume: Callable[[bool], None] | None = field(default=None, repr=False)

    # The stages ingest reports, in order: the progress bar counts them.
    STAGES = ("Hashing", "Reading", "Validating", "Loading")

    def say(self, message: str) -> None:
        """Called by ingest as each stage starts."""
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


class UploadJobs:
    """The web process's running, waiting and recently finished uploads."""

    def __init__(self) -> None:
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> UploadJob | None:
        """The job with this id, if it is still remembered."""
        with self._lock:
            return self._jobs.get(job_id)

    def _forget_old(self) -> None:
        now = datetime.now(UTC)
        with self._lock:
            for old in [
                j
                for j in self._jobs.values()
                if (j.finished and now - j.finished > KEEP_FINISHED)
                or (j.awaiting_decision and now - j.started > KEEP_FINISHED)
            ]:
                if old.upload_dir is not None:
                    shutil.rmtree(old.upload_dir, ignore_errors=True)  # an abandoned upload
                del self._jobs[old.id]

    @staticmethod
    def _run(job: UploadJob, work: Callable[[], None]) -> None:
        """Run ``work`` in a thread; any failure ends the job with a message, the file removed."""

        def run() -> None:
            try:
                work()
            except SharewellError as exc:
                job.error = str(exc)
            except Exception:  # the page must end, and say so, whatever happened
                log.exception("upload %s failed", job.id)
                job.error = FAULT
            if job.error or not job.awaiting_decision:
                if job.upload_dir is not None:
                    shutil.rmtree(job.upload_dir, ignore_errors=True)
                job.finished = datetime.now(UTC)

        threading.Thread(target=run, name=f"upload-{job.id[:8]}", daemon=True).start()

    def start(
        self,
        settings: Settings,
        engine: Engine,
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
        job = UploadJob(
            id=uuid.uuid4().hex,
            username=username,
            organisation=organisation,
            file_name=path.name,
            source_type=source_type,
            upload_dir=upload_dir,
        )
        with self._lock:
            self._jobs[job.id] = job

        def load(accept_shrink: bool = False) -> None:
            report = load_upload(
                settings,
                engine,
                path=path,
                username=username,
                organisation=organisation,
                source_type=source_type,
                mapping=mapping,
                progress=job.say,
                accept_shrink=accept_shrink,
            )
            job.dataset_version = report.dataset_version
            job.recognised = report.recognised

        def preview_then_load() -> None:
            preview = preview_upload(
                settings,
                path=path,
                organisation=organisation,
                source_type=source_type,
                mapping=mapping,
                username=username,
                progress=job.say,
            )
            if preview is None:
                load()
                return
            job.stage, job.step = "Waiting for your decision", len(UploadJob.STAGES)
            job.preview = preview

        job.resume = load
        self._run(job, preview_then_load)
        return job

    def decide(self, engine: Engine, job: UploadJob, *, replace: bool, accept_shrink: bool) -> None:
        """The analyst's decision on a previewed upload: load it, or keep the current version."""
        with self._lock:
            if not job.awaiting_decision:
                return  # decided already (a second click): the first decision stands
            job.decided = True
        if replace:
            job.stage, job.step = "Waiting to start", 0
            resume = job.resume
            assert resume is not None
            self._run(job, lambda: resume(accept_shrink))
            return
        preview = job.preview
        assert preview is not None
        try:
            record(
                engine,
                AuditEvent(
                    actor=job.username,
                    action="ingest",
                    target=f"{job.source_type} from {job.organisation}: {job.file_name}",
                    outcome="held",
                    organisation=job.organisation,
                    role=get_user(engine, job.username).role,
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
            job.kept_current = True
            job.finished = datetime.now(UTC)
