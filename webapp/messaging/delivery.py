"""Send queued outbox e-mails over SMTP, with retries and exponential backoff (§1.8, R-4.9, R-5.1).

Each message is committed on its own as soon as the server has taken it, so a crash
half-way never sends a message twice or loses one. When the SMTP server cannot be
reached at all, nothing is counted against the messages: they stay queued and go out
when it is back. A message the server refuses is tried again later, with the wait
doubling each time, and marked failed after `PLANNER_OUTBOX_MAX_ATTEMPTS` tries.
A message that cannot be built (a recipient that is no single address) or that the
server refuses for good (5xx) is marked failed at once and written to the system log;
the run goes on with the others, so one bad message never holds the outbox up (R-7.5).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import or_, select

from webapp.config import setting
from webapp.domain.availability import to_utc
from webapp.domain.mailheaders import clean_header_text, has_control_characters
from webapp.extensions import db
from webapp.messaging import letters
from webapp.messaging.outbox import HUB_KIND, sender_address
from webapp.models import LogLevel, OutboxMessage, OutboxStatus, SystemLogEntry

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
# Refuses to store a header value with a line break (ValueError) and raises on defects.
STRICT = policy.SMTP.clone(raise_on_defect=True)


class UnsendableMessage(ValueError):
    """The message cannot become an e-mail; `reason_da` says why, without personal data."""

    def __init__(self, reason_da: str, detail: str) -> None:
        super().__init__(detail)
        self.reason_da = reason_da


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
    base = base_seconds if base_seconds is not None else int(setting("PLANNER_OUTBOX_BACKOFF_SECONDS"))
    return min(timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def max_attempts() -> int:
    """Tries before a message of the outbox is marked failed: PLANNER_OUTBOX_MAX_ATTEMPTS."""
    return int(setting("PLANNER_OUTBOX_MAX_ATTEMPTS"))


def recipient_address(text: str) -> str:
    """The one plain address `text` must be; UnsendableMessage otherwise (R-7.5)."""
    address = (text or "").strip()
    try:
        if has_control_characters(address):
            raise ValueError("line break or control character in the address")
        parsed = Address(addr_spec=address)
        if not parsed.username or not parsed.domain:
            raise ValueError("no local part or no domain")
    except (ValueError, IndexError, MessageError) as error:
        raise UnsendableMessage("ugyldig modtageradresse", f"invalid recipient address: {error}") from None
    return parsed.addr_spec


def build_email(message: OutboxMessage, sender: str, now: datetime) -> EmailMessage:
    """The e-mail of an outbox row; UnsendableMessage when it cannot be one (R-7.5).

    Text from data reaches the headers (the subject merges template and citizen data), so
    the subject is made one line here whatever was stored, and the strict policy refuses
    any header that would still break a line.
    """
    try:
        return _build_email(message, sender, now)
    except UnsendableMessage:
        raise
    except (ValueError, TypeError, LookupError, MessageError) as error:
        raise UnsendableMessage("beskeden kunne ikke dannes",
                                f"message could not be built: {type(error).__name__}: {error}") from None


def _build_email(message: OutboxMessage, sender: str, now: datetime) -> EmailMessage:
    mail = EmailMessage(policy=STRICT)
    mail["From"] = sender
    mail["To"] = recipient_address(message.recipient)
    mail["Subject"] = clean_header_text(message.subject)
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
    """The e-mails due at `now`; the national data hub's messages have their own sender (R-6.9)."""
    return list(db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.kind != HUB_KIND,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def _with_letters_rendered(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """The due messages, their letters' PDFs rendered first (they are rendered after the
    booking change commits, `letters.create_letter`); one whose letter still cannot be
    rendered waits for the next run, uncounted."""
    waiting = {a.letter_id for m in messages for a in m.attachments
               if a.letter_id is not None and not a.data}
    if not waiting:
        return messages
    ids = [m.id for m in messages]
    letters.render_pending(letter_ids=waiting, limit=len(waiting))
    return [m for m in (db.session.get(OutboxMessage, m_id) for m_id in ids)
            if m is not None and all(a.letter_id is None or a.data for a in m.attachments)]


def _connect() -> smtplib.SMTP:
    smtp = smtplib.SMTP(str(setting("PLANNER_SMTP_HOST")), int(setting("PLANNER_SMTP_PORT")),
                        timeout=float(setting("PLANNER_SMTP_TIMEOUT")))
    if setting("PLANNER_SMTP_STARTTLS"):
        smtp.starttls()
    if setting("PLANNER_SMTP_USER"):
        smtp.login(str(setting("PLANNER_SMTP_USER")), str(setting("PLANNER_SMTP_PASSWORD")))
    return smtp


def send_due(now: datetime, *, limit: int = 200) -> SendReport:
    """Send what is due at `now`; commits after each message (a job owns its transaction)."""
    attempts_allowed = max_attempts()
    sender = sender_address()  # the outbox's, which the invitations name as their organizer too
    report = SendReport()
    messages = due_messages(now, limit)
    if not messages:
        return report
    messages = _with_letters_rendered(messages)
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
                mail = build_email(message, sender, now)
            except UnsendableMessage as error:
                _fail(message, now, error.reason_da, str(error))
                report.failed += ids
                continue
            try:
                smtp.send_message(mail)
            except OSError as error:  # smtplib's errors are OSErrors too
                if _connection_lost(error):
                    # Lost the server mid-run: this message and the rest wait, uncounted.
                    report.server_down = True
                    for rest in messages[messages.index(message):]:
                        rest.last_error = f"Forbindelsen til SMTP-serveren blev afbrudt: {error}"[:2000]
                        rest.next_attempt_at = now + backoff(1)
                    db.session.commit()
                    break
                if (permanent := permanent_refusal(error)) is not None:
                    _reset(smtp)
                    _fail(message, now, permanent, str(error))
                    report.failed += ids
                    continue
                message.attempts += 1
                message.last_error = str(error)[:2000]
                if message.attempts >= attempts_allowed:
                    _fail(message, now, f"afvist {message.attempts} gange", str(error), counted=True)
                    report.failed += ids
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
                    report.retrying += ids
                db.session.commit()
                continue
            except (ValueError, UnicodeError, MessageError) as error:
                # Refused by smtplib while writing it out (e.g. an address the server's
                # extensions cannot carry): this message can never go, the others can.
                _reset(smtp)
                _fail(message, now, "beskeden kunne ikke dannes", f"{type(error).__name__}: {error}")
                report.failed += ids
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


def _connection_lost(error: OSError) -> bool:
    return (not isinstance(error, smtplib.SMTPException)
            or isinstance(error, smtplib.SMTPServerDisconnected))


def permanent_refusal(error: OSError) -> str | None:
    """Why the server refused the message for good (5xx, address not supported), or None when a
    later try may succeed. A refused sender is our own set-up, so it stays a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        return f"afvist af mailserveren ({max(codes)})" if codes and min(codes) >= 500 else None
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "ugyldig modtageradresse"
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        return f"afvist af mailserveren ({error.smtp_code})"
    return None


def _reset(smtp: smtplib.SMTP) -> None:
    """End the refused message's SMTP transaction so the next one starts clean."""
    try:
        smtp.rset()
    except OSError:
        pass  # a lost connection shows at the next message


def _fail(message: OutboxMessage, now: datetime, reason_da: str, detail: str, *,
          counted: bool = False) -> None:
    """Mark the message failed for good and say so in the system log; commits (R-7.5).

    The log names the message and why, never its recipient: addresses are personal data.
    """
    if not counted:
        message.attempts += 1
    message.status = OutboxStatus.FAILED
    message.next_attempt_at = None
    message.last_error = f"{reason_da}: {detail}"[:2000]
    db.session.add(SystemLogEntry(
        level=LogLevel.ERROR, category="outbox", occurred_at=now, job_centre_id=message.job_centre_id,
        message=(f"E-mail nr. {message.id} ({message.kind}) kunne ikke sendes og er markeret som "
                 f"fejlet: {reason_da}. De øvrige e-mails sendes som normalt.")))
    db.session.commit()
    log.error("Outbox: message %s (%s) failed for good: %s", message.id, message.kind, reason_da)
