"""Tables of this domain: assistants, their versioned instruction layers, and each conversation's state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Assistant(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "assistants"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    # What this assistant is for: shown to people, and what the router reads to pick a specialist.
    description: Mapped[str] = mapped_column(Text, default="")
    # The current text; every change is also a row in ``assistant_instruction_versions``.
    instructions: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str] = mapped_column(String(40), default="local")
    model_name: Mapped[str] = mapped_column(String(120), default="local")
    temperature: Mapped[float] = mapped_column(default=0.2)
    language: Mapped[str] = mapped_column(String(16), default="en")
    confidence_threshold: Mapped[float] = mapped_column(default=0.5)
    tools: Mapped[list[str]] = mapped_column(JSONType, default=list)
    collection_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    inbox_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Routing: a message mentioning one of these goes to this assistant when several serve an inbox.
    routing_keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # A router answers nothing itself: it picks among the organization's specialists.
    is_router: Mapped[bool] = mapped_column(default=False)
    escalation_keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_bot_turns: Mapped[int] = mapped_column(default=8)
    max_frustration: Mapped[int] = mapped_column(default=2)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime | None]

    @property
    def model(self) -> str:
        """The model name, as the providers' registry reads it."""
        return self.model_name


class InstructionVersion(Base, IdMixin, TimestampMixin, TenantMixin):
    """One saved text of one instruction layer; the newest version of a layer is the one in use.

    ``scope`` is ``org`` (the organization's defaults, ``target`` empty), ``assistant`` or ``inbox``
    (``target`` is that row's id). Restoring writes a new version with the old text, so history only grows.
    """

    __tablename__ = "assistant_instruction_versions"
    __table_args__ = (
        UniqueConstraint("organization_id", "scope", "target", "version"),
        Index("ix_assistant_instruction_versions_layer", "organization_id", "scope", "target"),
    )

    scope: Mapped[str] = mapped_column(String(12))
    target: Mapped[str] = mapped_column(String(36), default="")
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(200), default="")
    restored_from: Mapped[int | None]


class ConversationState(Base, IdMixin, TimestampMixin, TenantMixin):
    """What the assistant keeps about one conversation: who holds it, its summary, its counters."""

    __tablename__ = "assistant_conversation_states"
    __table_args__ = (UniqueConstraint("conversation_id"),)

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    assistant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assistants.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")
    # How many messages the summary covers (oldest first), so it is extended, not rewritten.
    summarized_count: Mapped[int] = mapped_column(default=0)
    bot_turns: Mapped[int] = mapped_column(default=0)
    frustration: Mapped[int] = mapped_column(default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime | None]


# The AI providers' tables (provider rows, budgets, usage) live in their own modules; importing them
# here puts them in the metadata wherever this domain's tables are (Alembic, tests).
import frontdesk.assistant.provider_models  # noqa: E402
import frontdesk.assistant.usage_models  # noqa: E402, F401
