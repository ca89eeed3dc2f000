"""Letters kept with bookings, and the outbox every notification goes through (§1.8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, created_at_column
from webapp.models.enums import LetterActivity, OutboxStatus, enum_type


class Letter(Model):
    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    activity: Mapped[LetterActivity] = mapped_column(enum_type(LetterActivity))
    letter_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_templates.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    # Rendered after the commit (`messaging.letters.render_pending`): empty until then, while
    # `html` holds the page to render; `html` is cleared when the PDF is stored.
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class OutboxMessage(Model):
    """One e-mail to send; a job sends queued ones with retries and backoff."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_centres.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # Stops a notification from being queued twice, e.g. one out-of-slots e-mail
    # per exhaustion of an offer.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    status: Mapped[OutboxStatus] = mapped_column(enum_type(OutboxStatus), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]

    attachments: Mapped[list[OutboxAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan")


class OutboxAttachment(Model):
    __tablename__ = "outbox_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # A letter's PDF: `data` is empty until the letter is rendered, then a copy of its PDF.
    letter_id: Mapped[int | None] = mapped_column(
        ForeignKey("letters.id", ondelete="SET NULL"), index=True)

    message: Mapped[OutboxMessage] = relationship(back_populates="attachments")
