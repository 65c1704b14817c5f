"""Uploads for analysts: load an extract of their organisation's data, watch it load, and read
the quarantine report (file, row, field, reason) of every load their organisation made.

An analyst loads only as their own organisation (the partner is never taken from the form),
only source types that kind of organisation sends, and sees only their organisation's loads.
Loading goes through ingest's audited path, as the CLI does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sharewell.config import Settings
from sharewell.errors import IngestError, NotFound
from sharewell.ingest import (
    Mapping,
    parse_mapping,
)
from sharewell.web.deps import (
    CsrfChecked,
    HubEngine,
    HubSettings,
    api_permission,
    get_engine,
    page_permission,
)
from sharewell.web.loads import (
    LoadBody,
    LoadReport,
    load_body,
    load_report,
    own_loads,
    source_types_for,
)
from sharewell.web.roles import Principal
from sharewell.web.templating import render
from sharewell.web.upload_jobs import UploadJob, UploadJobs, load_upload

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/uploads", tags=["uploads"])

Uploader = Annotated[Principal, Depends(page_permission("uploads"))]
ApiUploader = Annotated[Principal, Depends(api_permission("uploads"))]
ApiReader = Annotated[Principal, Depends(api_permission("uploads.read"))]

SUFFIXES = (".csv", ".xlsx", ".parquet")
# A county's largest extract is tens of megabytes; anything far larger is a mistake.
MAX_EXTRACT_BYTES = 512 * 1024 * 1024
MAX_MAPPING_BYTES = 64 * 1024
# The quarantine report page shows this many problems; the API and the CLI give them all.
REPORT_ROWS = 500


def _jobs(request: Request) -> UploadJobs:
    return UploadJobs(get_engine(request))  # the jobs are rows: any worker sees them all


def _safe_name(name: str | None) -> str:
    # Only the base name, in plain characters: it goes into paths, pages and the registry.
    base = Path(name or "extract").name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "extract"
    return cleaned[-120:]


async def _save(upload: UploadFile, dest: Path, limit: int) -> int:
    size = 0
    with dest.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise IngestError(
                    f"{dest.name} is larger than {limit // (1024 * 1024)} MB; split the extract"
                )
            out.write(chunk)
    return size


def _staging_dir(settings: Settings) -> Path:
    root = settings.hub_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="upload-", dir=root))


async def _receive(
    settings: Settings,
    engine: Any,
    user: Principal,
    source_type: str,
    extract: UploadFile | None,
    mapping_file: UploadFile | None,
) -> tuple[dict[str, str], Path | None, Path | None, Mapping | None]:
    """Check the form and save the extract: (errors by field, staging dir, file, mapping)."""
    errors: dict[str, str] = {}
    allowed = dict(source_types_for(engine, user.organisation))
    if source_type not in allowed:
        errors["source_type"] = "Select the kind of extract you are uploading"
    mapping: Mapping | None = None
    if mapping_file is not None and mapping_file.filename:
        raw = await mapping_file.read(MAX_MAPPING_BYTES + 1)
        try:
            if len(raw) > MAX_MAPPING_BYTES:
                raise IngestError("the mapping file is too large to be a mapping")
            mapping = parse_mapping(
                raw.decode("utf-8-sig"), origin=_safe_name(mapping_file.filename)
            )
            if source_type in allowed and mapping.source_type != source_type:
                raise IngestError(
                    f"the mapping is for {mapping.source_type}, not {source_type}; choose the "
                    "mapping that matches the extract"
                )
        except (IngestError, UnicodeDecodeError) as exc:
            errors["mapping_file"] = f"The mapping cannot be used: {exc}"
    name = _safe_name(extract.filename if extract else None)
    if extract is None or not extract.filename:
        errors["extract"] = "Select the extract to upload"
    elif not name.lower().endswith(SUFFIXES):
        errors["extract"] = "The extract must be a CSV, Excel (.xlsx) or Parquet file"
    if errors or extract is None:
        return errors, None, None, None
    staging = _staging_dir(settings)
    path = staging / name
    try:
        await _save(extract, path, MAX_EXTRACT_BYTES)
    except IngestError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return {"extract": str(exc)}, None, None, None
    return {}, staging, path, mapping


def _upload_form(
    request: Request,
    user: Principal,
    engine: Any,
    settings: Settings,
    *,
    errors: dict[str, str] | None = None,
    source_type: str = "",
    status_code: int = 200,
) -> Response:
    loads = own_loads(settings, user)
    loads.reverse()
    return render(
        request,
        "uploads/upload.html",
        user,
        status_code=status_code,
        title="Upload an extract",
        errors=errors or {},
        source_types=source_types_for(engine, user.organisation),
        source_type=source_type,
        loads=loads,
    )


@pages.get("/uploads")
def upload_page(
    request: Request, user: Uploader, engine: HubEngine, settings: HubSettings
) -> Response:
    """The upload form, and the organisation's loads (newest first) with their reports."""
    return _upload_form(request, user, engine, settings)


@pages.post("/uploads", dependencies=[CsrfChecked])
async def upload_submit(
    request: Request,
    user: Uploader,
    engine: HubEngine,
    settings: HubSettings,
    source_type: Annotated[str, Form(max_length=64)] = "",
    extract: Annotated[UploadFile | None, File()] = None,
    mapping_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check the form, save the file and start loading it; then show its progress."""
    errors, staging, path, mapping = await _receive(
        settings, engine, user, source_type, extract, mapping_file
    )
    if errors or staging is None or path is None:
        return _upload_form(
            request,
            user,
            engine,
            settings,
            errors=errors,
            source_type=source_type,
            status_code=422,
        )
    job = _jobs(request).start(
        settings,
        upload_dir=staging,
        path=path,
        username=user.name,
        organisation=user.organisation,
        source_type=source_type,
        mapping=mapping,
    )
    return RedirectResponse(f"/uploads/jobs/{job.id}", status_code=303)


def _own_job(request: Request, user: Principal, job_id: str) -> UploadJob:
    job = _jobs(request).get(job_id)
    # Someone else's upload is as good as missing: its name alone says something.
    if job is None or job.username != user.name:
        raise NotFound(
            "no upload in progress with that address; your organisation's loads are listed "
            "on the upload page"
        )
    return job


@pages.get("/uploads/jobs/{job_id}")
def upload_progress(request: Request, user: Uploader, job_id: str) -> Response:
    """How far the load has got (the page refreshes itself); at the end, the report."""
    job = _own_job(request, user, job_id)
    # Read once: the load runs in another thread, and a page that says "loading" must refresh.
    done = job.done
    if job.awaiting_decision:
        return RedirectResponse(f"/uploads/jobs/{job.id}/confirm", status_code=303)
    if done and job.kept_current:
        return render(
            request, "uploads/kept.html", user, title="The current version was kept", job=job
        )
    if done and job.dataset_version is not None:
        return RedirectResponse(f"/uploads/{job.dataset_version}", status_code=303)
    return render(
        request,
        "uploads/progress.html",
        user,
        status_code=422 if job.error else 200,
        title="Loading your extract" if not job.error else "The extract was not loaded",
        job=job,
        done=done,
        steps=len(UploadJob.STAGES),
    )


def _confirm_page(
    request: Request,
    user: Principal,
    job: UploadJob,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "uploads/confirm.html",
        user,
        status_code=status_code,
        title="Check before you replace your data",
        back_link=("/uploads", "Back to uploads"),
        job=job,
        preview=job.preview,
        errors=errors or {},
    )


@pages.get("/uploads/jobs/{job_id}/confirm")
def upload_confirm(request: Request, user: Uploader, job_id: str) -> Response:
    """The current version beside the new file: replace it, or keep it."""
    job = _own_job(request, user, job_id)
    if not job.awaiting_decision:
        return RedirectResponse(f"/uploads/jobs/{job.id}", status_code=303)
    return _confirm_page(request, user, job)


@pages.post("/uploads/jobs/{job_id}/confirm", dependencies=[CsrfChecked])
def upload_decide(
    request: Request,
    user: Uploader,
    settings: HubSettings,
    job_id: str,
    decision: Annotated[str, Form(max_length=16)] = "",
    checked: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Replace the current version with the new file, or keep it; a much smaller file needs
    the analyst to say they have checked it."""
    job = _own_job(request, user, job_id)
    if not job.awaiting_decision or job.preview is None:
        return RedirectResponse(f"/uploads/jobs/{job.id}", status_code=303)
    errors: dict[str, str] = {}
    if decision not in ("replace", "keep"):
        errors["decision"] = "Select whether to replace the current version or keep it"
    elif decision == "replace" and job.preview.hold is not None and checked != "yes":
        errors["checked"] = (
            "Confirm that you have checked the smaller file is right, or keep the current version"
        )
    if errors:
        return _confirm_page(request, user, job, errors, status_code=422)
    _jobs(request).decide(
        settings, job, replace=decision == "replace", accept_shrink=job.preview.hold is not None
    )
    return RedirectResponse(f"/uploads/jobs/{job.id}", status_code=303)


class UploadJobBody(BaseModel):
    """How far an upload's load has got, and how it ended."""

    job_id: str
    file: str
    source_type: str
    stage: str
    step: int
    steps: int
    done: bool
    awaiting_decision: bool
    dataset_version: int | None
    error: str | None


@api.get("/jobs/{job_id}", response_model=UploadJobBody)
def api_upload_progress(request: Request, caller: ApiUploader, job_id: str) -> UploadJobBody:
    """One of the caller's uploads loading in the background: its stage, or how it ended."""
    job = _own_job(request, caller, job_id)
    return UploadJobBody(
        job_id=job.id,
        file=job.file_name,
        source_type=job.source_type,
        stage=job.stage,
        step=job.step,
        steps=len(UploadJob.STAGES),
        done=job.done,
        awaiting_decision=job.awaiting_decision,
        dataset_version=job.dataset_version,
        error=job.error,
    )


@pages.get("/uploads/{dataset_version}")
def quarantine_report(
    request: Request, user: Uploader, settings: HubSettings, dataset_version: int
) -> Response:
    """One load of the organisation's: the counts, and every problem by row and field."""
    report = load_report(settings, user, dataset_version, REPORT_ROWS)
    return render(
        request,
        "uploads/report.html",
        user,
        title=f"Load of {report.file}",
        report=report,
        shown=REPORT_ROWS,
    )


@api.get("", response_model=list[LoadBody])
def api_loads(caller: ApiReader, settings: HubSettings) -> list[LoadBody]:
    """The organisation's loads, oldest first."""
    return [load_body(v) for v in own_loads(settings, caller)]


@api.get("/{dataset_version}", response_model=LoadReport)
def api_load_report(caller: ApiReader, settings: HubSettings, dataset_version: int) -> LoadReport:
    """One of the organisation's loads with its whole quarantine report."""
    return load_report(settings, caller, dataset_version, None)


@api.post("", response_model=LoadReport, status_code=201)
async def api_upload(
    caller: ApiUploader,
    engine: HubEngine,
    settings: HubSettings,
    source_type: Annotated[str, Form(max_length=64)],
    extract: Annotated[UploadFile, File(description="CSV, .xlsx or Parquet")],
    mapping_file: Annotated[UploadFile | None, File(description="mapping YAML")] = None,
    accept_shrink: Annotated[
        bool,
        Form(description="Replace the current version even if the new file is much smaller"),
    ] = False,
) -> LoadReport:
    """Load an extract as the caller's organisation and answer with its quarantine report.

    A file much smaller than the current version is refused (422, with the figures) unless
    ``accept_shrink`` says someone has checked it.
    """
    errors, staging, path, mapping = await _receive(
        settings, engine, caller, source_type, extract, mapping_file
    )
    if errors or staging is None or path is None:
        raise IngestError("; ".join(f"{k}: {v}" for k, v in errors.items()))
    try:
        # The load blocks for as long as it takes: off the event loop, like a sync route.
        report = await run_in_threadpool(
            partial(
                load_upload,
                settings,
                engine,
                path=path,
                username=caller.name,
                organisation=caller.organisation,
                source_type=source_type,
                mapping=mapping,
                accept_shrink=accept_shrink,
            )
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_report(settings, caller, report.dataset_version, None)
