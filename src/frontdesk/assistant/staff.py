"""The staff assistant: an internal helper whose persona and tools follow the person's role.

- owner and admin: settings and analytics ("how many escalations per day this month?"), plus
  everything agents get;
- agent: knowledge and conversation help (search the knowledge base, "what is in my queue?");
- viewer: read-only information (knowledge, conversation counts).

It runs as a pydantic-ai agent either way. With a language model configured for the organization,
the model chooses the tools; without one, :func:`offline_model` (a ``FunctionModel``) chooses by
simple rules on the question. The same tool functions run in both cases, so the same permission
checks apply. Tables and charts come back as blocks next to the text; charts are SVG drawn on the
server (``charts.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic_ai import Agent, Tool
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.assistant import staff_tools
from frontdesk.assistant.staff_schemas import StaffAnswer, StaffPersona
from frontdesk.authz.service import current_org, require_user
from frontdesk.authz.subject import AuthSubject
from frontdesk.kit.errors import Forbidden

log = structlog.get_logger("frontdesk.assistant.staff")


@dataclass(frozen=True)
class Persona:
    title: str
    intro: str
    tools: tuple[str, ...]
    examples: tuple[str, ...]


PERSONAS: dict[str, Persona] = {
    "owner": Persona(
        "Operations assistant",
        "I answer questions about your organization's settings and activity, and search the knowledge base.",
        ("conversation_stats", "settings_overview", "my_queue", "overview", "search_knowledge"),
        ("How many conversations and escalations per day in the last 14 days?", "Which inboxes do we have?"),
    ),
    "agent": Persona(
        "Agent helper",
        "I search the knowledge base for you and tell you what is in your queue.",
        ("search_knowledge", "my_queue", "overview"),
        ("What is in my queue?", "What is our refund policy?"),
    ),
    "viewer": Persona(
        "Read-only guide",
        "I answer from the knowledge base and show how many conversations there are; I change nothing.",
        ("search_knowledge", "overview"),
        ("How many conversations are open?", "What are the opening hours?"),
    ),
}
PERSONAS["admin"] = PERSONAS["owner"]

# Which tool a question is about, for the offline model. Checked in order; the first match wins.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "my_queue",
        re.compile(r"\b(my|mine|me)\b.*\b(queue|conversations?|chats?|assigned|open|waiting)\b|\bqueue\b", re.I),
    ),
    (
        "conversation_stats",
        re.compile(
            r"\b(per|by|each|a)\s+day\b|\bdaily\b|\bchart|\bgraph|\btrend|\bstat(s|istics)?\b|\banalytics\b|\bvolume\b"
            r"|\bescalat|\bhow many (messages|escalations|new conversations)\b|\blast \d+ days\b",
            re.I,
        ),
    ),
    (
        "settings_overview",
        re.compile(
            r"\bsettings?\b|\bconfigur|\binboxes\b|\bmembers?\b|\bassistants\b|\bproviders?\b|\bchannels?\b"
            r"|\bwho (works|is) here\b",
            re.I,
        ),
    ),
    (
        "overview",
        re.compile(r"\bhow many\b.*\bconversations?\b|\bconversations? (are|by) (open|status)|\bstatus(es)?\b", re.I),
    ),
)
_HELP = re.compile(r"^\s*(hi|hello|hey|help|what can you do|who are you)\b[\s?!.]*$", re.I)
_DAYS = re.compile(r"\b(\d{1,3})\s*days?\b", re.I)
_NEEDS = {
    "conversation_stats": "activity statistics are for owners and admins",
    "settings_overview": "settings are for owners and admins",
    "my_queue": "a personal queue is for people who answer conversations",
    "overview": "conversation counts need permission to read conversations",
}


def persona_for(role: str | None) -> Persona:
    return PERSONAS.get(role or "", PERSONAS["viewer"])


def _question(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""


def _days(question: str) -> int:
    match = _DAYS.search(question)
    if match:
        return int(match.group(1))
    if re.search(r"\bweek\b", question, re.I):
        return 7
    if re.search(r"\bmonth\b", question, re.I):
        return 30
    return 14


def offline_model(persona: Persona, role: str) -> FunctionModel:
    """Picks one tool by rules, then answers with what the tool returned."""

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        offered = {t.name for t in info.function_tools}
        last = messages[-1] if messages else None
        returns = [p for p in (last.parts if isinstance(last, ModelRequest) else []) if isinstance(p, ToolReturnPart)]
        if returns:
            return ModelResponse(parts=[TextPart("\n".join(str(p.content) for p in returns))])
        question = _question(messages)
        if _HELP.match(question) or not question.strip():
            examples = " ".join(f"“{e}”" for e in persona.examples)
            return ModelResponse(parts=[TextPart(f"{persona.intro} Try: {examples}")])
        wanted = next((tool for tool, rule in _RULES if rule.search(question)), "search_knowledge")
        if wanted not in offered:
            reason = _NEEDS.get(wanted, "that is outside what your role can see")
            can = ", ".join(n.replace("_", " ") for n in persona.tools if n in offered) or "nothing yet"
            return ModelResponse(
                parts=[
                    TextPart(f"I cannot show that to you: {reason}, and your role is {role}. I can help with: {can}.")
                ]
            )
        args: dict[str, Any] = {}
        if wanted == "conversation_stats":
            args = {"days": _days(question)}
        elif wanted == "search_knowledge":
            args = {"query": question}
        return ModelResponse(parts=[ToolCallPart(tool_name=wanted, args=args)])

    return FunctionModel(respond, model_name="staff-local")


async def llm_model(session: AsyncSession, organization_id: Any) -> Model | None:
    """The organization's language model chain for the staff assistant, or None to use the offline one.

    A failure to build it (a provider misconfigured) falls back to offline rather than failing the question.
    """
    try:
        from frontdesk.assistant.providers.registry import model_for_organization

        return await model_for_organization(session, session.info["runtime"], organization_id)
    except Exception:
        return None


async def ask(session: AsyncSession, subject: AuthSubject, question: str, *, model: Model | None = None) -> StaffAnswer:
    require_user(subject)
    org_id = current_org(subject)
    role = subject.memberships.get(org_id)
    if role is None:
        raise Forbidden("You do not belong to this organization.", code="permission_denied")
    persona = persona_for(role)
    runtime = session.info["runtime"]
    deps = staff_tools.StaffDeps(session=session, subject=subject, role=role, today=runtime.clock.now().date())
    chosen = model or await llm_model(session, org_id) or offline_model(persona, role)
    tools: list[Tool[staff_tools.StaffDeps]] = [Tool(staff_tools.TOOLS[name], takes_ctx=True) for name in persona.tools]
    agent: Agent[staff_tools.StaffDeps, str] = Agent(
        chosen,
        deps_type=staff_tools.StaffDeps,
        tools=tools,
        instructions=(
            f"You are the {persona.title} inside Frontdesk, talking to a signed-in {role}. {persona.intro} "
            "Answer only from what your tools return; if a tool cannot answer, say so. Be brief. "
            "Tables and charts from tools are shown to the person next to your answer."
        ),
    )
    try:
        result = await agent.run(question, deps=deps)
    except Exception as exc:
        # A model that fails, or insists on a tool this role does not have, gets no data and no crash.
        log.warning("staff_assistant_failed", error=repr(exc)[:300])
        return StaffAnswer(
            text="Sorry, I could not answer that. Try asking in other words.",
            blocks=[],
            role=role,
            persona=persona.title,
            tools_used=[],
            model=getattr(chosen, "model_name", "") or "",
        )
    return StaffAnswer(
        text=str(result.output),
        blocks=deps.blocks,
        role=role,
        persona=persona.title,
        tools_used=deps.used,
        model=getattr(chosen, "model_name", "") or "",
    )


def persona_info(subject: AuthSubject) -> StaffPersona:
    require_user(subject)
    role = subject.memberships.get(current_org(subject))
    persona = persona_for(role)
    return StaffPersona(role=role or "", title=persona.title, intro=persona.intro, examples=list(persona.examples))
