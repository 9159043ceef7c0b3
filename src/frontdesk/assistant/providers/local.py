"""The offline ``local`` model: a pydantic-ai FunctionModel that behaves like a careful, small LLM.

It reads the same messages and tool definitions an LLM would and answers with the same kinds of
parts: tool calls first (search the knowledge base, capture a lead, find slots, book, escalate), then
text written from the tool results. It never follows instructions found in a customer's message or an
article: it only classifies text and quotes articles. Below the confidence threshold (which
``search_knowledge`` reports with its results) it escalates instead of guessing.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from frontdesk.assistant import intents

MODEL_NAME = "local"
MAX_ANSWER_CHARS = 1500
_SLOT_LINE = re.compile(r"^\s*(\d)\.\s.*\[(\d{4}-\d{2}-\d{2}T[\d:+\-.]+)\]", re.MULTILINE)


def _customer_text(messages: list[ModelMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart):
                    return part.content if isinstance(part.content, str) else " ".join(map(str, part.content))
    return ""


def _previous_answer(messages: list[ModelMessage]) -> str:
    """The assistant's last words before the current question (to read offered slots back)."""
    seen_prompt = False
    for message in reversed(messages):
        if isinstance(message, ModelRequest) and any(isinstance(p, UserPromptPart) for p in message.parts):
            if seen_prompt:
                continue
            seen_prompt = True
        elif isinstance(message, ModelResponse) and seen_prompt:
            return " ".join(p.content for p in message.parts if isinstance(p, TextPart))
    return ""


def _turn_results(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """Tool results since the customer's last message."""
    results: list[ToolReturnPart] = []
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            if any(isinstance(p, UserPromptPart) for p in message.parts):
                break
            results[:0] = [p for p in message.parts if isinstance(p, ToolReturnPart)]
    return results


def _content(part: ToolReturnPart) -> Any:
    value = part.content
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _call(name: str, args: dict[str, Any]) -> ModelResponse:
    return ModelResponse(parts=[ToolCallPart(name, args)], model_name=MODEL_NAME)


def _say(text: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(text)], model_name=MODEL_NAME)


def decide(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    tools = {t.name for t in info.function_tools}
    text = _customer_text(messages)
    results = _turn_results(messages)
    if results:
        return _after_tools(text, results, tools)
    kind = intents.classify(text)
    if kind == "human" and "escalate_to_human" in tools:
        return _call("escalate_to_human", {"reason": "customer_asked_for_person"})
    details = intents.contact_details(text)
    if details and "capture_lead" in tools:
        return _call("capture_lead", details)
    if "book_meeting" in tools:
        chosen = _chosen_slot(text, _previous_answer(messages))
        if chosen:
            return _call("book_meeting", {"start": chosen})
    if kind == "meeting" and "find_slots" in tools:
        return _call("find_slots", {})
    if kind in intents.SMALL_TALK:
        return _say(intents.SMALL_TALK[kind])
    if "search_knowledge" in tools and text.strip():
        return _call("search_knowledge", {"query": text[:500]})
    return _handover(tools, "no_knowledge")


def _handover(tools: set[str], reason: str) -> ModelResponse:
    if "escalate_to_human" in tools:
        return _call("escalate_to_human", {"reason": reason})
    return _say("I'm not sure about that one. Could you rephrase, or leave your email so our team can follow up?")


def _chosen_slot(text: str, previous: str) -> str | None:
    offered = dict(_SLOT_LINE.findall(previous))
    if not offered:
        return None
    pick = re.search(r"\b([1-9])\b", text)
    if pick and pick.group(1) in offered:
        return offered[pick.group(1)]
    return None


def _after_tools(text: str, results: list[ToolReturnPart], tools: set[str]) -> ModelResponse:
    called = {r.tool_name for r in results}
    last = results[-1]
    data = _content(last)
    error = data.get("error") if isinstance(data, dict) else None
    name = last.tool_name
    if name == "escalate_to_human":
        if "search_knowledge" in called:
            return _say("I don't have a reliable answer to that, so I'm passing you to a colleague who can help.")
        if "find_slots" in called or "book_meeting" in called:
            return _say("I can't book that myself right now, so I've asked our team to arrange a time with you.")
        return _say("Of course. I'm connecting you with a member of our team.")
    if name == "search_knowledge":
        if error or not isinstance(data, dict):
            return _handover(tools, "knowledge_unavailable")
        return _answer_from(data, tools)
    if name == "capture_lead":
        return _after_lead(text, data, tools, called)
    if name == "find_slots":
        if error:
            if error == "scheduling_not_configured" and "escalate_to_human" in tools:
                return _call("escalate_to_human", {"reason": "meeting_request"})
            return _say("I can't look up meeting times right now. Please leave your email and we'll get back to you.")
        slots = data.get("slots") or []
        if not slots:
            return _say("There are no free times in the coming days. Leave your email and we'll propose one.")
        lines = [f"{n}. {s['label']} [{s['start']}]" for n, s in enumerate(slots, start=1)]
        return _say("Here are the next free times:\n" + "\n".join(lines) + "\nReply with the number that suits you.")
    if name == "book_meeting":
        if error in ("email_required", "name_required", "invalid_email"):
            return _say("To book it I need your name and email address. Could you share them?")
        if error:
            return _say("I couldn't book that time. Would another of the offered times work?")
        return _say(f"You're booked for {data.get('start', 'the chosen time')}. An invitation is on its way to you.")
    if name == "resolve_conversation":
        return _say("Glad I could help!")
    if name == "transfer_to_assistant":
        return _say("I'm passing you to a colleague who knows this topic better.")
    return _say("Done.")


def _after_lead(text: str, data: Any, tools: set[str], called: set[str]) -> ModelResponse:
    if not isinstance(data, dict) or data.get("error"):
        return _say("Sorry, I couldn't save your details. Could you send them again?")
    saved = data.get("saved") or {}
    rejected = data.get("rejected") or {}
    kind = intents.classify(text)
    if kind == "meeting" and "find_slots" in tools and "find_slots" not in called:
        return _call("find_slots", {})
    name = saved.get("name")
    parts = [f"Thanks{', ' + name.split()[0] if name else ''}! I've noted your details."]
    if rejected:
        parts.append("Some of them didn't look right (" + ", ".join(sorted(rejected)) + "); could you check them?")
    else:
        parts.append("Someone from our team can follow up with you.")
    return _say(" ".join(parts))


def _answer_from(data: dict[str, Any], tools: set[str]) -> ModelResponse:
    results = data.get("results") or []
    conf = float(data.get("confidence") or 0.0)
    threshold = float(data.get("threshold") or 0.5)
    if results and data.get("ambiguous") and len(results) > 1 and conf < threshold + 0.2:
        return _say(f'Do you mean "{results[0]["title"]}" or "{results[1]["title"]}"?')
    if not results or conf < threshold:
        return _handover(tools, "low_confidence")
    body = (results[0].get("body") or results[0].get("title") or "").strip()
    if len(body) > MAX_ANSWER_CHARS:
        body = body[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + "…"
    return _say(body)


async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str | DeltaToolCalls]:
    """The same decision, delivered in pieces: text word by word, a tool call whole."""
    response = decide(messages, info)
    for part in response.parts:
        if isinstance(part, TextPart):
            words = re.findall(r"\S+\s*|\s+", part.content)
            for n in range(0, len(words), 4):
                yield "".join(words[n : n + 4])
        elif isinstance(part, ToolCallPart):
            yield {0: DeltaToolCall(name=part.tool_name, json_args=part.args_as_json_str(), tool_call_id=None)}


def local_model(assistant: Any = None) -> FunctionModel:
    """Built per run; holds no state, so every organization can share the code safely."""
    return FunctionModel(decide, stream_function=stream, model_name=MODEL_NAME)
