from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
DEFAULT_OPT_IN = ["START", "UNSTOP", "SUBSCRIBE"]


class WhatsAppSettings(BaseModel):
    """What an inbox's WhatsApp connection looks like from outside: secrets are never shown."""

    inbox_id: uuid.UUID
    phone_number_id: str
    waba_id: str
    verify_token: str
    has_access_token: bool
    has_app_secret: bool
    callback_url: str
    opt_out_keywords: list[str]
    opt_in_keywords: list[str]
    display_phone_number: str = ""
    verified_name: str = ""
    checked_at: datetime | None = None


class WhatsAppSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone_number_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_<>.-]+$")
    waba_id: str | None = Field(None, max_length=64)
    access_token: str | None = Field(None, min_length=1, max_length=1000, description="Stored encrypted; never shown.")
    app_secret: str | None = Field(None, min_length=1, max_length=200, description="Stored encrypted; never shown.")
    verify_token: str | None = Field(None, min_length=8, max_length=200)
    opt_out_keywords: list[str] | None = Field(None, max_length=30)
    opt_in_keywords: list[str] | None = Field(None, max_length=30)


class CredentialCheck(BaseModel):
    ok: bool
    display_phone_number: str = ""
    verified_name: str = ""
    error: str = ""


class Template(BaseModel):
    id: uuid.UUID
    name: str
    language: str
    status: str
    category: str
    components: list[dict[str, Any]]
    parameters: int = Field(description="How many body parameters ({{1}}, {{2}}...) the template expects.")
    synced_at: datetime


class TemplateSend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(min_length=2, max_length=16)
    parameters: list[str] = Field(default_factory=list, max_length=20)
    client_id: str | None = Field(None, max_length=64)


class WindowStatus(BaseModel):
    open: bool = Field(description="Whether free-form messages may be sent (the customer wrote in the last 24 hours).")
    closes_at: datetime | None
    opted_out: bool
