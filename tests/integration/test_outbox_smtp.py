"""The outbox job against a real SMTP server on 127.0.0.1 (aiosmtpd): retries, backoff, outages (§1.8, R-5.1)."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from tests.timehelpers import MONDAY, at
from webapp.messaging.delivery import backoff, send_due
from webapp.extensions import db
from webapp.models import OutboxMessage, OutboxStatus
from webapp.messaging.outbox import enqueue, sender_address

NOW = at(MONDAY, 8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox(Message):
    """Keeps every message; refuses recipients at refused.example."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.endswith("@refused.example"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:  # noqa: ANN001
        self.messages.append(message)


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SmtpServer(free_port())
    server.start()
    app.config.update(PLANNER_SMTP_HOST="127.0.0.1", PLANNER_SMTP_PORT=server.port,
                      PLANNER_SMTP_FROM="planlaegger@test.dk", PLANNER_OUTBOX_MAX_ATTEMPTS=3,
                      PLANNER_OUTBOX_BACKOFF_SECONDS=60, PLANNER_SMTP_TIMEOUT=5)
    yield server
    server.stop()


def _queue(n: int, recipient: str = "borger{}@example.dk", **kw) -> list[int]:
    ids = []
    for i in range(n):
        ids.append(enqueue(kind="letter", recipient=recipient.format(i), subject=f"Brev {i}",
                           body_text=f"Kære borger {i}", now=NOW, **kw))
    db.session.commit()
    return ids


def test_queued_mail_is_sent_with_its_attachments(smtp):
    """§1.8, R-5.1: letters (PDF) and invitations (text/calendar; method=REQUEST) go out by SMTP."""
    enqueue(kind="letter", recipient="borger@example.dk", subject="Indkaldelse til samtale",
            body_text="Kære Borger", now=NOW, attachments=[("brev.pdf", "application/pdf", b"%PDF-1.7 x")])
    enqueue(kind="invitation", recipient="vejleder@example.dk", subject="Ny samtale", body_text="Se vedhæftet",
            now=NOW, attachments=[("samtale-1.ics", "text/calendar; method=REQUEST; charset=utf-8",
                                   b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n")])
    db.session.commit()
    report = send_due(NOW)
    assert len(report.sent) == 2 and not report.server_down
    assert {m.status for m in db.session.scalars(select(OutboxMessage))} == {OutboxStatus.SENT}
    received = {m["To"]: message_from_bytes(m.as_bytes(), policy=policy.default)
                for m in smtp.inbox.messages}
    letter = received["borger@example.dk"]
    assert letter["Subject"] == "Indkaldelse til samtale" and letter["From"] == "planlaegger@test.dk"
    [pdf] = list(letter.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content() == b"%PDF-1.7 x"
    [ics] = list(received["vejleder@example.dk"].iter_attachments())
    assert ics.get_content_type() == "text/calendar" and ics.get_param("method") == "REQUEST"
    assert send_due(NOW + timedelta(minutes=5)).sent == []  # nothing is sent twice


def test_r_5_1_the_from_of_every_mail_is_the_outboxs_one_sender(smtp, app):
    """R-5.1, one owner per setting: the delivery sends from `outbox.sender_address()`, the address
    every invitation names as its organizer, read from PLANNER_SMTP_FROM in one place."""
    app.config["PLANNER_SMTP_FROM"] = "jobcenter@kommune.example"
    _queue(1)
    assert len(send_due(NOW).sent) == 1
    [mail] = smtp.inbox.messages
    assert mail["From"] == sender_address() == "jobcenter@kommune.example"


def test_nothing_is_lost_while_the_smtp_server_is_down(smtp):
    """§1.8: server stopped mid-run: mail stays queued, uncounted; sent once the server is back."""
    first = _queue(2)
    assert len(send_due(NOW).sent) == 2
    smtp.stop()
    later = _queue(3, recipient="senere{}@example.dk")
    report = send_due(NOW + timedelta(minutes=1))
    assert report.server_down and report.sent == []
    rows = [db.session.get(OutboxMessage, i) for i in later]
    assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.QUEUED, 0)}
    assert all(r.next_attempt_at == NOW + timedelta(minutes=2) for r in rows)
    assert all("utilgængelig" in r.last_error for r in rows)
    # Many more failed rounds never mark them failed: an outage costs no attempts.
    for minute in range(2, 12):
        send_due(NOW + timedelta(minutes=minute))
    assert {db.session.get(OutboxMessage, i).status for i in later} == {OutboxStatus.QUEUED}
    smtp.start()
    report = send_due(NOW + timedelta(minutes=30))
    assert sorted(report.sent) == sorted(later)
    assert sorted(m["To"] for m in smtp.inbox.messages) == sorted(
        [f"borger{i}@example.dk" for i in range(2)] + [f"senere{i}@example.dk" for i in range(3)])
    assert {db.session.get(OutboxMessage, i).status for i in first + later} == {OutboxStatus.SENT}


def test_a_refused_message_backs_off_exponentially_then_fails(smtp):
    """§1.8: retries wait 1, 2, 4 … × the base; after the maximum attempts the message is FAILED."""
    [refused] = _queue(1, recipient="nogen{}@refused.example")
    [fine] = _queue(1)
    report = send_due(NOW)
    assert report.retrying == [refused] and report.sent == [fine]
    message = db.session.get(OutboxMessage, refused)
    assert (message.attempts, message.next_attempt_at) == (1, NOW + timedelta(seconds=60))
    assert "450" in message.last_error
    assert send_due(NOW + timedelta(seconds=59)).retrying == []  # not due yet
    send_due(NOW + timedelta(seconds=60))
    assert (message.attempts, message.next_attempt_at) == (2, NOW + timedelta(seconds=60 + 120))
    report = send_due(NOW + timedelta(seconds=180))
    assert report.failed == [refused]
    assert (message.status, message.attempts, message.next_attempt_at) == (OutboxStatus.FAILED, 3, None)
    assert send_due(NOW + timedelta(days=1)).failed == []


def test_backoff_doubles_and_is_capped(app):
    """§1.8: exponential backoff, never more than six hours."""
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30, 60) == timedelta(hours=6)


def test_flask_outbox_send_command(smtp, runner):
    """§1.8: `flask outbox send` sends what is due."""
    from webapp.clock import now_local
    enqueue(kind="letter", recipient="borger@example.dk", subject="Brev", body_text="Hej",
            now=now_local())
    db.session.commit()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp.inbox.messages) == 1


def test_a_key_queued_before_queues_nothing_not_even_its_attachment(app):
    """§1.8, R-1.1.5: the de-duplication key stops a second message and its attachment."""
    first = enqueue(kind="invitation", recipient="vejleder@example.dk", subject="Ny samtale",
                    body_text="Se vedhæftet", now=NOW, dedupe_key="ics:1:1:0:REQUEST",
                    attachments=[("samtale-1.ics", "text/calendar", b"BEGIN:VCALENDAR")])
    again = enqueue(kind="invitation", recipient="vejleder@example.dk", subject="Ny samtale",
                    body_text="Se vedhæftet", now=NOW, dedupe_key="ics:1:1:0:REQUEST",
                    attachments=[("samtale-1.ics", "text/calendar", b"BEGIN:VCALENDAR")])
    db.session.commit()
    assert isinstance(first, int) and again is None
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.id == first and message.status == OutboxStatus.QUEUED and message.attempts == 0
    assert [(a.filename, a.data) for a in message.attachments] == [("samtale-1.ics",
                                                                     b"BEGIN:VCALENDAR")]
