"""Agreements for IG leads: list, view, upload a new version (errors in GOV.UK style), suspend.

An IG lead sees and changes only the agreements their organisation is party to (as provider
or recipient); the hub administrator sees every one and changes none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from sharewell.agreements import (
    Agreement,
    Problem,
    StoredAgreement,
    add_agreement,
    agreement_history,
    check_agreement,
    current_agreements,
    effective_status,
    get_agreement,
    known_organisations,
    parse_agreement,
    suspend_agreement,
)
from sharewell.errors import AccessDenied, AgreementError, NotFound
from sharewell.web.deps import CsrfChecked, HubEngine, api_permission, page_permission
from sharewell.web.roles import Principal
from sharewell.web.templating import render

__all__ = ["api", "pages"]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])

Reader = Annotated[Principal, Depends(page_permission("agreements.read"))]
Changer = Annotated[Principal, Depends(page_permission("agreements.change"))]
ApiReader = Annotated[Principal, Depends(api_permission("agreements.read"))]
ApiChanger = Annotated[Principal, Depends(api_permission("agreements.change"))]

# An agreement is a page or two of YAML; anything far larger is not one.
MAX_UPLOAD_BYTES = 256 * 1024


def parties(agreement: Agreement) -> set[str]:
    """Every organisation named as provider or recipient."""
    return {p.organisation for p in agreement.providers} | {
        r.organisation for r in agreement.recipients
    }


def visible_to(principal: Principal, agreement: Agreement) -> bool:
    """Whether ``principal`` may see the agreement: admin, or their organisation is party."""
    return principal.sees_every_organisation or principal.organisation in parties(agreement)


def _visible_history(engine: Any, principal: Principal, agreement_id: str) -> list[StoredAgreement]:
    history = agreement_history(engine, agreement_id)
    if not visible_to(principal, history[-1].agreement):
        raise AccessDenied(
            f"your organisation ({principal.organisation}) is not party to agreement {agreement_id}"
        )
    return history


def _today() -> datetime:
    return datetime.now(UTC)


@pages.get("/agreements")
def agreement_list(request: Request, engine: HubEngine, user: Reader) -> Response:
    """The agreements the user's organisation is party to, with their status today."""
    rows = [
        (a, effective_status(a, _today()))
        for a in current_agreements(engine)
        if visible_to(user, a)
    ]
    return render(request, "agreements/list.html", user, title="Data sharing agreements", rows=rows)


def _upload_page(
    request: Request, user: Principal, problems: list[Problem], status_code: int = 200
) -> Response:
    return render(
        request,
        "agreements/upload.html",
        user,
        status_code=status_code,
        title="Upload an agreement",
        problems=problems,
    )


@pages.get("/agreements/upload")
def agreement_upload_form(request: Request, user: Changer) -> Response:
    """The form to upload a new agreement, or a new version of one."""
    return _upload_page(request, user, [])


def _problem(file: str, message: str, fix: str, key: str = "(file)") -> Problem:
    return Problem(file, key, message, fix)


def _check_upload(
    engine: Any, user: Principal, filename: str, content: bytes
) -> tuple[Agreement | None, list[Problem]]:
    if not content:
        return None, [_problem(filename, "the file is empty", "choose the agreement YAML file")]
    if len(content) > MAX_UPLOAD_BYTES:
        return None, [
            _problem(
                filename,
                f"the file is {len(content):,} bytes, more than an agreement needs",
                f"upload the agreement YAML only (at most {MAX_UPLOAD_BYTES // 1024} KB)",
            )
        ]
    try:
        raw = yaml.safe_load(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [_problem(filename, "not a text file", "save the agreement as UTF-8 YAML")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return None, [
            _problem(filename, f"not valid YAML{where}", "fix the indentation or quoting there")
        ]
    agreement, problems = parse_agreement(raw, filename)
    if agreement is None:
        return None, problems
    problems = check_agreement(agreement, filename, organisations=known_organisations(engine))
    if user.organisation not in parties(agreement):
        problems.append(
            _problem(
                filename,
                f"your organisation ({user.organisation}) is not a provider or recipient",
                "ask the IG lead of an organisation party to the agreement to upload it",
                key="providers",
            )
        )
    try:
        existing = agreement_history(engine, agreement.id)[-1].agreement
    except NotFound:
        existing = None
    if existing is not None and user.organisation not in parties(existing):
        problems.append(
            _problem(
                filename,
                f"agreement {agreement.id} already exists and your organisation is not party to it",
                "choose a different id for a new agreement",
                key="id",
            )
        )
    return agreement, problems


@pages.post("/agreements/upload", dependencies=[CsrfChecked])
async def agreement_upload(
    request: Request,
    engine: HubEngine,
    user: Changer,
    agreement_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Check an uploaded agreement; store it, or show every problem in an error summary."""
    if agreement_file is None or not agreement_file.filename:
        problems = [_problem("(no file)", "no file was chosen", "choose the agreement YAML file")]
        return _upload_page(request, user, problems, status_code=422)
    filename = agreement_file.filename
    content = await agreement_file.read(MAX_UPLOAD_BYTES + 1)
    agreement, problems = _check_upload(engine, user, filename, content)
    if agreement is None or problems:
        return _upload_page(request, user, problems, status_code=422)
    try:
        add_agreement(engine, agreement, actor=user.name, source_file=f"web upload: {filename}")
    except AgreementError as exc:
        # A version clash: the content differs from the stored version of the same number.
        message, _, fix = str(exc).split(": version: ", 1)[-1].partition(" — fix: ")
        problem = _problem(filename, message, fix or "give the change a new version", "version")
        return _upload_page(request, user, [problem], status_code=422)
    return RedirectResponse(f"/agreements/{agreement.id}", status_code=303)


@pages.get("/agreements/{agreement_id}")
def agreement_view(
    request: Request,
    engine: HubEngine,
    user: Reader,
    agreement_id: str,
    version: int | None = None,
) -> Response:
    """One agreement (newest version unless ``version``), its parties, grants and history."""
    history = _visible_history(engine, user, agreement_id)
    shown = get_agreement(engine, agreement_id, version)
    return render(
        request,
        "agreements/view.html",
        user,
        title=shown.agreement.title,
        stored=shown,
        agreement=shown.agreement,
        status=effective_status(shown.agreement, _today()),
        history=history,
        newest=history[-1].agreement.version,
        may_change=user.may("agreements.change"),
        errors={},
    )


@pages.post("/agreements/{agreement_id}/suspend", dependencies=[CsrfChecked])
def agreement_suspend(
    request: Request,
    engine: HubEngine,
    user: Changer,
    agreement_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Suspend an agreement at once (a new version with status suspended); needs a reason."""
    history = _visible_history(engine, user, agreement_id)
    if not reason.strip():
        newest = history[-1]
        return render(
            request,
            "agreements/view.html",
            user,
            status_code=422,
            title=newest.agreement.title,
            stored=newest,
            agreement=newest.agreement,
            status=effective_status(newest.agreement, _today()),
            history=history,
            newest=newest.agreement.version,
            may_change=True,
            errors={"reason": "Enter why the agreement is being suspended"},
        )
    suspend_agreement(engine, agreement_id, actor=user.name, reason=reason.strip())
    return RedirectResponse(f"/agreements/{agreement_id}", status_code=303)


class AgreementSummary(BaseModel):
    """One agreement's newest version in brief."""

    id: str
    version: int
    title: str
    status: str
    status_today: str
    purposes: list[str]
    providers: list[str]
    recipients: list[str]


class AgreementVersions(BaseModel):
    """An agreement's newest version in full, and the versions stored."""

    agreement: Agreement
    versions: list[int]
    status_today: str


@api.get("", response_model=list[AgreementSummary])
def api_agreements(engine: HubEngine, caller: ApiReader) -> list[AgreementSummary]:
    """The agreements the caller's organisation is party to (every one, for the admin)."""
    return [
        AgreementSummary(
            id=a.id,
            version=a.version,
            title=a.title,
            status=a.status,
            status_today=effective_status(a, _today()),
            purposes=list(a.purposes),
            providers=[p.organisation for p in a.providers],
            recipients=[r.organisation for r in a.recipients],
        )
        for a in current_agreements(engine)
        if visible_to(caller, a)
    ]


@api.get("/{agreement_id}", response_model=AgreementVersions)
def api_agreement(engine: HubEngine, caller: ApiReader, agreement_id: str) -> AgreementVersions:
    """One agreement's newest version, if the caller's organisation is party to it."""
    return _versions(engine, caller, agreement_id)


def _versions(engine: Any, caller: Principal, agreement_id: str) -> AgreementVersions:
    history = _visible_history(engine, caller, agreement_id)
    newest = history[-1].agreement
    return AgreementVersions(
        agreement=newest,
        versions=[s.agreement.version for s in history],
        status_today=effective_status(newest, _today()),
    )


@api.post("", response_model=AgreementVersions, status_code=201)
async def api_agreement_upload(
    engine: HubEngine,
    caller: ApiChanger,
    agreement_file: Annotated[UploadFile, File(description="the agreement as YAML")],
) -> AgreementVersions:
    """Check and store an agreement (or a new version); every problem named if refused."""
    filename = agreement_file.filename or "agreement.yaml"
    content = await agreement_file.read(MAX_UPLOAD_BYTES + 1)
    agreement, problems = _check_upload(engine, caller, filename, content)
    if agreement is None or problems:
        raise AgreementError(
            "; ".join(f"{p.key}: {p.message} — fix: {p.fix}" for p in problems)
            or f"{filename} is not an agreement"
        )
    add_agreement(engine, agreement, actor=caller.name, source_file=f"api upload: {filename}")
    return _versions(engine, caller, agreement.id)


class SuspendBody(BaseModel):
    """Why an agreement is being suspended."""

    reason: str = Field(min_length=1, max_length=500)


@api.post("/{agreement_id}/suspend", response_model=AgreementVersions)
def api_agreement_suspend(
    engine: HubEngine, caller: ApiChanger, agreement_id: str, body: SuspendBody
) -> AgreementVersions:
    """Suspend an agreement at once: a new version with status suspended, and the reason."""
    _visible_history(engine, caller, agreement_id)
    if not body.reason.strip():
        raise AgreementError("say why the agreement is being suspended (reason)")
    suspend_agreement(engine, agreement_id, actor=caller.name, reason=body.reason.strip())
    return _versions(engine, caller, agreement_id)
