"""The staff assistant API: ask a question, get text with tables and charts."""

from __future__ import annotations

from fastapi import APIRouter

from frontdesk.assistant import staff as service
from frontdesk.assistant.staff_schemas import StaffAnswer, StaffPersona, StaffQuestion
from frontdesk.auth.dependencies import Session, Subject

router = APIRouter(prefix="/api/v1/staff-assistant", tags=["staff-assistant"])


@router.get("", response_model=StaffPersona, summary="Who the staff assistant is for you, by your role")
async def read_staff_persona(subject: Subject) -> StaffPersona:
    return service.persona_info(subject)


@router.post("/ask", response_model=StaffAnswer, summary="Ask the staff assistant")
async def ask_staff_assistant(data: StaffQuestion, session: Session, subject: Subject) -> StaffAnswer:
    return await service.ask(session, subject, data.question)
