"""Recorded LLM API payloads from ``../shared/corpora/llm_api``, read at test time and shaped into replies.

Each :class:`Reply` is one HTTP answer: a JSON body for a plain request and, where the recording has
one, the SSE body for ``stream: true``. Derived replies keep a recording's envelope (ids, model,
fingerprint, event order, usage) and swap in other text, so scripted answers stay wire-exact.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "llm_api"
OPENAI = CORPUS / "openai_python"
ANTHROPIC = CORPUS / "anthropic_sdk_python"
CASSETTES = CORPUS / "pydantic_ai_cassettes"


@dataclass
class Reply:
    json: dict[str, Any] | None = None
    sse: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@cache
def _text(path: Path) -> str:
    return path.read_text()


def openai_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_text(OPENAI / "chat_completions_json" / f"{name}.json"))
    return data


def openai_sse(name: str) -> str:
    return _text(OPENAI / "chat_completions_sse" / f"{name}.sse.txt")


def anthropic_sse(name: str) -> str:
    return _text(ANTHROPIC / "messages_sse" / f"{name}.sse.txt")


def anthropic_exchanges(prefix: str) -> list[dict[str, Any]]:
    """The recorded (request, response) pairs of one anthropic-sdk test, in order."""
    (path,) = sorted((ANTHROPIC / "recorded_exchanges").glob(f"{prefix}__*.json"))[:1]
    data: list[dict[str, Any]] = json.loads(_text(path))
    return data


def cassette(vendor: str, name: str) -> list[dict[str, Any]]:
    """A pydantic-ai VCR cassette's interactions."""
    data = yaml.safe_load(_text(CASSETTES / vendor / f"{name}.yaml"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def cassette_replies(vendor: str, name: str) -> list[Reply]:
    """One reply per recorded turn; streamed turns carry SSE, the others JSON."""
    replies = []
    for interaction in cassette(vendor, name):
        response = interaction["response"]
        status = int(response["status"]["code"])
        if "parsed_body" in response:
            replies.append(Reply(json=response["parsed_body"], status=status))
        else:
            replies.append(Reply(sse=response["body"]["string"], status=status))
    return replies


def sse_data(body: str) -> list[Any]:
    """The ``data:`` payloads of an SSE body, decoded where they are JSON."""
    out: list[Any] = []
    for line in body.splitlines():
        if line.startswith("data:"):
            raw = line[5:].strip()
            out.append(raw if raw == "[DONE]" else json.loads(raw))
    return out


def _pieces(text: str) -> list[str]:
    """Split like a tokenizer would, roughly: words with their leading space, punctuation alone."""
    return re.findall(r"\s*[\w'\u2019]+|\s*[^\w\s]|\s+", text) or [text]


# ---------------------------------------------------------------- OpenAI chat completions


def openai_text(text: str) -> Reply:
    """A plain answer in the envelope of the recorded ``test_parse_nothing`` exchange."""
    body = copy.deepcopy(openai_json("test_parse_nothing"))
    body["choices"][0]["message"]["content"] = text
    chunks = sse_data(openai_sse("test_parse_nothing"))
    head, finish, usage = chunks[0], chunks[-3], chunks[-2]
    events = [head]
    for piece in _pieces(text):
        delta = copy.deepcopy(chunks[1])
        delta["choices"][0]["delta"] = {"content": piece}
        events.append(delta)
    events += [finish, usage]
    sse = "".join(f"data: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events) + "data: [DONE]\n\n"
    return Reply(json=body, sse=sse)


def openai_recorded_text() -> Reply:
    """The recorded answer itself, byte for byte."""
    return Reply(json=openai_json("test_parse_nothing"), sse=openai_sse("test_parse_nothing"))


# ---------------------------------------------------------------- Anthropic messages


def anthropic_text(text: str) -> Reply:
    """A plain answer in the envelope of the recorded final turn of ``test_basic_call_async``."""
    final = copy.deepcopy(anthropic_exchanges("test_runners__test_basic_call_async")[-1]["response"]["body"])
    final["content"] = [{"type": "text", "text": text}]
    events = []
    for block in anthropic_sse("basic_response").strip().split("\n\n"):
        event_line, data_line = block.split("\n", 1)
        events.append((event_line[len("event: ") :], json.loads(data_line[len("data: ") :])))
    out = []
    for name, data in events:
        if name == "content_block_delta":
            continue
        out.append((name, data))
        if name == "content_block_start":
            for piece in _pieces(text):
                out.append(
                    (
                        "content_block_delta",
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                    )
                )
    sse = "".join(f"event: {n}\ndata: {json.dumps(d, separators=(',', ':'))}\n\n" for n, d in out)
    return Reply(json=final, sse=sse)


def anthropic_message_as_sse(message: dict[str, Any]) -> str:
    """A recorded non-streamed message, re-sent as the event sequence the streaming API uses for it."""
    head = {k: v for k, v in message.items() if k not in {"content", "stop_reason", "stop_sequence"}}
    head.update({"content": [], "stop_reason": None, "stop_sequence": None})
    usage = dict(message.get("usage") or {})
    head["usage"] = {**usage, "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": head})]
    for index, block in enumerate(message.get("content", [])):
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
            )
            for piece in _pieces(block["text"]):
                events.append(
                    (
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
                    )
                )
        elif block["type"] == "tool_use":
            start = {**block, "input": {}}
            events.append(
                ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
            )
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": None},
                "usage": {"output_tokens": usage.get("output_tokens", 0)},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return "".join(f"event: {n}\ndata: {json.dumps(d, separators=(',', ':'))}\n\n" for n, d in events)


def openai_tool_call(name: str, arguments: dict[str, Any]) -> Reply:
    """A call of tool ``name`` in the envelope of the recorded ``test_parse_pydantic_tool`` exchange."""
    raw = json.dumps(arguments, separators=(",", ":"))
    body = copy.deepcopy(openai_json("test_parse_pydantic_tool"))
    call = body["choices"][0]["message"]["tool_calls"][0]
    call["function"] = {"name": name, "arguments": raw}
    chunks = sse_data(openai_sse("test_parse_pydantic_tool"))
    head, fragment, finish, usage = chunks[0], chunks[1], chunks[-3], chunks[-2]
    head = copy.deepcopy(head)
    head["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] = name
    events = [head]
    for start in range(0, len(raw), 8):
        piece = copy.deepcopy(fragment)
        piece["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"] = raw[start : start + 8]
        events.append(piece)
    events += [finish, usage]
    sse = "".join(f"data: {json.dumps(e, separators=(',', ':'))}\n\n" for e in events) + "data: [DONE]\n\n"
    return Reply(json=body, sse=sse)
