"""Outbound safety (R-7.5): calendar addresses and their fetches, and e-mail headers built from data."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webapp.messaging.delivery import UnsendableMessage, build_email, send_due
from tests.factories import login
from tests.integration.test_busy_import import FEED
from tests.integration.test_busy_import import NOW as IMPORT_NOW
from tests.integration.test_outbox_smtp import Inbox, SmtpServer, free_port
from tests.timehelpers import MONDAY, at
from tests.web.admin_support import breaks_data, field_errors, post, week_data
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (BusyTime, Caseworker, LetterTemplate, LogLevel, OutboxMessage,
                           OutboxStatus, Role, SyncMode, SystemLogEntry, Team)
from webapp.calendar import busy_import
from webapp.calendar.busy_import import import_all, validate_calendar_url
from webapp.messaging.outbox import enqueue
from webapp.administration.variants import validate_letter_template

NOW = at(MONDAY, 8)
ANNA = "anna.holm@demo-jobcenter.dk"  # in seed/data/directory.json with a valid certificate


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
    # The admin's own check on every text field may answer first; either way it says why.
    assert any("linjeskift" in e and "styretegn" in e for e in errors), errors
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


# --- Calendar addresses on save ---------------------------------------------------------

@pytest.fixture
def fake_dns(monkeypatch) -> dict[str, list[str]]:
    """Host names the tests resolve themselves; everything else resolves as usual."""
    names: dict[str, list[str]] = {}
    real = busy_import.resolve_addresses

    def resolve(host: str, port: int) -> list[str]:
        return names[host] if host in names else real(host, port)

    monkeypatch.setattr(busy_import, "resolve_addresses", resolve)
    return names


def _team(name: str) -> Team:
    return db.session.scalar(select(Team).where(Team.name == name))


def _caseworker_form(url: str) -> dict:
    return {"email": ANNA, "name": "", "initials": "ASH", "phone": "20 10 01 07",
            "rid": "09000137", "guid": "", "can_be_assigned_callins": "y",
            "sync_mode": "two_way", "busy_calendar_url": url,
            "teams": [_team("Ungeindsatsen").id], **week_data(), **breaks_data([])}


REFUSED_ADDRESSES = [
    "file:///etc/passwd",
    "file:///tmp/x.ics",
    "ftp://kalender.example.dk/x.ics",
    "gopher://127.0.0.1:5432/",
    "http://127.0.0.1:5432/x.ics",
    "http://localhost/x.ics",
    "http://127.1/x.ics",
    "http://2130706433/x.ics",
    "http://10.0.0.5/x.ics",
    "http://192.168.1.20/x.ics",
    "http://172.16.0.1/x.ics",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0:9/x.ics",
    "http://224.0.0.1/x.ics",
    "http://240.0.0.1/x.ics",
    "http://100.64.0.1/x.ics",
    "http://[::1]/x.ics",
    "http://[::]/x.ics",
    "http://[fe80::1]/x.ics",
    "http://[fd00::1]/x.ics",
    "http://[ff02::1]/x.ics",
    "http://[::ffff:127.0.0.1]/x.ics",
    "http://intern.example.dk/x.ics",  # resolves to a private address (fake_dns)
    "http://blandet.example.dk/x.ics",  # one public, one private address
]


@pytest.fixture
def example_dns(fake_dns):
    fake_dns.update({"intern.example.dk": ["192.168.1.10"], "blandet.example.dk": ["93.184.216.34", "10.1.1.1"],
                     "kalender.example.dk": ["93.184.216.34"], "kalender.kommune.dk": ["93.184.216.35"],
                     "lokal.kommune.dk": ["10.20.30.40"]})
    return fake_dns


@pytest.mark.parametrize("url", REFUSED_ADDRESSES)
def test_r_7_5_calendar_address_is_checked_on_save(client, admin, app, example_dns, url):
    """R-7.5 (finding 12): file:, other schemes and internal addresses are refused with a Danish
    message on the form, and nothing is saved."""
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = ""
    login(client, admin)
    status, page = post(client, "/admin/caseworker/new/", _caseworker_form(url))
    assert status == 200
    errors = field_errors(page, "busy_calendar_url")
    assert errors and all("alender" in e for e in errors), errors
    assert db.session.scalar(select(func.count(Caseworker.id))) == 0


def test_r_7_5_a_public_calendar_address_is_saved(client, admin, app, example_dns):
    """R-7.5: an https address of a public host is accepted on save."""
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = ""
    login(client, admin)
    status, _ = post(client, "/admin/caseworker/new/",
                     _caseworker_form("https://kalender.example.dk/anna.ics"))
    assert status == 302
    caseworker = db.session.scalar(select(Caseworker))
    assert (caseworker.sync_mode, caseworker.busy_calendar_url) == (
        SyncMode.TWO_WAY, "https://kalender.example.dk/anna.ics")


@pytest.mark.parametrize(("allowed", "url", "ok"), [
    ("", "https://kalender.example.dk/a.ics", True),
    ("kalender.kommune.dk", "https://kalender.example.dk/a.ics", False),
    ("kalender.kommune.dk", "https://kalender.kommune.dk/a.ics", True),
    ("kalender.kommune.dk", "https://KALENDER.kommune.dk./a.ics", True),
    ("*.kommune.dk", "https://kalender.kommune.dk/a.ics", True),
    ("*.kommune.dk", "https://kommune.dk.example.dk/a.ics", False),
    ("*.kommune.dk", "https://lokal.kommune.dk/a.ics", True),  # private, but allowed by name
    ("", "https://lokal.kommune.dk/a.ics", False),
    ("kalender.kommune.dk, 127.0.0.1", "http://127.0.0.1:8080/a.ics", True),
    ("127.0.0.1", "http://localhost:8080/a.ics", False),
    ("::1", "http://[::1]:8080/", True),
    ("", "webcal://kalender.example.dk/a.ics", True),
    ("", "https://nowhere.invalid/a.ics", False),
])
def test_r_7_5_allow_list_of_calendar_hosts(app, example_dns, allowed, url, ok):
    """R-7.5: the allow-list holds exact hosts or *.domain; empty allows any public host."""
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = allowed
    if ok:
        assert validate_calendar_url(url) == url
    else:
        with pytest.raises(DomainError) as caught:
            validate_calendar_url(url)
        assert caught.value.field == "busy_calendar_url" and "alender" in caught.value.message_da


# --- Calendar fetches ---------------------------------------------------------------------

class CalendarServer:
    """An HTTP server on 127.0.0.1 that records every request and answers from `routes`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                recorder.requests.append((self.path, self.headers.get("Host", "")))
                status, headers, body = recorder.routes.get(self.path, (404, {}, b""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value.replace("PORT", str(recorder.port)))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def calendar_server() -> Iterator[CalendarServer]:
    server = CalendarServer()
    server.routes["/feed.ics"] = (200, {"Content-Type": "text/calendar"}, FEED)
    yield server
    server.close()


@pytest.fixture
def two_way(create_job_centre, create_caseworker, reference_data):
    return create_caseworker(create_job_centre(), sync_mode=SyncMode.TWO_WAY,
                             busy_calendar_url="http://127.0.0.1:1/cal.ics")


def _busy_count() -> int:
    return db.session.scalar(select(func.count()).select_from(BusyTime))


def _import_messages() -> list[str]:
    return list(db.session.scalars(select(SystemLogEntry.message).where(
        SystemLogEntry.category == "calendar_import", SystemLogEntry.level == LogLevel.WARNING)))


def test_r_7_5_a_stored_file_address_is_never_read(app, two_way, tmp_path: Path):
    """R-7.5 (finding 12): an address saved before the check (file:) is refused at the fetch."""
    feed = tmp_path / "x.ics"
    feed.write_bytes(FEED)
    two_way.busy_calendar_url = feed.as_uri()
    result = import_all(now=IMPORT_NOW)
    db.session.commit()
    assert list(result.failed) == [two_way.id] and _busy_count() == 0
    assert str(tmp_path) not in " ".join(_import_messages())


def test_r_7_5_loopback_is_refused_at_the_fetch_unless_allowed(app, two_way, calendar_server):
    """R-7.5: with no allow-list a loopback address is not contacted at all; allowed, it is."""
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = ""
    two_way.busy_calendar_url = calendar_server.url("/feed.ics")
    assert list(import_all(now=IMPORT_NOW).failed) == [two_way.id]
    assert calendar_server.requests == [] and _busy_count() == 0
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = "127.0.0.1"
    result = import_all(now=IMPORT_NOW)
    assert (result.busy_times, result.failed) == (5, {})


def test_r_7_5_a_name_resolving_to_loopback_is_refused_at_the_fetch(app, two_way, calendar_server,
                                                                   fake_dns):
    """R-7.5: the check is on the addresses a name resolves to, at every fetch (not only on save)."""
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = ""
    fake_dns["kalender.example.dk"] = ["127.0.0.1"]
    two_way.busy_calendar_url = calendar_server.url("/feed.ics", host="kalender.example.dk")
    assert list(import_all(now=IMPORT_NOW).failed) == [two_way.id]
    assert calendar_server.requests == []
    # Allowed by name, it is fetched from the address that was checked, with its own Host header.
    app.config["PLANNER_CALENDAR_ALLOWED_HOSTS"] = "*.example.dk"
    assert import_all(now=IMPORT_NOW).busy_times == 5
    assert calendar_server.requests == [("/feed.ics", f"kalender.example.dk:{calendar_server.port}")]


@pytest.mark.parametrize("location", [
    "http://localhost:PORT/feed.ics",  # not on the allow-list, though it is the same server
    "file:///etc/passwd",
    "ftp://127.0.0.1:PORT/feed.ics",
    "http://10.0.0.1:PORT/feed.ics",
])
def test_r_7_5_every_redirect_hop_is_checked(app, two_way, calendar_server, location):
    """R-7.5: a redirect to an address the check refuses is not followed."""
    calendar_server.routes["/moved.ics"] = (302, {"Location": location}, b"")
    two_way.busy_calendar_url = calendar_server.url("/moved.ics")
    result = import_all(now=IMPORT_NOW)
    assert list(result.failed) == [two_way.id] and _busy_count() == 0
    assert [path for path, _host in calendar_server.requests] == ["/moved.ics"]


def test_r_7_5_allowed_redirects_are_followed_at_most_five_times(app, two_way, calendar_server):
    """R-7.5: relative and absolute redirects on allowed hosts work; a sixth hop is refused."""
    for hop in range(1, 7):
        calendar_server.routes[f"/hop{hop}.ics"] = (
            301 if hop % 2 else 307, {"Location": f"/hop{hop + 1}.ics"}, b"")
    calendar_server.routes["/hop7.ics"] = (200, {"Content-Type": "text/calendar"}, FEED)
    two_way.busy_calendar_url = calendar_server.url("/hop2.ics")  # five redirects to /hop7.ics
    assert import_all(now=IMPORT_NOW).busy_times == 5
    calendar_server.requests.clear()
    two_way.busy_calendar_url = calendar_server.url("/hop1.ics")  # six redirects
    assert list(import_all(now=IMPORT_NOW).failed) == [two_way.id]
    assert len(calendar_server.requests) == 6


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
def garbage_port() -> Iterator[int]:
    """A TCP service that is not HTTP (as PostgreSQL or an SSH server would be)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_r_7_5_every_connection_failure_reads_the_same(app, create_job_centre, create_caseworker,
                                                       reference_data, calendar_server, closed_port,
                                                       garbage_port):
    """R-7.5 (finding 12): refused port, a service that is not HTTP, TLS to a plain server, an
    error status and a page that is no calendar all give the same message: no port probing."""
    calendar_server.routes["/page.ics"] = (200, {"Content-Type": "text/html"}, b"<html>Log ind</html>")
    centre = create_job_centre()
    urls = [f"http://127.0.0.1:{closed_port}/x.ics", f"http://127.0.0.1:{garbage_port}/x.ics",
            f"https://127.0.0.1:{calendar_server.port}/feed.ics", calendar_server.url("/missing.ics"),
            calendar_server.url("/page.ics"), f"http://127.0.0.1:{closed_port}/kalender/"]
    caseworkers = [create_caseworker(centre, sync_mode=SyncMode.TWO_WAY, busy_calendar_url=url)
                   for url in urls]
    result = import_all(now=IMPORT_NOW)
    db.session.commit()
    assert sorted(result.failed) == sorted(cw.id for cw in caseworkers)
    assert len(set(result.failed.values())) == 1
    messages = _import_messages()
    assert len(messages) == len(urls)
    assert len({message.split(": ", 1)[1] for message in messages}) == 1
    for message in messages:
        assert str(closed_port) not in message and str(garbage_port) not in message
        assert "127.0.0.1" not in message
