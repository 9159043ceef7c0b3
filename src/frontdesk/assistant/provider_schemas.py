"""API shapes of AI providers, AI settings and usage. Keys go in, never out: only a hint is returned."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ProviderKindName = Literal["openai", "anthropic", "google", "compatible", "external", "local"]
KeySource = Literal["stored", "environment", "none"]


class AiProvider(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: ProviderKindName
    base_url: str | None
    default_model: str
    timeout_seconds: float
    max_retries: int
    position: int
    enabled: bool
    options: dict[str, Any]
    api_key_hint: str | None = Field(description="The key's last characters, for telling keys apart.")
    key_source: KeySource = Field(description="Where the key comes from: stored (encrypted), the environment, none.")
    created_at: datetime
    updated_at: datetime | None


class AiProviderCreate(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    kind: ProviderKindName
    base_url: str | None = Field(default=None, max_length=2000)
    api_key: SecretStr | None = Field(default=None, description="Write-only; stored encrypted.")
    default_model: str = Field(default="", max_length=120)
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    position: int | None = Field(default=None, ge=0, le=1000)
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


class AiProviderUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    base_url: str | None = Field(default=None, max_length=2000)
    api_key: SecretStr | None = Field(default=None, description="Write-only; replaces the stored key.")
    clear_api_key: bool = Field(default=False, description="Forget the stored key (the environment's is used).")
    default_model: str | None = Field(default=None, max_length=120)
    timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    max_retries: int | None = Field(default=None, ge=0, le=10)
    position: int | None = Field(default=None, ge=0, le=1000)
    enabled: bool | None = None
    options: dict[str, Any] | None = None


class ProviderOrder(BaseModel):
    """The fallback order: these providers first, in this order; the local model always comes last."""

    ids: list[uuid.UUID] = Field(max_length=100)


class ConnectionTest(BaseModel):
    ok: bool
    provider: str
    kind: ProviderKindName
    model: str
    latency_ms: int
    reply: str | None = None
    error: str | None = None


class AiSettings(BaseModel):
    monthly_budget_usd: float | None
    spent_this_month_usd: float
    budget_exhausted: bool


class AiSettingsUpdate(BaseModel):
    monthly_budget_usd: float | None = Field(default=None, ge=0, le=1_000_000)


class UsageDay(BaseModel):
    day: date
    provider: str
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float


class UsageReport(BaseModel):
    since: date
    until: date
    days: list[UsageDay]
    total_requests: int
    total_input_tokens: int
    total_output_tokens: int
    total_cost_usd: float
