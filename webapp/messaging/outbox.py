"""The outbox: every notification is a row here first, sent later by a job (§1.8, R-4.9, R-5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import DateTime, Integer, LargeBinary, bindparam, text

from webapp.config import setting
from webapp.domain.mailheaders import clean_header_text
from webapp.models import OutboxStatus
from webapp.storage.sql import dialect, rows as sql_rows

# The national data hub's messages share the queue but not the SMTP sender:
# `messaging/dfdg_delivery.py` sends them.
HUB_KIND = "dfdg"

# Written out rather than built: SQLAlchemy caches no compiled INSERT .. ON CONFLICT, and
# compiling it cost more than running it. Both databases know this statement. A key
# queued before (or by a transaction committing meanwhile) inserts nothing and returns
# no row, so a race cannot fail the caller's transaction.
_MESSAGE = """
    INSERT INTO outbox_messages (job_centre_id, kind, recipient, subject, body_text, dedupe_key,
                                 booking_id, status, attempts, next_attempt_at)
    VALUES (:job_centre_id, :kind, :recipient, :subject, :body_text, :dedupe_key,
            :booking_id, :status, 0, :next_attempt_at)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id"""
_TYPES = (bindparam("job_centre_id", type_=Integer()), bindparam("booking_id", type_=Integer()),
          bindparam("next_attempt_at", type_=DateTime()))

_INSERT_MESSAGE = text(_MESSAGE).bindparams(*_TYPES)
_INSERT_ATTACHMENT = text("""
    INSERT INTO outbox_attachments (message_id, filename, content_type, data, letter_id)
    VALUES (:message_id, :filename, :content_type, :data, :letter_id)""").bindparams(
    bindparam("data", type_=LargeBinary()), bindparam("letter_id", type_=Integer()))
# PostgreSQL: the message and its one attachment in one statement.
_INSERT_MESSAGE_WITH_ATTACHMENT = text(f"""
    WITH message AS ({_MESSAGE})
    INSERT INTO outbox_attachments (message_id, filename, content_type, data, letter_id)
    SELECT id, :filename, :content_type, :data, :letter_id FROM message
    RETURNING message_id""").bindparams(*_TYPES, bindparam("data", type_=LargeBinary()),
                                        bindparam("letter_id", type_=Integer()))


def enqueue(*, kind: str, recipient: str, subject: str, body_text: str, now: datetime,
            job_centre_id: int | None = None, booking_id: int | None = None,
            dedupe_key: str | None = None,
            attachments: Iterable[tuple[str, str, bytes]] = (),
            letter: tuple[int, str] | None = None) -> int | None:
    """Queue one e-mail in the caller's transaction: its id, or None when `dedupe_key` was
    queued before.

    `attachments` are (filename, content type, bytes), e.g. a letter PDF or a
    text/calendar invitation. `letter` (its id, its file name) attaches a letter whose PDF is
    rendered after the commit: the attachment is empty until then (`letters.render_pdf`
    fills it in; the send job renders it first when it is still empty). Nothing is sent here: the send job picks queued rows up,
    so a notification is never lost when the mail server is down.
    """
    # The subject merges data (names, template text): kept to one line, as the header it becomes.
    values = {"kind": kind, "recipient": recipient, "subject": clean_header_text(subject)[:300],
              "body_text": body_text, "job_centre_id": job_centre_id, "booking_id": booking_id,
              "dedupe_key": dedupe_key, "status": OutboxStatus.QUEUED.value,
              "next_attempt_at": now}
    files = [(filename, content_type, data, None) for filename, content_type, data in attachments]
    if letter is not None:
        letter_id, filename = letter
        files.append((filename, "application/pdf", b"", letter_id))
    if len(files) == 1 and dialect() == "postgresql":
        (filename, content_type, data, letter_id), = files
        return sql_rows(_INSERT_MESSAGE_WITH_ATTACHMENT, values | {
            "filename": filename, "content_type": content_type, "data": data,
            "letter_id": letter_id}).scalar()
    message_id = sql_rows(_INSERT_MESSAGE, values).scalar()
    if message_id is not None and files:
        sql_rows(_INSERT_ATTACHMENT, [
            {"message_id": message_id, "filename": filename, "content_type": content_type,
             "data": data, "letter_id": letter_id}
            for filename, content_type, data, letter_id in files])
    return message_id


def sender_address() -> str:
    """The From of every e-mail and the organizer of every invitation: PLANNER_SMTP_FROM."""
    return str(setting("PLANNER_SMTP_FROM"))
