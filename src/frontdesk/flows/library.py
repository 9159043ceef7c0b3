"""Templates Frontdesk ships: lead capture, FAQ with handoff, appointment booking, NPS survey."""

from __future__ import annotations

from typing import Any


def _layout(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i, node in enumerate(nodes):
        node.setdefault("position", {"x": 80 + (i % 4) * 240, "y": 60 + (i // 4) * 160})
    return nodes


def _e(source: str, target: str, port: str = "next") -> dict[str, str]:
    return {"source": source, "target": target, "port": port}


LEAD_CAPTURE: dict[str, Any] = {
    "start": "hello",
    "nodes": _layout(
        [
            {
                "id": "hello",
                "type": "send_message",
                "text": 'Hi {{contact.first_name | default:"there"}}! Happy to help.',
            },
            {
                "id": "name",
                "type": "ask",
                "question": "What's your name?",
                "answer_type": "text",
                "store_in": "state.name",
            },
            {
                "id": "email",
                "type": "ask",
                "question": "Thanks {{state.name}}. What's your email?",
                "answer_type": "email",
                "store_in": "attribute.email",
                "retry_message": "That doesn't look like an email address. {{question}}",
            },
            {
                "id": "need",
                "type": "ask",
                "question": "What can we help you with?",
                "answer_type": "text",
                "store_in": "state.need",
            },
            {
                "id": "save",
                "type": "set_attribute",
                "key": "lead_need",
                "value_type": "string",
                "source": "template",
                "value": "{{state.need}}",
            },
            {
                "id": "thanks",
                "type": "end",
                "message": "Thanks {{state.name}}! Someone from our team will contact you soon.",
            },
        ]
    ),
    "edges": [_e("hello", "name"), _e("name", "email"), _e("email", "need"), _e("need", "save"), _e("save", "thanks")],
}

FAQ_HANDOFF: dict[str, Any] = {
    "start": "menu",
    "nodes": _layout(
        [
            {
                "id": "menu",
                "type": "ask",
                "question": "What would you like to know?",
                "answer_type": "choice",
                "store_in": "state.topic",
                "choices": [
                    {"id": "hours", "label": "Opening hours"},
                    {"id": "prices", "label": "Prices"},
                    {"id": "human", "label": "Talk to a person"},
                ],
            },
            {"id": "route", "type": "condition", "rules": [{"left": "state.topic", "op": "==", "right": "human"}]},
            {
                "id": "answer",
                "type": "ai_reply",
                "extra_instructions": "The customer picked the topic {{state.topic}}.",
            },
            {
                "id": "more",
                "type": "ask",
                "question": "Did that answer your question?",
                "answer_type": "yes_no",
                "store_in": "state.answered",
            },
            {"id": "done", "type": "condition", "rules": [{"left": "state.answered", "op": "==", "right": True}]},
            {"id": "bye", "type": "end", "message": "Glad I could help!"},
            {"id": "handoff", "type": "handoff", "reason": "faq_needs_person"},
        ]
    ),
    "edges": [
        _e("menu", "route"),
        _e("route", "handoff", "true"),
        _e("route", "answer", "false"),
        _e("answer", "more"),
        _e("answer", "handoff", "failure"),
        _e("answer", "handoff", "escalate"),
        _e("more", "done"),
        _e("done", "bye", "true"),
        _e("done", "handoff", "false"),
        _e("menu", "handoff", "invalid"),
    ],
}

APPOINTMENT: dict[str, Any] = {
    "start": "intro",
    "nodes": _layout(
        [
            {"id": "intro", "type": "send_message", "text": "Let's find you an appointment."},
            {
                "id": "day",
                "type": "ask",
                "question": "Which day suits you? (YYYY-MM-DD)",
                "answer_type": "date",
                "store_in": "state.day",
            },
            {
                "id": "slot",
                "type": "ask",
                "question": "Morning or afternoon?",
                "answer_type": "choice",
                "store_in": "state.slot",
                "choices": [{"id": "morning", "label": "Morning"}, {"id": "afternoon", "label": "Afternoon"}],
            },
            {
                "id": "phone",
                "type": "ask",
                "question": "What number can we reach you on?",
                "answer_type": "phone",
                "store_in": "attribute.phone",
            },
            {
                "id": "book",
                "type": "set_attribute",
                "key": "appointment_request",
                "value_type": "string",
                "source": "template",
                "value": "{{state.day}} {{state.slot}}",
            },
            {"id": "confirm", "type": "handoff", "reason": "appointment request {{state.day}} {{state.slot}}"},
        ]
    ),
    "edges": [_e("intro", "day"), _e("day", "slot"), _e("slot", "phone"), _e("phone", "book"), _e("book", "confirm")],
}

NPS: dict[str, Any] = {
    "start": "score",
    "nodes": _layout(
        [
            {
                "id": "score",
                "type": "ask",
                "question": "How likely are you to recommend us to a friend, from 0 to 10?",
                "answer_type": "number",
                "store_in": "state.score",
            },
            {
                "id": "save",
                "type": "set_attribute",
                "key": "nps_score",
                "value_type": "number",
                "source": "template",
                "value": "{{state.score}}",
            },
            {"id": "promoter", "type": "condition", "rules": [{"left": "state.score", "op": ">=", "right": 9}]},
            {"id": "thanks", "type": "end", "message": "Thank you! We're glad you're happy."},
            {
                "id": "why",
                "type": "ask",
                "question": "What could we do better?",
                "answer_type": "text",
                "store_in": "attribute.nps_feedback",
            },
            {"id": "bye", "type": "end", "message": "Thanks for telling us. We read every answer."},
        ]
    ),
    "edges": [
        _e("score", "save"),
        _e("save", "promoter"),
        _e("promoter", "thanks", "true"),
        _e("promoter", "why", "false"),
        _e("why", "bye"),
    ],
}

SHIPPED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "lead_capture": ("Lead capture", "Ask for name, email and need; store them on the contact.", LEAD_CAPTURE),
    "faq_handoff": (
        "FAQ with handoff",
        "A menu of topics answered by the assistant, with a way to a person.",
        FAQ_HANDOFF,
    ),
    "appointment_booking": ("Appointment booking", "Collect a day, a time of day and a phone number.", APPOINTMENT),
    "nps_survey": ("NPS survey", "Score from 0 to 10, with a follow-up question for detractors.", NPS),
}
