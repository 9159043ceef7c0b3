"""docs/configuration.md documents every setting, with the default the code really has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from frontdesk.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ROW = re.compile(r"^\|\s*`(FRONTDESK_[A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")


def documented() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in DOC.read_text().splitlines():
        match = ROW.match(line)
        if match:
            name, default, meaning = match.groups()
            assert name not in rows, f"{name} is documented twice"
            rows[name] = (default.strip("`"), meaning)
    return rows


def accepted_spellings(value: Any) -> set[str]:
    """How a default may be written in the doc."""
    if value is None:
        return {"(unset)"}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, list):
        return {json.dumps(value), json.dumps(value, separators=(",", ":"))}
    if isinstance(value, Path):
        text = str(value)
        return {text, f"./{text}"}
    if isinstance(value, float):
        return {repr(value)} | ({str(int(value))} if value.is_integer() else set())
    return {str(value)}


def test_every_setting_is_documented_with_its_default() -> None:
    rows = documented()
    missing, wrong_default, no_meaning = [], [], []
    for field_name, field in Settings.model_fields.items():
        env = f"FRONTDESK_{field_name.upper()}"
        if env not in rows:
            missing.append(env)
            continue
        default, meaning = rows[env]
        spellings = accepted_spellings(field.get_default(call_default_factory=True))
        if default not in spellings:
            wrong_default.append(f"{env}: doc says {default!r}, code has {sorted(spellings)}")
        if len(meaning) < 10:
            no_meaning.append(env)
    problems = []
    if missing:
        problems.append("Settings missing from docs/configuration.md:\n  " + "\n  ".join(missing))
    if wrong_default:
        problems.append("Defaults that differ from config.py:\n  " + "\n  ".join(wrong_default))
    if no_meaning:
        problems.append("Settings without an explanation:\n  " + "\n  ".join(no_meaning))
    assert not problems, "\n".join(problems)


def test_doc_lists_no_setting_that_does_not_exist() -> None:
    fields = {f"FRONTDESK_{name.upper()}" for name in Settings.model_fields}
    stale = sorted(set(documented()) - fields)
    assert not stale, f"docs/configuration.md documents settings config.py does not have: {stale}"


@pytest.mark.parametrize(
    ("env", "raw", "field", "expected"),
    [
        (
            "FRONTDESK_CORS_ORIGINS",
            '["https://a.example","https://b.example"]',
            "cors_origins",
            ["https://a.example", "https://b.example"],
        ),
        (
            "FRONTDESK_DATABASE_URL",
            "postgres://u:p@db/frontdesk",
            "database_url",
            "postgresql+asyncpg://u:p@db/frontdesk",
        ),
        ("FRONTDESK_LOG_JSON", "false", "log_json", False),
        ("frontdesk_port", "9001", "port", 9001),
    ],
)
def test_values_are_read_as_the_doc_says(
    monkeypatch: pytest.MonkeyPatch, env: str, raw: str, field: str, expected: Any
) -> None:
    monkeypatch.setenv(env, raw)
    assert getattr(Settings(_env_file=None), field) == expected  # type: ignore[call-arg]
