"""Audit trail (append-only), system log, the scheduler's heartbeat and inbound message log (R-1.9 to R-1.11)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.models.base import Model, created_at_column
from webapp.models.enums import AuditEvent, LogLevel, enum_type


class AuditEntry(Model):
    """One audited event. The database refuses UPDATE and DELETE (R-1.9.2).

    The refusal is a trigger on both databases, which a model cannot declare: it lives in
    migration 0001 (`create_audit_append_only`), and tests/integration/test_database_rules.py
    proves it on SQLite and PostgreSQL.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_time", "job_centre_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_centres.id", ondelete="RESTRICT"), index=True)
    occurred_at: Mapped[datetime] = created_at_column()
    event: Mapped[AuditEvent] = mapped_column(enum_type(AuditEvent))
    # Plain ids, no foreign keys: the trail outlives what it speaks of.
    user_id: Mapped[int | None] = mapped_column(index=True)
    user_name: Mapped[str | None] = mapped_column(String(120))
    booking_id: Mapped[int | None] = mapped_column(index=True)
    citizen_id: Mapped[int | None] = mapped_column(index=True)
    caseworker_id: Mapped[int | None] = mapped_column(index=True)
    object_type: Mapped[str | None] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    details: Mapped[str | None] = mapped_column(Text)


class SystemLogEntry(Model):
    """Technical events: errors and batch runs with their figures (R-1.10.1)."""

    __tablename__ = "system_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = created_at_column()
    level: Mapped[LogLevel] = mapped_column(enum_type(LogLevel), default=LogLevel.INFO)
    category: Mapped[str] = mapped_column(String(60), index=True)
    message: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict | None] = mapped_column(JSON)
    job_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_centres.id", ondelete="SET NULL"), index=True)


class SchedulerHeartbeat(Model):
    """One scheduler process: when it started, its latest sign of life, and when it stopped
    (R-1.10.1, R-1.12.1). A process that dies without stopping leaves `stopped_at` empty and
    `beat_at` growing old, which is how the About page tells a dead scheduler."""

    __tablename__ = "scheduler_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
    stopped_at: Mapped[datetime | None]


class InboundMessage(Model):
    """A raw appointment message from the municipal case system, with its outcome (R-1.11.1)."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = created_at_column()
    job_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_centres.id", ondelete="SET NULL"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    raw: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
