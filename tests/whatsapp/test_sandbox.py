"""The sandbox speaks Meta's shapes: its webhooks are checked against the corpus, its API through pywa."""

from __future__ import annotations

import json
from typing import Any

import pytest

from frontdesk.channels.whatsapp import parse
from frontdesk.channels.whatsapp.sandbox import Sandbox
from frontdesk.channels.whatsapp.signature import sign, valid
from tests.whatsapp.conftest import corpus


def shape(value: Any) -> Any:
    """Keys and value types, recursively; list items by their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def covers(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where our payload has a key or type the corpus payload does not."""
    if isinstance(ours, dict):
        if not isinstance(theirs, dict):
            return [f"{path}: object where the corpus has {theirs}"]
        out = []
        for key, sub in ours.items():
            if key not in theirs:
                out.append(f"{path}.{key}: not in the corpus")
            else:
                out += covers(sub, theirs[key], f"{path}.{key}")
        return out
    if isinstance(ours, list):
        return covers(ours[0], theirs[0], path + "[0]") if ours and theirs else []
    return [] if ours == theirs else [f"{path}: {ours} where the corpus has {theirs}"]


@pytest.mark.parametrize(
    ("made", "reference"),
    [
        ("customer", "message__text.json"),
        ("sent", "message_status__sent.json"),
        ("failed", "message_status__failed.json"),
    ],
)
def test_webhooks_have_the_corpus_shape(made: str, reference: str) -> None:
    sandbox = Sandbox()
    payload = {
        "customer": lambda: sandbox.customer_message("15550009999", "hi"),
        "sent": lambda: sandbox.status("wamid.x", "sent", "15550009999"),
        "failed": lambda: sandbox.status(
            "wamid.x", "failed", "15550009999", errors=[{"code": 131026, "title": "Message undeliverable"}]
        ),
    }[made]()
    theirs = shape(json.loads(corpus(reference)))
    assert covers(shape(payload), theirs) == []
    # And our own parser reads it.
    events, ignored = parse.events_for(payload, sandbox.phone_number_id)
    assert len(events) == 1 and not ignored


def test_signature_matches_the_published_recipe() -> None:
    body = corpus("message__text.json")
    header = sign("test_app_secret", body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert valid("test_app_secret", body, header)
    assert valid("test_app_secret", body, header.upper().replace("SHA256=", "sha256="))
    assert not valid("test_app_secret", body + b" ", header)
    assert not valid("other", body, header)
    assert not valid("test_app_secret", body, None)
    assert not valid("test_app_secret", body, header.removeprefix("sha256="))


def test_non_ascii_is_escaped_like_meta_does() -> None:
    sandbox = Sandbox()
    body, headers = sandbox.signed(sandbox.customer_message("1555", "äöå"))
    assert b"\\u00e4\\u00f6\\u00e5" in body
    assert valid(sandbox.app_secret, body, headers["X-Hub-Signature-256"])
