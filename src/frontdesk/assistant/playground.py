"""The playground: a manager plays the customer against any assistant, and keeps what works as tests.

A simulated exchange lives in the page, not in the database: each call sends the turns so far and
gets them back with fresh answers (:func:`play`). Editing or deleting a message is a call with
``rerun_from`` at that message: everything before it stays, every customer turn from there on is
answered again. Nothing real is touched: the runner gets no conversation and no contact, so tools
run dry and what they would have done is shown as tool calls.

Saved test cases (:class:`PlaygroundCase`) hold the turns and what the last answer should be; a
batch run (:class:`PlaygroundRun`) answers each again in a job and records a pass/fail report with
progress as it goes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import copilot_bridge as bridge
from frontdesk.assistant import playground_schemas as schemas
from frontdesk.assistant.playground_models import PlaygroundCase, PlaygroundRun
from frontdesk.authz.service import OrgScope
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import NotFound, ValidationFailed
from frontdesk.kit.jobs import enqueue

if TYPE_CHECKING:
    from frontdesk.assistant.models import Assistant

BATCH_JOB = "assistant.playground_batch"
MAX_CASES_PER_RUN = 1000


def _now(session: AsyncSession) -> datetime:
    return bridge.runtime_of(session).clock.now()


async def pick_assistant(
    session: AsyncSession, organization_id: uuid.UUID, assistant_id: uuid.UUID | None
) -> Assistant:
    if assistant_id is not None:
        return await bridge.get_assistant(session, organization_id, assistant_id)
    usable = [a for a in await bridge.list_assistants(session, organization_id) if a.enabled and not a.is_router]
    return usable[0] if usable else bridge.default_assistant(organization_id)


async def _answer(session: AsyncSession, assistant: Assistant, turns: list[schemas.PlayTurn]) -> dict[str, Any]:
    pairs = [(t.role, t.text) for t in turns]
    result = await bridge.answer(session, assistant, bridge.turns_of(pairs))
    return {"text": result.text, "ai": bridge.answer_meta(result)}


async def play(session: AsyncSession, scope: OrgScope, data: schemas.PlayRequest) -> schemas.PlayResult:
    assistant = await pick_assistant(session, scope.organization_id, data.assistant_id)
    start = data.rerun_from
    if start is None:
        # No edit: answer only a trailing customer turn (the manager's newest message).
        start = len(data.turns) - 1 if data.turns[-1].role == "customer" else len(data.turns)
    if start > len(data.turns):
        raise ValidationFailed("rerun_from is past the last turn.", code="invalid_rerun_from")
    out = list(data.turns[:start])
    for turn in data.turns[start:]:
        if turn.role != "customer":
            continue  # the assistant's old answers from the edit on are replaced, not kept
        if not turn.text.strip():
            continue  # an emptied message is a deleted one
        out.append(schemas.PlayTurn(role="customer", text=turn.text))
        answered = await _answer(session, assistant, out)
        out.append(schemas.PlayTurn(role="assistant", text=answered["text"], ai=answered["ai"]))
    return schemas.PlayResult(assistant_id=assistant.id, assistant_name=assistant.name, turns=out)


# ---------------------------------------------------------------- saved test cases


def to_case(row: PlaygroundCase) -> schemas.Case:
    return schemas.Case.model_validate(row, from_attributes=True)


def _turns_json(turns: list[schemas.PlayTurn]) -> list[dict[str, Any]]:
    return [{"role": t.role, "text": t.text, **({"ai": t.ai} if t.ai else {})} for t in turns]


def _check_turns(turns: list[schemas.PlayTurn]) -> None:
    if not any(t.role == "customer" and t.text.strip() for t in turns):
        raise ValidationFailed("A test case needs at least one customer message.", code="case_without_customer")


async def _own_assistant(session: AsyncSession, scope: OrgScope, assistant_id: uuid.UUID | None) -> None:
    if assistant_id is not None:
        await bridge.get_assistant(session, scope.organization_id, assistant_id)


async def create_case(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.CaseCreate
) -> PlaygroundCase:
    _check_turns(data.turns)
    await _own_assistant(session, scope, data.assistant_id)
    row = PlaygroundCase(
        organization_id=scope.organization_id,
        name=data.name.strip(),
        assistant_id=data.assistant_id,
        turns=_turns_json(data.turns),
        expected_intent=(data.expected_intent or "").strip() or None,
        expected_contains=[c for c in (s.strip() for s in data.expected_contains) if c],
        expected_escalate=data.expected_escalate,
        created_by=subject.user_id,
        created_at=_now(session),
    )
    session.add(row)
    await session.flush()
    return row


async def get_case(session: AsyncSession, scope: OrgScope, case_id: uuid.UUID) -> PlaygroundCase:
    row = await session.scalar(
        select(PlaygroundCase).where(
            PlaygroundCase.id == case_id, PlaygroundCase.organization_id == scope.organization_id
        )
    )
    if row is None:
        raise NotFound("There is no such test case.", code="case_not_found")
    return row


async def list_cases(session: AsyncSession, scope: OrgScope) -> list[PlaygroundCase]:
    rows = await session.scalars(
        select(PlaygroundCase)
        .where(PlaygroundCase.organization_id == scope.organization_id)
        .order_by(PlaygroundCase.name, PlaygroundCase.id)
    )
    return list(rows)


async def update_case(
    session: AsyncSession, scope: OrgScope, case_id: uuid.UUID, data: schemas.CaseUpdate
) -> PlaygroundCase:
    row = await get_case(session, scope, case_id)
    sent = data.model_fields_set
    if data.name is not None:
        row.name = data.name.strip()
    if "assistant_id" in sent:
        await _own_assistant(session, scope, data.assistant_id)
        row.assistant_id = data.assistant_id
    if data.turns is not None:
        _check_turns(data.turns)
        row.turns = _turns_json(data.turns)
    if "expected_intent" in sent:
        row.expected_intent = (data.expected_intent or "").strip() or None
    if data.expected_contains is not None:
        row.expected_contains = [c for c in (s.strip() for s in data.expected_contains) if c]
    if "expected_escalate" in sent:
        row.expected_escalate = data.expected_escalate
    row.updated_at = _now(session)
    return row


async def delete_case(session: AsyncSession, scope: OrgScope, case_id: uuid.UUID) -> None:
    await session.delete(await get_case(session, scope, case_id))


# ---------------------------------------------------------------- judging and batch runs


def judge(case: PlaygroundCase, text: str, ai: dict[str, Any]) -> dict[str, Any]:
    """Compare one answer with the case's expectations; every expectation set must hold."""
    checks = []
    if case.expected_intent:
        actual = ai.get("intent")
        ok = (actual or "").strip().lower() == case.expected_intent.strip().lower()
        checks.append({"check": "intent", "expected": case.expected_intent, "actual": actual, "passed": ok})
    for needle in case.expected_contains or []:
        ok = needle.lower() in text.lower()
        checks.append({"check": "contains", "expected": needle, "actual": ok, "passed": ok})
    if case.expected_escalate is not None:
        actual_escalate = bool(ai.get("escalate"))
        checks.append(
            {
                "check": "escalate",
                "expected": case.expected_escalate,
                "actual": actual_escalate,
                "passed": actual_escalate == case.expected_escalate,
            }
        )
    return {"passed": all(c["passed"] for c in checks), "checks": checks}


def judged_turns(case: PlaygroundCase) -> list[schemas.PlayTurn]:
    """The case's turns up to and including its last customer turn: the answer to that is judged."""
    turns = [schemas.PlayTurn.model_validate(t) for t in case.turns]
    last = max(i for i, t in enumerate(turns) if t.role == "customer")
    return turns[: last + 1]


async def run_case(session: AsyncSession, case: PlaygroundCase, assistant_id: uuid.UUID | None) -> dict[str, Any]:
    base = {"case_id": str(case.id), "name": case.name}
    try:
        assistant = await pick_assistant(session, case.organization_id, assistant_id or case.assistant_id)
        answered = await _answer(session, assistant, judged_turns(case))
    except NotFound as exc:
        return {**base, "passed": False, "checks": [], "error": exc.message, "answer": "", "ai": {}}
    verdict = judge(case, answered["text"], answered["ai"])
    return {**base, **verdict, "answer": answered["text"], "ai": answered["ai"], "assistant": assistant.name}


def to_run(row: PlaygroundRun) -> schemas.Run:
    return schemas.Run.model_validate(row, from_attributes=True)


async def start_run(
    session: AsyncSession, scope: OrgScope, subject: AuthSubject, data: schemas.RunCreate
) -> PlaygroundRun:
    await _own_assistant(session, scope, data.assistant_id)
    cases = await list_cases(session, scope)
    if data.case_ids:
        wanted = {str(i) for i in data.case_ids}
        cases = [c for c in cases if str(c.id) in wanted]
        if len(cases) != len(wanted):
            raise NotFound("Some of those test cases do not exist.", code="case_not_found")
    if not cases:
        raise ValidationFailed("There are no test cases to run yet: save one from the playground.", code="no_cases")
    if len(cases) > MAX_CASES_PER_RUN:
        raise ValidationFailed(f"A run takes at most {MAX_CASES_PER_RUN} cases.", code="too_many_cases")
    run = PlaygroundRun(
        organization_id=scope.organization_id,
        assistant_id=data.assistant_id,
        status="queued",
        case_ids=[str(c.id) for c in cases],
        total=len(cases),
        done=0,
        passed=0,
        failed=0,
        results=[],
        error="",
        created_by=subject.user_id,
        created_at=_now(session),
    )
    session.add(run)
    await session.flush()
    enqueue(
        session,
        BATCH_JOB,
        {"run_id": str(run.id)},
        organization_id=scope.organization_id,
        dedupe_key=f"playground:{run.id}",
    )
    return run


async def get_run(session: AsyncSession, scope: OrgScope, run_id: uuid.UUID) -> PlaygroundRun:
    row = await session.scalar(
        select(PlaygroundRun).where(PlaygroundRun.id == run_id, PlaygroundRun.organization_id == scope.organization_id)
    )
    if row is None:
        raise NotFound("There is no such run.", code="run_not_found")
    return row


async def list_runs(session: AsyncSession, scope: OrgScope, *, limit: int = 20) -> list[PlaygroundRun]:
    rows = await session.scalars(
        select(PlaygroundRun)
        .where(PlaygroundRun.organization_id == scope.organization_id)
        .order_by(PlaygroundRun.created_at.desc(), PlaygroundRun.id.desc())
        .limit(limit)
    )
    return list(rows)


async def advance_run(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """Run the next case of a batch and record it; False when the run is finished (or gone).

    One case per transaction, so progress shows while the batch runs and a retried job resumes
    where the last one stopped instead of starting over.
    """
    run = await session.get(PlaygroundRun, run_id, with_for_update=True)
    if run is None or run.status in ("done", "failed"):
        return False
    done_ids = {r["case_id"] for r in run.results}
    pending = [c for c in run.case_ids if c not in done_ids]
    if not pending:
        run.status = "done"
        run.finished_at = _now(session)
        return False
    run.status = "running"
    case = await session.scalar(
        select(PlaygroundCase).where(
            PlaygroundCase.id == uuid.UUID(pending[0]), PlaygroundCase.organization_id == run.organization_id
        )
    )
    if case is None:
        result: dict[str, Any] = {
            "case_id": pending[0],
            "name": "(deleted)",
            "passed": False,
            "checks": [],
            "error": "The case was deleted during the run.",
        }
    else:
        result = await run_case(session, case, run.assistant_id)
        case.last_result = {k: result[k] for k in ("passed", "checks", "answer") if k in result} | {
            "run_id": str(run.id),
            "at": _now(session).isoformat(),
        }
    run.results = [*run.results, result]
    run.done = len(run.results)
    run.passed = sum(1 for r in run.results if r.get("passed"))
    run.failed = run.done - run.passed
    if run.done >= run.total:
        run.status = "done"
        run.finished_at = _now(session)
        return False
    return True
