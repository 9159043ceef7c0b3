"""Tables of this domain.

A flow's draft is free-form JSON the editor may leave half-finished; a published version is an
immutable copy that has passed validation. Executions point at the version they started on, so
publishing or restoring never changes a conversation that is already running.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.kit.models import Base, IdMixin, JSONType, TenantMixin, TimestampMixin


class Flow(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flows"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Empty means every inbox of the organization.
    inbox_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    allow_concurrent: Mapped[bool] = mapped_column(default=False)
    # No foreign key: flows and versions would reference each other; the service keeps it right.
    published_version_id: Mapped[uuid.UUID | None]
    latest_number: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]


class FlowVersion(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number"),)

    flow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    graph: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[uuid.UUID | None]


class FlowTemplate(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_templates"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    graph: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class FlowExecution(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_executions"
    __table_args__ = (
        Index("ix_flow_executions_flow_contact_status", "flow_id", "contact_id", "status"),
        Index("ix_flow_executions_contact_waiting", "contact_id", "waiting_for"),
    )

    flow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    # Null for a test run of the draft: its graph is copied into ``test_graph`` instead.
    version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("flow_versions.id", ondelete="SET NULL"))
    version_number: Mapped[int] = mapped_column(default=0)
    test_graph: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), index=True
    )
    # running, waiting, completed, failed, cancelled
    status: Mapped[str] = mapped_column(String(12), default="running")
    current_node: Mapped[str | None] = mapped_column(String(80))
    # input (an ask), time (a wait), human (a paused handoff); null while running or finished
    waiting_for: Mapped[str | None] = mapped_column(String(10))
    wait_until: Mapped[datetime | None]
    pending_input: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    retries: Mapped[int] = mapped_column(default=0)
    steps: Mapped[int] = mapped_column(default=0)
    depth: Mapped[int] = mapped_column(default=0)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class FlowStep(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_steps"
    __table_args__ = (Index("ix_flow_steps_execution_seq", "execution_id", "seq"),)

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flow_executions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    node_id: Mapped[str] = mapped_column(String(80))
    node_type: Mapped[str] = mapped_column(String(30))
    input: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    port: Mapped[str | None] = mapped_column(String(30))
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(default=0.0)


class FlowTrigger(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_triggers"
    __table_args__ = (Index("ix_flow_triggers_org_kind_active", "organization_id", "kind", "active"),)

    flow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flows.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))  # keyword, event, schedule
    active: Mapped[bool] = mapped_column(default=True)
    priority: Mapped[int] = mapped_column(default=0)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    fired_count: Mapped[int] = mapped_column(default=0)
    started_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    last_fired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class FlowTriggerFiring(Base, IdMixin, TimestampMixin, TenantMixin):
    __tablename__ = "flow_trigger_firings"
    __table_args__ = (Index("ix_flow_trigger_firings_trigger_created", "trigger_id", "created_at"),)

    trigger_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flow_triggers.id", ondelete="CASCADE"))
    contact_id: Mapped[uuid.UUID | None]
    execution_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str] = mapped_column(String(12))  # started, skipped, failed
    detail: Mapped[str] = mapped_column(Text, default="")
