"""Uploads loading in the background, so the page can show each stage while a file loads.

A job lives in the web process's memory only while it runs and for a while after: what it
loaded is in the workspace (dataset version and quarantine), and its audit entry in the log.
The uploaded file is deleted as soon as the load ends, loaded or not: the workspace holds
the data now, and a copy on disk would outlive the agreements' retention rules.
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
from sharewell.config import Settings
from sharewell.errors import IngestError, SharewellError
from sharewell.ingest.load import IngestReport
from sharewell.ingest.mapping import Mapping
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
) -> IngestReport:
    """Load an uploaded extract as ``organisation``'s data, audited, through ingest.

    A load the shrink rule holds is refused here with its reason (nothing was loaded).
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
            hold_share=settings.ingest_hold_share,
        )
    if report.held is not None:
        raise IngestError(f"{path.name}: {report.held.message}")
    return report


class UploadJobs:
    """The web process's running and recently finished uploads."""

    def __init__(self) -> None:
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> UploadJob | None:
        """The job with this id, if it is still remembered."""
        with self._lock:
            return self._jobs.get(job_id)

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
        """Start loading ``path`` (inside ``upload_dir``, removed afterwards) in a thread."""
        job = UploadJob(
            id=uuid.uuid4().hex,
            username=username,
            organisation=organisation,
            file_name=path.name,
            source_type=source_type,
        )
        now = datetime.now(UTC)
        with self._lock:
            for old in [
                j for j in self._jobs.values() if j.finished and now - j.finished > KEEP_FINISHED
            ]:
                del self._jobs[old.id]
            self._jobs[job.id] = job

        def run() -> None:
            try:
                report = load_upload(
                    settings,
                    engine,
                    path=path,
                    username=username,
                    organisation=organisation,
                    source_type=source_type,
                    mapping=mapping,
                    progress=job.say,
                )
                job.dataset_version = report.dataset_version
                job.recognised = report.recognised
            except SharewellError as exc:
                job.error = str(exc)
            except Exception:  # the page must end, and say so, whatever happened
                log.exception("upload %s failed", job.id)
                job.error = (
                    "the load stopped because of a fault in the service; nothing was loaded. "
                    "Try again, and tell your hub administrator if it happens again"
                )
            finally:
                shutil.rmtree(upload_dir, ignore_errors=True)
                job.finished = datetime.now(UTC)

        threading.Thread(target=run, name=f"upload-{job.id[:8]}", daemon=True).start()
        return job
