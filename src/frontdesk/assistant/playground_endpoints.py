"""The playground API: simulate, save test cases, run them as a batch, import and export."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from frontdesk.assistant import playground as service
from frontdesk.assistant import playground_io
from frontdesk.assistant import playground_schemas as schemas
from frontdesk.auth.dependencies import Session, Subject
from frontdesk.authz.service import require
from frontdesk.kit.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/playground", tags=["playground"])

PERMISSION = "assistants.manage"
Format = Annotated[Literal["json", "csv"], Query(description="`json` or `csv`.")]


@router.post("/run", response_model=schemas.PlayResult, summary="Play the customer: answer the turns (dry run)")
async def run_playground(data: schemas.PlayRequest, session: Session, subject: Subject) -> schemas.PlayResult:
    return await service.play(session, require(subject, PERMISSION), data)


@router.get("/cases", response_model=list[schemas.Case], summary="Saved test cases")
async def list_cases(session: Session, subject: Subject) -> list[schemas.Case]:
    return [service.to_case(c) for c in await service.list_cases(session, require(subject, PERMISSION))]


@router.post("/cases", response_model=schemas.Case, status_code=201, summary="Save a test case")
async def create_case(data: schemas.CaseCreate, session: Session, subject: Subject) -> schemas.Case:
    return service.to_case(await service.create_case(session, require(subject, PERMISSION), subject, data))


def _download(body: str, fmt: str, name: str) -> Response:
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/cases/export", summary="Export every test case as JSON or CSV")
async def export_cases(session: Session, subject: Subject, format: Format = "json") -> Response:
    cases = await playground_io.export_cases(session, require(subject, PERMISSION))
    body = playground_io.to_csv(cases) if format == "csv" else playground_io.to_json(cases)
    return _download(body, format, "test-cases")


@router.post(
    "/cases/import",
    response_model=schemas.ImportReport,
    summary="Import test cases from a JSON or CSV file (multipart `file`) or a JSON body",
)
async def import_cases(
    request: Request, session: Session, subject: Subject, file: Annotated[UploadFile | None, File()] = None
) -> schemas.ImportReport:
    scope = require(subject, PERMISSION)
    if file is not None:
        raw = await file.read(playground_io.MAX_IMPORT_BYTES + 1)
        name = (file.filename or "").lower()
        fmt = "csv" if name.endswith(".csv") or (file.content_type or "").startswith("text/csv") else "json"
    else:
        raw = await request.body()
        fmt = "csv" if request.headers.get("content-type", "").startswith("text/csv") else "json"
    if not raw.strip():
        raise ValidationFailed("The file is empty.", code="import_empty")
    return await playground_io.import_cases(session, scope, subject, raw=raw, fmt=fmt)


@router.get("/cases/{case_id}", response_model=schemas.Case, summary="One test case")
async def read_case(case_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Case:
    return service.to_case(await service.get_case(session, require(subject, PERMISSION), case_id))


@router.patch("/cases/{case_id}", response_model=schemas.Case, summary="Change a test case")
async def update_case(case_id: uuid.UUID, data: schemas.CaseUpdate, session: Session, subject: Subject) -> schemas.Case:
    return service.to_case(await service.update_case(session, require(subject, PERMISSION), case_id, data))


@router.delete("/cases/{case_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a test case")
async def delete_case(case_id: uuid.UUID, session: Session, subject: Subject) -> Response:
    await service.delete_case(session, require(subject, PERMISSION), case_id)
    return Response(status_code=204)


@router.post("/runs", response_model=schemas.Run, status_code=202, summary="Run test cases as a batch")
async def start_run(data: schemas.RunCreate, session: Session, subject: Subject) -> schemas.Run:
    return service.to_run(await service.start_run(session, require(subject, PERMISSION), subject, data))


@router.get("/runs", response_model=list[schemas.Run], summary="Recent batch runs, newest first")
async def list_runs(session: Session, subject: Subject) -> list[schemas.Run]:
    return [service.to_run(r) for r in await service.list_runs(session, require(subject, PERMISSION))]


@router.get("/runs/{run_id}", response_model=schemas.Run, summary="A batch run: progress and report")
async def read_run(run_id: uuid.UUID, session: Session, subject: Subject) -> schemas.Run:
    return service.to_run(await service.get_run(session, require(subject, PERMISSION), run_id))


@router.get(
    "/conversations/{conversation_id}/export", summary="Export a real conversation as a test case (JSON or CSV)"
)
async def export_conversation(
    conversation_id: uuid.UUID, session: Session, subject: Subject, format: Format = "json"
) -> Response:
    require(subject, PERMISSION)
    cases = await playground_io.export_conversation(session, require(subject, "conversations.read"), conversation_id)
    body = playground_io.to_csv(cases) if format == "csv" else playground_io.to_json(cases)
    return _download(body, format, f"conversation-{str(conversation_id)[:8]}")
