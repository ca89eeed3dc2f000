"""The outbox: every notification is a row here first, sent later by a job (§1.8, R-4.9, R-5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import OutboxAttachment, OutboxMessage, OutboxStatus
from webapp.services.sql import prepared


@prepared
def _insert_message(ids: Any) -> Any:
    # A key queued before (or by a transaction committing meanwhile) inserts nothing and
    # returns no row: one statement, and a race cannot fail the caller's transaction.
    dialect = postgresql if ids.dialect == "postgresql" else sqlite
    table = OutboxMessage.__table__     # the table, not the entity: no ORM bulk-insert layer
    return (dialect.insert(table).on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
            .returning(table.c.id))


@prepared
def _insert_attachment(ids: Any) -> Any:
    return insert(OutboxAttachment.__table__)


def enqueue(*, kind: str, recipient: str, subject: str, body_text: str, now: datetime,
            job_centre_id: int | None = None, booking_id: int | None = None,
            dedupe_key: str | None = None,
            attachments: Iterable[tuple[str, str, bytes]] = ()) -> int | None:
    """Queue one e-mail in the caller's transaction: its id, or None when `dedupe_key` was
    queued before.

    `attachments` are (filename, content type, bytes), e.g. a letter PDF or a
    text/calendar invitation. Nothing is sent here: the send job picks queued rows up,
    so a notification is never lost when the mail server is down.
    """
    message_id = db.session.scalar(_insert_message(), {
        "kind": kind, "recipient": recipient, "subject": subject[:300], "body_text": body_text,
        "job_centre_id": job_centre_id, "booking_id": booking_id, "dedupe_key": dedupe_key,
        "status": OutboxStatus.QUEUED, "next_attempt_at": now})
    if message_id is None:
        return None
    rows = [{"message_id": message_id, "filename": filename, "content_type": content_type,
             "data": data} for filename, content_type, data in attachments]
    if rows:
        db.session.execute(_insert_attachment(), rows)
    return message_id
