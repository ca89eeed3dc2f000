"""Send the queued DFDG messages by the configured transport, with retries and backoff (R-6.9).

The transport is chosen by `PLANNER_DFDG_TRANSPORT`: `file` drops one JSON file per
message into `PLANNER_DFDG_DIRECTORY` (written beside and renamed, so a reader never sees
half a file), `https` posts it to `PLANNER_DFDG_URL` with the job centre's client
certificate. Each message is committed on its own once the hub has it, with the audit
entry "Indkaldelse sendt til DFDG" (R-1.9.1).

Failures follow the e-mail outbox (`delivery.py`): when the hub cannot be reached at all
nothing is counted against the messages, they wait and go when it is back; an answer that
may change (a 5xx, 408, 429, a disk that is full) is tried again with the wait doubling,
and the message is marked failed after `PLANNER_OUTBOX_MAX_ATTEMPTS`; an answer that will
not (another 4xx) fails it at once. A refused TLS handshake (the hub refuses our client
certificate, or we refuse its) counts as a try and ends the run, since every other message
would meet the same. Every run with failures writes the system log, category `dfdg`,
naming message numbers, events and HTTP statuses, never a citizen.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select, update

from webapp.config import setting
from webapp.extensions import db
from webapp.messaging import dfdg
from webapp.messaging.delivery import backoff, max_attempts
from webapp.models import (AuditEvent, Citizen, LogLevel, OutboxMessage, OutboxStatus,
                           SystemLogEntry)
from webapp.storage import audit

log = logging.getLogger(__name__)

CATEGORY = "dfdg"
_EVENT_DA = {dfdg.CALLIN_CREATED: "indkaldelse oprettet", dfdg.BOOKING_CREATED: "booking oprettet",
             dfdg.BOOKING_MOVED: "booking flyttet", dfdg.BOOKING_CANCELLED: "booking aflyst"}


class Retry(Exception):
    """The hub did not take the message; a later try may succeed. `reason` holds no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Refused(Retry):
    """The hub refused the message for good (a 4xx other than 408/409/429)."""


class HandshakeRefused(Retry):
    """The TLS handshake failed: our client certificate refused, or the hub's not trusted."""


class Unreachable(Retry):
    """No connection to the hub at all: nothing is counted against the messages."""


Transport = Callable[[str, bytes], None]


def file_transport(directory: Path) -> Transport:
    """Write `<message id>.json` into `directory` atomically: a temporary file, then a rename."""
    def deliver(message_id: str, body: bytes) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(body)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, directory / f"{message_id}.json")
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise Retry(f"filen kunne ikke skrives ({error.strerror or type(error).__name__})") from None
    return deliver


def https_transport(url: str, *, cert: str, key: str, ca_bundle: str | None,
                    timeout: float) -> Transport:
    """POST each message as JSON with the client certificate; 2xx or 409 (seen before) is taken."""
    import requests  # here: the scheduler starts without it unless the hub is reached by https
    session = requests.Session()
    # Given with each request, not set on the session: requests lets REQUESTS_CA_BUNDLE and
    # CURL_CA_BUNDLE from the environment override a session's CA, never a request's.
    verify: str | bool = ca_bundle or True

    def deliver(message_id: str, body: bytes) -> None:
        try:
            response = session.post(url, data=body, timeout=timeout, allow_redirects=False,
                                    cert=(cert, key), verify=verify,
                                    headers={"Content-Type": "application/json",
                                             "Idempotency-Key": message_id})
        except requests.exceptions.ConnectionError as error:
            if _never_connected(error):
                raise Unreachable("DFDG kunne ikke nås") from None
            # Connected, then refused in TLS or dropped: with TLS 1.3 a refused client
            # certificate reaches us as a dropped connection, not always as the alert.
            raise HandshakeRefused(f"TLS-forbindelsen blev afvist ({_tls_reason(error)})") from None
        except requests.exceptions.Timeout:
            raise Unreachable("DFDG svarede ikke i tide") from None
        except requests.exceptions.RequestException as error:
            raise Retry(f"fejl i forbindelsen ({type(error).__name__})") from None
        except OSError:
            # Raised before any connection: the certificate, key or CA file cannot be read.
            raise HandshakeRefused("klientcertifikatet, nøglen eller CA-filen kunne ikke læses") from None
        status = response.status_code
        response.close()
        if 200 <= status < 300 or status == 409:
            return
        if status in (408, 429) or status >= 500:
            raise Retry(f"DFDG svarede HTTP {status}")
        raise Refused(f"DFDG afviste beskeden med HTTP {status}")
    return deliver


def _never_connected(error: BaseException) -> bool:
    """No TCP connection was made (refused, no route, name unknown, connect timeout)."""
    from urllib3 import exceptions as urllib3_errors
    return any(isinstance(item, (urllib3_errors.NewConnectionError, urllib3_errors.ConnectTimeoutError,
                                 ConnectionRefusedError, socket.gaierror))
               for item in _chain(error))


def _tls_reason(error: BaseException) -> str:
    """A short cause of a refused TLS connection, from the exception chain (only the alert, no data)."""
    text = " ".join(str(item) for item in _chain(error)).lower()
    for needle, reason in (("certificate verify failed", "DFDG's certifikat kunne ikke verificeres"),
                           ("certificate required", "klientcertifikat krævet"),
                           ("unknown ca", "klientcertifikatet er ikke godkendt"),
                           ("bad certificate", "klientcertifikatet er ikke godkendt"),
                           ("certificate", "certifikatfejl")):
        if needle in text:
            return reason
    return "forbindelsen blev afbrudt; er klientcertifikatet godkendt?"


def _chain(error: BaseException | None) -> list[BaseException]:
    """The error, its causes, and the errors it wraps (args, urllib3's `reason`)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo:
        item = todo.pop()
        if item is None or any(item is known for known in seen):
            continue
        seen.append(item)
        todo += [arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException)]
        todo += [getattr(item, "reason", None) if isinstance(getattr(item, "reason", None),
                                                             BaseException) else None,
                 item.__cause__, item.__context__]
    return seen


def configured_transport() -> Transport | None:
    """The transport `PLANNER_DFDG_TRANSPORT` names; None for `none`."""
    kind = dfdg.transport_name()
    if kind == "file":
        return file_transport(Path(str(setting("PLANNER_DFDG_DIRECTORY"))))
    if kind == "https":
        return https_transport(str(setting("PLANNER_DFDG_URL")),
                               cert=str(setting("PLANNER_DFDG_CLIENT_CERT")),
                               key=str(setting("PLANNER_DFDG_CLIENT_KEY")),
                               ca_bundle=str(setting("PLANNER_DFDG_CA_BUNDLE")) or None,
                               timeout=float(setting("PLANNER_DFDG_TIMEOUT")))
    return None


@dataclass
class HubReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unreachable: bool = False

    def __str__(self) -> str:
        text = (f"sent {len(self.sent)}, retrying {len(self.retrying)}, "
                f"failed {len(self.failed)}")
        return text + (" (hub unreachable)" if self.unreachable else "")


def due_messages(now: datetime, limit: int) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == dfdg.KIND, OutboxMessage.status == OutboxStatus.QUEUED,
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))


def send_due(now: datetime, *, transport: Transport | None = None, limit: int = 200) -> HubReport:
    """Send the DFDG messages due at `now`; commits after each (a job owns its transaction)."""
    report = HubReport()
    transport = transport or configured_transport()
    if transport is None:
        return report  # `none`: what was queued under another setting waits for a transport
    attempts_allowed = max_attempts()
    messages = due_messages(now, limit)
    problems: list[str] = []
    for position, message in enumerate(messages):
        try:
            content = json.loads(message.body_text)
            message_id = str(content["message_id"])
        except (ValueError, KeyError, TypeError):
            _fail(message, now, "beskeden er ikke gyldig JSON")
            report.failed.append(message.id)
            continue
        try:
            transport(message_id, message.body_text.encode("utf-8"))
        except Unreachable as error:
            # The hub is down: keep everything queued, uncounted, and look again after the base
            # wait. The system log hears of it once per outage, not once a minute.
            report.unreachable = True
            seen_before = message.last_error == error.reason
            for rest in messages[position:]:
                rest.last_error = error.reason
                rest.next_attempt_at = now + backoff(1)
            db.session.commit()
            if not seen_before:
                problems.append(f"{error.reason}; {len(messages) - position} beskeder venter")
            log.warning("DFDG: %s, %d messages wait", error.reason, len(messages) - position)
            break
        except Refused as error:
            _fail(message, now, error.reason)
            report.failed.append(message.id)
            continue
        except Retry as error:
            message.attempts += 1
            message.last_error = error.reason
            if message.attempts >= attempts_allowed:
                _fail(message, now, f"{error.reason}; opgivet efter {message.attempts} forsøg",
                      counted=True)
                report.failed.append(message.id)
            else:
                message.next_attempt_at = now + backoff(message.attempts)
                db.session.commit()
                report.retrying.append(message.id)
                problems.append(f"nr. {message.id} ({_EVENT_DA.get(content.get('event'), '?')}): "
                                f"{error.reason}, forsøg {message.attempts}, prøves igen "
                                f"{message.next_attempt_at:%d.%m.%Y %H:%M:%S}")
            if isinstance(error, HandshakeRefused):
                problems.append("kørslen stoppet: de øvrige beskeder ville møde samme afvisning")
                break
            continue
        _sent(message, content, now)
        report.sent.append(message.id)
    if problems:
        _system_log(LogLevel.WARNING, now, "Beskeder til DFDG blev ikke afleveret: "
                    + "; ".join(problems) + ".",
                    {"retrying": report.retrying, "unreachable": report.unreachable})
        db.session.commit()
        log.warning("DFDG: %s", report)
    return report


def _sent(message: OutboxMessage, content: dict, now: datetime) -> None:
    """Mark it sent and write "Indkaldelse sendt til DFDG" (R-1.9.1) in the same commit."""
    message.attempts += 1
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.next_attempt_at = None
    message.last_error = None
    cpr = (content.get("citizen") or {}).get("cpr")
    citizen_id = db.session.scalar(select(Citizen.id).where(
        Citizen.job_centre_id == message.job_centre_id, Citizen.cpr == cpr)) if cpr else None
    audit.record(AuditEvent.CALL_IN_SENT_TO_HUB, job_centre_id=message.job_centre_id,
                 booking_id=message.booking_id, citizen_id=citizen_id, obj=message,
                 details=(f"Sendt til DFDG: {_EVENT_DA.get(content.get('event'), '?')}, "
                          f"besked {content.get('message_id')}"))
    db.session.commit()


def _system_log(level: LogLevel, now: datetime, text: str, figures: dict | None = None,
                job_centre_id: int | None = None) -> None:
    db.session.add(SystemLogEntry(level=level, category=CATEGORY, occurred_at=now, message=text,
                                  figures=figures, job_centre_id=job_centre_id))


def _fail(message: OutboxMessage, now: datetime, reason: str, *, counted: bool = False) -> None:
    """Mark the message failed for good and say so in the system log; commits."""
    if not counted:
        message.attempts += 1
    message.status = OutboxStatus.FAILED
    message.next_attempt_at = None
    message.last_error = reason[:2000]
    _system_log(LogLevel.ERROR, now,
                f"Besked nr. {message.id} til DFDG kunne ikke afleveres og er markeret som "
                f"fejlet: {reason}. De øvrige beskeder sendes som normalt.",
                {"message": message.id, "attempts": message.attempts},
                job_centre_id=message.job_centre_id)
    db.session.commit()
    log.error("DFDG: message %s failed for good: %s", message.id, reason)


def requeue_failed(now: datetime) -> int:
    """Queue every failed DFDG message again with its tries reset; the caller commits.

    For after the cause is fixed (a renewed client certificate, the hub's new address); the
    messages keep their message ids, so the hub ignores any it had after all.
    """
    ids = list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.kind == dfdg.KIND, OutboxMessage.status == OutboxStatus.FAILED)))
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
            status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=now),
            execution_options={"synchronize_session": False})
        _system_log(LogLevel.INFO, now, f"{len(ids)} fejlede beskeder til DFDG er sat i kø igen.",
                    {"messages": ids})
        db.session.expire_all()
    return len(ids)
