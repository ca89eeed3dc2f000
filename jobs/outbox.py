"""Send queued outbox e-mails over SMTP, with retries and exponential backoff (§1.8, R-4.9, R-5.1).

Each message is committed on its own as soon as the server has taken it, so a crash
half-way never sends a message twice or loses one. When the SMTP server cannot be
reached at all, nothing is counted against the messages: they stay queued and go out
when it is back. A message the server refuses is tried again later, with the wait
doubling each time, and marked failed after `PLANNER_OUTBOX_MAX_ATTEMPTS` tries.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import or_, select

from webapp.domain.availability import to_utc
from webapp.extensions import db
from webapp.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_SECONDS = 60
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    server_down: bool = False

    def __str__(self) -> str:
        text = (f"sent {len(self.sent)}, retrying {len(self.retrying)}, "
                f"failed {len(self.failed)}")
        return text + (" (SMTP server unreachable)" if self.server_down else "")


def backoff(attempts: int, base_seconds: int | None = None) -> timedelta:
    """Wait before try number `attempts + 1`: base, 2·base, 4·base, … capped at six hours."""
    base = base_seconds if base_seconds is not None else current_app.config.get(
        "PLANNER_OUTBOX_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def build_email(message: OutboxMessage, sender: str, now: datetime) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(to_utc(now))
    mail["Message-ID"] = make_msgid(idstring=f"outbox{message.id}",
                                    domain=sender.rpartition("@")[2] or "localhost")
    mail.set_content(message.body_text)
    for attachment in message.attachments:
        content_type, *params = [p.strip() for p in attachment.content_type.split(";")]
        maintype, _, subtype = content_type.partition("/")
        extra = dict(p.split("=", 1) for p in params if "=" in p)
        extra.pop("charset", None)
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                            filename=attachment.filename, params=extra)
    return mail


def due_messages(now: datetime, limit: int) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.QUEUED,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config.get("PLANNER_SMTP_HOST", "127.0.0.1"),
                        int(config.get("PLANNER_SMTP_PORT", 25)),
                        timeout=float(config.get("PLANNER_SMTP_TIMEOUT", 10)))
    if config.get("PLANNER_SMTP_STARTTLS"):
        smtp.starttls()
    if config.get("PLANNER_SMTP_USER"):
        smtp.login(config["PLANNER_SMTP_USER"], config.get("PLANNER_SMTP_PASSWORD", ""))
    return smtp


def send_due(now: datetime, *, limit: int = 200) -> SendReport:
    """Send what is due at `now`; commits after each message (a job owns its transaction)."""
    config = current_app.config
    max_attempts = int(config.get("PLANNER_OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    sender = config.get("PLANNER_SMTP_FROM", "planlaegger@localhost")
    report = SendReport()
    messages = due_messages(now, limit)
    if not messages:
        return report
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as error:
        # The server is down: keep everything queued, look again after the base wait.
        report.server_down = True
        for message in messages:
            message.last_error = f"SMTP-server utilgængelig: {error}"[:2000]
            message.next_attempt_at = now + backoff(1)
        db.session.commit()
        log.warning("Outbox: SMTP server unreachable, %d messages stay queued", len(messages))
        return report
    try:
        for message in messages:
            ids = (message.id,)
            try:
                smtp.send_message(build_email(message, sender, now))
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as error:
                # Lost the server mid-run: this message and the rest wait, uncounted.
                report.server_down = True
                for rest in messages[messages.index(message):]:
                    rest.last_error = f"Forbindelsen til SMTP-serveren blev afbrudt: {error}"[:2000]
                    rest.next_attempt_at = now + backoff(1)
                db.session.commit()
                break
            except smtplib.SMTPException as error:
                message.attempts += 1
                message.last_error = str(error)[:2000]
                if message.attempts >= max_attempts:
                    message.status = OutboxStatus.FAILED
                    message.next_attempt_at = None
                    report.failed += ids
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
                    report.retrying += ids
                db.session.commit()
                continue
            message.attempts += 1
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.last_error = None
            db.session.commit()
            report.sent += ids
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return report


def send_queued(now: datetime | None = None) -> SendReport:
    """The scheduler's entry (see `jobs.scheduler.REGISTRY`): send what is due now."""
    from jobs.scheduler import job_context
    from webapp.clock import now_local
    with job_context():
        report = send_due(now or now_local())
        if report.sent or report.failed or report.server_down:
            log.info("Outbox: %s", report)
        return report
