"""The outbox: every notification is a row here first, sent later by a job (§1.8, R-4.9, R-5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from webapp.models import OutboxAttachment, OutboxMessage, OutboxStatus
from webapp.services.sql import dialect, prepared, rows as sql_rows


_MESSAGE_COLUMNS = ("kind", "recipient", "subject", "body_text", "job_centre_id", "booking_id",
                    "dedupe_key", "status", "next_attempt_at")


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


@prepared
def _insert_message_with_attachment(ids: Any) -> Any:
    # PostgreSQL: the message and its one attachment in one statement (a data-modifying
    # WITH); a key queued before inserts neither.
    messages = OutboxMessage.__table__
    message = (postgresql.insert(messages)
               .values({column: bindparam(column, type_=messages.c[column].type)
                        for column in _MESSAGE_COLUMNS} | {"attempts": 0})
               .on_conflict_do_nothing(index_elements=[messages.c.dedupe_key])
               .returning(messages.c.id).cte("message"))
    table = OutboxAttachment.__table__
    return (insert(table).from_select(
        ["message_id", "filename", "content_type", "data"],
        select(message.c.id, bindparam("filename", type_=table.c.filename.type),
               bindparam("content_type", type_=table.c.content_type.type),
               bindparam("attachment", type_=table.c.data.type)))
        .returning(table.c.message_id))


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
    values = {"kind": kind, "recipient": recipient, "subject": subject[:300],
              "body_text": body_text, "job_centre_id": job_centre_id, "booking_id": booking_id,
              "dedupe_key": dedupe_key, "status": OutboxStatus.QUEUED, "next_attempt_at": now}
    attachments = list(attachments)
    if len(attachments) == 1 and dialect() == "postgresql":
        (filename, content_type, data), = attachments
        return sql_rows(_insert_message_with_attachment(), values | {
            "filename": filename, "content_type": content_type, "attachment": data}).scalar()
    message_id = sql_rows(_insert_message(), values).scalar()
    if message_id is None:
        return None
    rows = [{"message_id": message_id, "filename": filename, "content_type": content_type,
             "data": data} for filename, content_type, data in attachments]
    if rows:
        sql_rows(_insert_attachment(), rows)
    return message_id
