"""Outbound safety (R-7.5): calendar addresses and their fetches, and e-mail headers built from data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from jobs.outbox import UnsendableMessage, build_email, send_due
from tests.factories import login
from tests.integration.test_outbox_smtp import Inbox, SmtpServer, free_port
from tests.web.admin_support import field_errors, post
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (LetterTemplate, LogLevel, OutboxMessage,
                           OutboxStatus, Role, SystemLogEntry)
from webapp.services.outbox import enqueue
from webapp.services.variants import validate_letter_template

NOW = datetime(2027, 3, 1, 8, 0)


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    return create_user(Role.ADMINISTRATOR, job_centre)


# --- Mail headers ------------------------------------------------------------------------

HEADER_INJECTIONS = ["Indkaldelse\r\nBcc: spion@example.dk", "Indkaldelse\nBcc: spion@example.dk",
                     "Indkaldelse\rX: y", "Indkaldelse\x00", "Indkaldelse\x1b[31m", "Ind\u2028kaldelse"]


@pytest.mark.parametrize("subject", HEADER_INJECTIONS)
def test_r_7_5_letter_template_subject_with_line_breaks_is_refused_on_save(client, admin, subject):
    """R-7.5 (finding 6): a subject that could add mail headers is refused with a Danish message."""
    login(client, admin)
    status, page = post(client, "/admin/lettertemplate/new/",
                        {"name": "Nyt brev", "subject": subject, "body": "Kære {{ citizen.name }}"})
    assert status == 200
    errors = field_errors(page, "subject")
    assert any("linjeskift eller styretegn" in e for e in errors), errors
    assert db.session.scalar(select(func.count(LetterTemplate.id))) == 0


def test_r_7_5_letter_template_service_refuses_header_injection(admin):
    """R-7.5: the rule lives in the service, so every writer of templates gets it."""
    template = LetterTemplate(job_centre_id=admin.job_centre_id, name="Brev",
                              subject="Hej\r\nBcc: spion@example.dk", body="Kære borger")
    with pytest.raises(DomainError) as caught:
        validate_letter_template(template)
    assert caught.value.field == "subject" and "linjeskift" in caught.value.message_da
    assert "line break" in caught.value.message_en


class StrictInbox(Inbox):
    """Refuses for good (550) at unknown.example; otherwise as the outbox tests' server."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.endswith("@unknown.example"):
            return "550 5.1.1 Mailbox does not exist"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp(app) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.inbox = StrictInbox()
    server.start()
    app.config.update(PLANNER_SMTP_HOST="127.0.0.1", PLANNER_SMTP_PORT=server.port,
                      PLANNER_SMTP_FROM="planlaegger@test.dk", PLANNER_OUTBOX_MAX_ATTEMPTS=3,
                      PLANNER_OUTBOX_BACKOFF_SECONDS=60, PLANNER_SMTP_TIMEOUT=5)
    yield server
    server.stop()


def _queue(recipient: str, subject: str = "Indkaldelse", kind: str = "letter",
           job_centre_id: int | None = None) -> int:
    message_id = enqueue(kind=kind, recipient=recipient, subject=subject, body_text="Kære borger",
                         now=NOW, job_centre_id=job_centre_id)
    db.session.commit()
    return message_id


def _outbox_log() -> list[SystemLogEntry]:
    return list(db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "outbox")
                                   .order_by(SystemLogEntry.id)))


@pytest.mark.parametrize(("bad_recipient", "reason"), [
    ("borger@example.dk\r\nBcc: spion@example.dk", "ugyldig modtageradresse"),
    ("ikke en adresse", "ugyldig modtageradresse"),
    ("a@b.dk, spion@example.dk", "ugyldig modtageradresse"),
    ("nogen@unknown.example", "afvist af mailserveren"),
])
def test_r_7_5_one_bad_message_is_failed_and_logged_and_never_blocks_the_outbox(
        smtp, create_job_centre, bad_recipient, reason):
    """R-7.5 (finding 6): a bad message between two good ones: the good ones (an invitation among
    them) arrive, the bad one is failed at once with its reason and logged, the next run is calm."""
    centre = create_job_centre()
    first = _queue("borger1@example.dk", job_centre_id=centre.id)
    bad = _queue(bad_recipient, job_centre_id=centre.id)
    last = _queue("vejleder@example.dk", subject="Ny samtale", kind="invitation",
                  job_centre_id=centre.id)
    report = send_due(NOW)
    assert report.sent == [first, last] and report.failed == [bad] and report.retrying == []
    assert sorted(m["To"] for m in smtp.inbox.messages) == ["borger1@example.dk", "vejleder@example.dk"]
    message = db.session.get(OutboxMessage, bad)
    assert (message.status, message.attempts, message.next_attempt_at) == (OutboxStatus.FAILED, 1, None)
    assert message.last_error
    [entry] = _outbox_log()
    assert entry.level == LogLevel.ERROR and entry.job_centre_id == centre.id
    assert f"nr. {bad}" in entry.message and reason in entry.message
    assert "spion" not in entry.message and "@" not in entry.message  # no addresses in the log
    later = send_due(NOW + timedelta(days=1))  # does not raise, nothing left to do
    assert (later.sent, later.failed, later.retrying) == ([], [], [])


@pytest.mark.parametrize("subject", HEADER_INJECTIONS)
def test_r_7_5_a_subject_from_data_is_sent_on_one_line(smtp, subject):
    """R-7.5: a subject that slipped past the forms (merged data) is cleaned, never a new header."""
    sent = _queue("borger@example.dk", subject=subject)
    assert send_due(NOW).sent == [sent]
    [received] = smtp.inbox.messages
    assert received["Bcc"] is None and received["X"] is None
    assert received["Subject"].startswith("Indkaldelse") or received["Subject"].startswith("Ind kaldelse")
    assert all(ord(ch) >= 32 for ch in received["Subject"])


@pytest.mark.parametrize("subject", HEADER_INJECTIONS)
def test_r_7_5_build_email_cleans_a_stored_subject(app, subject):
    """R-7.5: whatever the row holds, the message is built with a one-line subject."""
    message = OutboxMessage(id=7, kind="letter", recipient="borger@example.dk", subject=subject,
                            body_text="Kære borger")
    mail = build_email(message, "planlaegger@test.dk", NOW)
    assert mail["Subject"] in ("Indkaldelse Bcc: spion@example.dk", "Indkaldelse X: y", "Indkaldelse",
                               "Indkaldelse [31m", "Ind kaldelse")
    assert b"\r\nBcc:" not in mail.as_bytes() and b"\r\nX:" not in mail.as_bytes()


@pytest.mark.parametrize("recipient", ["borger@example.dk\r\nBcc: spion@example.dk", "ikke en adresse",
                                       "a@b.dk, spion@example.dk", "", "Borger <a@b.dk>\n"])
def test_r_7_5_build_email_refuses_a_recipient_that_is_not_one_address(app, recipient):
    """R-7.5: the recipient must be one plain address; anything else cannot be built."""
    message = OutboxMessage(id=7, kind="letter", recipient=recipient, subject="Brev", body_text="Hej")
    with pytest.raises(UnsendableMessage) as caught:
        build_email(message, "planlaegger@test.dk", NOW)
    assert caught.value.reason_da == "ugyldig modtageradresse"


def test_r_7_5_a_transient_refusal_still_backs_off(smtp):
    """R-7.5: only permanent refusals fail at once; a 4xx keeps the retry with backoff."""
    refused = _queue("nogen@refused.example")
    report = send_due(NOW)
    assert report.retrying == [refused] and report.failed == []
    message = db.session.get(OutboxMessage, refused)
    assert (message.status, message.next_attempt_at) == (OutboxStatus.QUEUED, NOW + timedelta(seconds=60))
    assert _outbox_log() == []
