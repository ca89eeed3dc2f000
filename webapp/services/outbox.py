"""The outbox: every notification is a row here first, sent later by a job (§1.8, R-4.9, R-5.1)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select

from webapp.extensions import db
from webapp.models import OutboxAttachment, OutboxMessage, OutboxStatus
from webapp.services.sql import prepared


@prepared
def _queued_with_key(ids: Any) -> Any:
    return select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == bindparam("key", type_=String()))


def enqueue(*, kind: str, recipient: str, subject: str, body_text: str, now: datetime,
            job_centre_id: int | None = None, booking_id: int | None = None,
            dedupe_key: str | None = None,
            attachments: Iterable[tuple[str, str, bytes]] = ()) -> OutboxMessage | None:
    """Queue one e-mail in the caller's transaction; None when `dedupe_key` was queued before.

    `attachments` are (filename, content type, bytes), e.g. a letter PDF or a
    text/calendar invitation. Nothing is sent here: the send job picks queued rows up,
    so a notification is never lost when the mail server is down.
    """
    if dedupe_key is not None and db.session.scalar(
            _queued_with_key(), {"key": dedupe_key}) is not None:
        return None
    message = OutboxMessage(kind=kind, recipient=recipient, subject=subject[:300],
                            body_text=body_text, job_centre_id=job_centre_id,
                            booking_id=booking_id, dedupe_key=dedupe_key,
                            status=OutboxStatus.QUEUED, next_attempt_at=now)
    for filename, content_type, data in attachments:
        message.attachments.append(OutboxAttachment(filename=filename, content_type=content_type,
                                                    data=data))
    db.session.add(message)
    db.session.flush()
    return message
