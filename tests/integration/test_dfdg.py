"""Reporting to the national data hub, DFDG (R-6.9, R-1.9.1): queued with the change, sent by file or HTTPS.

The HTTPS hub is a local server on 127.0.0.1 with a certificate of a CA made here, which
asks for the client's certificate and checks it against that CA.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from tests.workspace_setup import MONDAY, NOW, at, build_workspace
from webapp.booking.writer import cancel_booking, move_booking
from webapp.callins.calling import CallInInput, create_callins, from_template
from webapp.config import production_problems
from webapp.extensions import db
from webapp.messaging import delivery, dfdg, dfdg_delivery
from webapp.models import (AuditEntry, AuditEvent, LogLevel, OutboxMessage, OutboxStatus,
                           SystemLogEntry)


@pytest.fixture
def ws(app, reference_data):
    workspace = build_workspace()
    workspace.job_centre.municipality_code = "751"
    db.session.commit()
    return workspace


@pytest.fixture
def hub_files(app, tmp_path):
    directory = tmp_path / "dfdg"
    app.config.update(PLANNER_DFDG_TRANSPORT="file", PLANNER_DFDG_DIRECTORY=str(directory),
                      PLANNER_OUTBOX_MAX_ATTEMPTS=3, PLANNER_OUTBOX_BACKOFF_SECONDS=60)
    return directory


def _fixed(ws, cprs, starts_at) -> CallInInput:
    return replace(from_template(ws.templates["fixed"], today=NOW.date()), cprs=cprs,
                   starts_at=starts_at)


def _hub_messages() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == dfdg.KIND)
                                   .order_by(OutboxMessage.id)))


def _bodies() -> list[dict]:
    return [json.loads(m.body_text) for m in _hub_messages()]


def _hub_log() -> list[SystemLogEntry]:
    return list(db.session.scalars(select(SystemLogEntry).where(
        SystemLogEntry.category == dfdg_delivery.CATEGORY).order_by(SystemLogEntry.id)))


def _sent_audit() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.CALL_IN_SENT_TO_HUB).order_by(AuditEntry.id)))


# ---------------------------------------------------------------------------
# Queued with the change, in its transaction
# ---------------------------------------------------------------------------

def test_call_in_booking_move_and_cancel_are_queued_for_the_hub_R_6_9(ws, hub_files):
    """R-6.9: call-in created, booking made, moved and cancelled: one message each, with the format's fields."""
    citizen = ws.citizens[0]
    result = create_callins(_fixed(ws, [citizen.cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.commit()
    booking = result.bookings[0]
    move_booking(booking, now=NOW, actor=ws.user, starts_at=at(MONDAY, 10))
    db.session.commit()
    cancel_booking(booking, now=NOW, actor=ws.user, reason="Syg")
    db.session.commit()

    bodies = _bodies()
    assert [b["event"] for b in bodies] == ["booking_created", "callin_created", "booking_moved",
                                            "booking_cancelled"]
    for body in bodies:
        assert body["schema"] == "planner-dfdg/1"
        assert body["job_centre"] == {"municipality_code": "751", "name": ws.job_centre.name}
        assert body["citizen"] == {"cpr": citizen.cpr}
        assert body["conversation_number"] == booking.id
        assert body["conversation_type_code"] == booking.conversation_type.code
        assert body["holding_form"] == booking.holding_form.code
        assert body["changed_by"] == "job_centre"
        assert body["occurred_at"] == "2027-02-26T12:00:00+01:00"
    assert len({b["message_id"] for b in bodies}) == 4
    created, callin, moved, cancelled = bodies
    assert callin["callin_number"] == result.callins[0].id and callin["status"] == "booked"
    assert created["starts_at"] == "2027-03-01T09:00:00+01:00"
    assert moved["starts_at"] == "2027-03-01T10:00:00+01:00"
    assert moved["previous"] == {"starts_at": "2027-03-01T09:00:00+01:00",
                                 "ends_at": "2027-03-01T09:30:00+01:00"}
    assert cancelled["status"] == "cancelled"
    # No CPR number where the admin outbox list and the logs show it.
    for message in _hub_messages():
        assert citizen.cpr not in message.subject and citizen.cpr not in message.recipient
        assert message.status == OutboxStatus.QUEUED and message.booking_id == booking.id


def test_a_waiting_call_in_is_reported_without_a_conversation_R_6_9(ws, hub_files):
    """R-6.9: a call-in to the waiting list is reported with its window and status "waiting"."""
    data = replace(from_template(ws.templates["auto"], today=NOW.date()),
                   cprs=[c.cpr for c in ws.citizens[:2]])
    result = create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()
    bodies = _bodies()
    assert [(b["event"], b["status"], b["conversation_number"]) for b in bodies] == [
        ("callin_created", "waiting", None)] * 2
    assert [b["callin_number"] for b in bodies] == [c.id for c in result.callins]
    assert bodies[0]["window"] == {"earliest": "2027-03-01", "deadline": "2027-03-12"}


def test_rolled_back_change_queues_nothing_for_the_hub_R_6_9(ws, hub_files):
    """R-6.9: the messages are rows of the caller's transaction: a rollback drops them."""
    create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.flush()
    assert len(_hub_messages()) == 2
    db.session.rollback()
    assert _hub_messages() == []


def test_transport_none_queues_nothing_R_6_9(ws, app):
    """R-6.9: PLANNER_DFDG_TRANSPORT=none (the default) reports nothing."""
    assert app.config["PLANNER_DFDG_TRANSPORT"] == "none"
    create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.commit()
    assert _hub_messages() == []
    assert dfdg_delivery.send_due(NOW).sent == []


def test_a_new_caseworker_at_the_same_time_is_no_move_for_the_hub_R_6_9(ws, hub_files):
    """R-6.9: only what the hub keeps (the time) makes a move message."""
    booking = create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW,
                             actor=ws.user).bookings[0]
    db.session.commit()
    move_booking(booking, now=NOW, actor=ws.user, caseworker_ids=[ws.bo.id])
    db.session.commit()
    assert [b["event"] for b in _bodies()] == ["booking_created", "callin_created"]


# ---------------------------------------------------------------------------
# The file transport
# ---------------------------------------------------------------------------

def test_file_transport_writes_one_file_per_event_R_6_9(ws, hub_files):
    """R-6.9, R-1.9.1: one JSON file per message, named by its message id; sent, audited, never e-mailed."""
    citizen = ws.citizens[0]
    booking = create_callins(_fixed(ws, [citizen.cpr], at(MONDAY, 9)), now=NOW,
                             actor=ws.user).bookings[0]
    db.session.commit()
    cancel_booking(booking, now=NOW, actor=ws.user)
    db.session.commit()
    # The e-mail sender leaves the hub's messages alone (it would mail "DFDG" otherwise).
    assert all(m.kind != dfdg.KIND for m in delivery.due_messages(NOW, 100))

    report = dfdg_delivery.send_due(NOW)
    assert len(report.sent) == 3 and report.failed == report.retrying == []
    files = sorted(hub_files.iterdir())
    bodies = {b["message_id"]: b for b in _bodies()}
    assert sorted(f.name for f in files) == sorted(f"{mid}.json" for mid in bodies)
    for file in files:
        assert citizen.cpr not in file.name
        assert json.loads(file.read_text(encoding="utf-8")) == bodies[file.stem]
    assert {m.status for m in _hub_messages()} == {OutboxStatus.SENT}
    entries = _sent_audit()
    assert len(entries) == 3
    assert {(e.booking_id, e.citizen_id, e.job_centre_id, e.user_name) for e in entries} == {
        (booking.id, citizen.id, ws.job_centre.id, "system")}
    assert sorted(e.details.split(", ")[0] for e in entries) == [
        "Sendt til DFDG: booking aflyst", "Sendt til DFDG: booking oprettet",
        "Sendt til DFDG: indkaldelse oprettet"]
    # Sent once: a second run finds nothing due.
    assert dfdg_delivery.send_due(NOW + timedelta(hours=1)).sent == []


def test_file_transport_retries_when_the_directory_cannot_be_written_R_6_9(ws, hub_files):
    """R-6.9: a directory that cannot be made is retried with backoff and logged, and leaves no half file."""
    hub_files.parent.mkdir(exist_ok=True)
    hub_files.write_text("a file where the directory should be")
    create_callins(_fixed(ws, [ws.citizens[0].cpr], at(MONDAY, 9)), now=NOW, actor=ws.user)
    db.session.commit()
    report = dfdg_delivery.send_due(NOW)
    assert report.sent == [] and len(report.retrying) == 2
    assert {(m.attempts, m.next_attempt_at) for m in _hub_messages()} == {(1, NOW + timedelta(seconds=60))}
    [entry] = _hub_log()
    assert entry.level == LogLevel.WARNING and "filen kunne ikke skrives" in entry.message
    hub_files.unlink()
    assert len(dfdg_delivery.send_due(NOW + timedelta(seconds=60)).sent) == 2
    assert [p.suffix for p in hub_files.iterdir()] == [".json", ".json"]


# ---------------------------------------------------------------------------
# The HTTPS transport against a local hub with client-certificate verification
# ---------------------------------------------------------------------------

def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool = False,
                 server: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    if server:
        import ipaddress
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(directory: Path, name: str, cert: x509.Certificate, key) -> tuple[str, str]:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@dataclass
class Pki:
    ca: str
    server: tuple[str, str]
    client: tuple[str, str]
    stranger: tuple[str, str]  # a client certificate of another CA: the hub refuses it


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca_key, other_key = _key(), _key()
    ca = _certificate("Test-DFDG CA", ca_key, "Test-DFDG CA", ca_key, ca=True)
    ca_path, _ = _write(directory, "ca", ca, ca_key)
    server_key, client_key, stranger_key = _key(), _key(), _key()
    return Pki(
        ca=ca_path,
        server=_write(directory, "server", _certificate("127.0.0.1", server_key, "Test-DFDG CA",
                                                        ca_key, server=True), server_key),
        client=_write(directory, "client", _certificate("Jobcenter Testby", client_key,
                                                        "Test-DFDG CA", ca_key), client_key),
        stranger=_write(directory, "stranger", _certificate("Ukendt", stranger_key, "Anden CA",
                                                            other_key), stranger_key))


@dataclass
class Hub:
    url: str
    statuses: list[int] = field(default_factory=list)  # answers to give, in turn; then 200
    received: list[tuple[dict, dict]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def tls_maximum() -> ssl.TLSVersion:
    return ssl.TLSVersion.MAXIMUM_SUPPORTED


@pytest.fixture
def hub(app, pki, tls_maximum):
    state = Hub(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers), json.loads(body)))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pki.server)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.maximum_version = tls_maximum
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}/indberetning"
    app.config.update(PLANNER_DFDG_TRANSPORT="https", PLANNER_DFDG_URL=state.url,
                      PLANNER_DFDG_CLIENT_CERT=pki.client[0], PLANNER_DFDG_CLIENT_KEY=pki.client[1],
                      PLANNER_DFDG_CA_BUNDLE=pki.ca, PLANNER_DFDG_TIMEOUT=5,
                      PLANNER_OUTBOX_MAX_ATTEMPTS=3, PLANNER_OUTBOX_BACKOFF_SECONDS=60)
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def _one_call_in(ws) -> None:
    data = replace(from_template(ws.templates["auto"], today=NOW.date()), cprs=[ws.citizens[0].cpr])
    create_callins(data, now=NOW, actor=ws.user)
    db.session.commit()


def test_https_hub_receives_the_message_with_the_client_certificate_R_6_9(ws, hub):
    """R-6.9, R-1.9.1: posted as JSON with its idempotency key; sent and audited."""
    _one_call_in(ws)
    report = dfdg_delivery.send_due(NOW)
    assert len(report.sent) == 1
    [(headers, body)] = hub.received
    assert body == _bodies()[0]
    assert headers["Content-Type"] == "application/json"
    assert headers["Idempotency-Key"] == body["message_id"]
    [message] = _hub_messages()
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.SENT, 1, NOW)
    [entry] = _sent_audit()
    assert entry.citizen_id == ws.citizens[0].id and entry.job_centre_id == ws.job_centre.id
    assert _hub_log() == []


def test_https_hub_answering_500_is_retried_with_backoff_and_logged_R_6_9(ws, hub):
    """R-6.9: a 500 counts a try and waits 60 s, then 120 s; logged without personal data; then sent."""
    _one_call_in(ws)
    hub.statuses[:] = [500, 503]
    assert len(dfdg_delivery.send_due(NOW).retrying) == 1
    [message] = _hub_messages()
    assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 1)
    assert message.next_attempt_at == NOW + timedelta(seconds=60)
    assert "HTTP 500" in message.last_error
    # Not due before its wait is over.
    assert dfdg_delivery.send_due(NOW + timedelta(seconds=59)).retrying == []
    assert len(hub.received) == 1
    assert len(dfdg_delivery.send_due(NOW + timedelta(seconds=60)).retrying) == 1
    assert message.next_attempt_at == NOW + timedelta(seconds=60 + 120)
    assert _sent_audit() == []
    assert len(dfdg_delivery.send_due(NOW + timedelta(seconds=180)).sent) == 1
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 3)
    assert len(_sent_audit()) == 1
    # The same message each time: the hub can tell a repeat by its id.
    assert len({body["message_id"] for _headers, body in hub.received}) == 1
    log = _hub_log()
    assert [e.level for e in log] == [LogLevel.WARNING, LogLevel.WARNING]
    assert "HTTP 500" in log[0].message and "HTTP 503" in log[1].message
    citizen = ws.citizens[0]
    for entry in log:
        assert citizen.cpr not in entry.message and citizen.name not in entry.message
        assert citizen.cpr not in json.dumps(entry.figures)


def test_https_hub_answering_500_every_time_fails_the_message_R_6_9(ws, hub):
    """R-6.9: after PLANNER_OUTBOX_MAX_ATTEMPTS tries the message is failed, with an error in the log."""
    _one_call_in(ws)
    hub.statuses[:] = [500, 500, 500]
    for seconds in (0, 60, 180):
        dfdg_delivery.send_due(NOW + timedelta(seconds=seconds))
    [message] = _hub_messages()
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 3)
    assert _hub_log()[-1].level == LogLevel.ERROR
    assert "opgivet efter 3 forsøg" in _hub_log()[-1].message


def test_https_hub_refusing_the_message_fails_it_at_once_R_6_9(ws, hub):
    """R-6.9: a 400 will not change: failed at once and logged; a 409 (seen before) counts as sent."""
    _one_call_in(ws)
    _one_call_in(replace(ws, citizens=ws.citizens[1:]))
    hub.statuses[:] = [400, 409]
    report = dfdg_delivery.send_due(NOW)
    assert (len(report.failed), len(report.sent)) == (1, 1)
    [entry] = _hub_log()
    assert entry.level == LogLevel.ERROR and "HTTP 400" in entry.message


# TLS 1.2 refuses the certificate within the handshake; with TLS 1.3 the client may see the
# refusal only as the connection dropped after it: both must read as a refused certificate.
@pytest.mark.parametrize("tls_maximum", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_https_hub_refusing_the_client_certificate_fails_and_is_logged_R_6_9(ws, hub, pki, app):
    """R-6.9: a certificate the hub does not trust: the try counts, the run stops, the log says why."""
    app.config.update(PLANNER_DFDG_CLIENT_CERT=pki.stranger[0],
                      PLANNER_DFDG_CLIENT_KEY=pki.stranger[1], PLANNER_OUTBOX_MAX_ATTEMPTS=1)
    _one_call_in(ws)
    _one_call_in(replace(ws, citizens=ws.citizens[1:]))
    report = dfdg_delivery.send_due(NOW)
    assert hub.received == []
    first, second = _hub_messages()
    assert (first.status, first.attempts) == (OutboxStatus.FAILED, 1)
    assert "TLS-forbindelsen blev afvist" in first.last_error
    # Stopped: the other would meet the same refusal; it waits, uncounted.
    assert (second.status, second.attempts) == (OutboxStatus.QUEUED, 0)
    assert report.failed == [first.id]
    levels = [e.level for e in _hub_log()]
    assert LogLevel.ERROR in levels
    assert any("TLS-forbindelsen blev afvist" in e.message for e in _hub_log())
    assert _sent_audit() == []


def test_https_hub_unreachable_keeps_messages_uncounted_and_logs_once_R_6_9(ws, hub, app):
    """R-6.9: no connection at all: nothing counted, one log entry per outage, sent when it is back."""
    good_url = hub.url
    app.config["PLANNER_DFDG_URL"] = f"https://127.0.0.1:{_free_port()}/indberetning"
    _one_call_in(ws)
    for seconds in (0, 60):
        report = dfdg_delivery.send_due(NOW + timedelta(seconds=seconds))
        assert report.unreachable
    [message] = _hub_messages()
    assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 0)
    assert len(_hub_log()) == 1 and "kunne ikke nås" in _hub_log()[0].message
    app.config["PLANNER_DFDG_URL"] = good_url
    assert len(dfdg_delivery.send_due(NOW + timedelta(seconds=120)).sent) == 1


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "named"), [
    ({}, ["PLANNER_DFDG_URL", "PLANNER_DFDG_CLIENT_CERT", "PLANNER_DFDG_CLIENT_KEY"]),
    ({"PLANNER_DFDG_URL": "http://dfdg.example/ind"}, ["PLANNER_DFDG_URL", "PLANNER_DFDG_CLIENT_CERT",
                                                       "PLANNER_DFDG_CLIENT_KEY"]),
    ({"PLANNER_DFDG_URL": "https://dfdg.example/ind", "PLANNER_DFDG_CLIENT_CERT": "/c.pem"},
     ["PLANNER_DFDG_CLIENT_KEY"]),
    ({"PLANNER_DFDG_URL": "https://dfdg.example/ind", "PLANNER_DFDG_CLIENT_CERT": "/c.pem",
      "PLANNER_DFDG_CLIENT_KEY": "/c.key"}, []),
])
def test_production_refuses_https_to_the_hub_without_url_and_certificate_R_6_9(settings, named):
    """R-6.9, R-7.1: the https transport needs an https URL, the client certificate and its key."""
    config = {"SECRET_KEY": "k" * 40, "SESSION_COOKIE_SECURE": True, "REMEMBER_COOKIE_SECURE": True,
              "PLANNER_DEMO_CITIZEN_CODE": "", "PLANNER_CITIZEN_LOGIN": "oidc",
              "PLANNER_DFDG_TRANSPORT": "https"} | settings
    problems = production_problems(config)
    assert [next(w for w in p.split() if w != "PLANNER_DFDG_TRANSPORT" and w.startswith("PLANNER_DFDG"))
            for p in problems] == named
    assert production_problems(config | {"PLANNER_DFDG_TRANSPORT": "file"}) == []


def test_municipality_code_is_three_digits_in_the_database_R_6_9(ws):
    """R-6.9: the code naming the job centre to the hub is three digits or empty."""
    from sqlalchemy.exc import DataError, IntegrityError
    from webapp.models import JobCentre
    for bad in ("75", "7a1", "7511"):
        with pytest.raises((IntegrityError, DataError)):
            with db.session.begin_nested():
                db.session.execute(JobCentre.__table__.update().where(
                    JobCentre.id == ws.job_centre.id).values(municipality_code=bad))
    assert db.session.scalar(select(func.count()).select_from(JobCentre).where(
        JobCentre.municipality_code == "751")) == 1


# ---------------------------------------------------------------------------
# Self-service, group meetings and the case system's appointments
# ---------------------------------------------------------------------------

@pytest.fixture
def centre(create_job_centre, reference_data, hub_files):
    return create_job_centre()


@pytest.fixture
def caseworker(centre, create_caseworker):
    team = next(t for t in centre.teams if t.parent_id is not None)
    return create_caseworker(centre, teams=[team], rid="55501")


def test_a_citizens_self_booking_is_reported_when_confirmed_R_6_9(centre, caseworker, create_offer,
                                                                 create_citizen):
    """R-6.9: a held slot is no booking yet; the confirmed one is reported as made by the citizen."""
    from webapp.selfbooking import reservations as selfbooking
    citizen = create_citizen(centre)
    offer = create_offer([caseworker])
    held = selfbooking.reserve(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert _hub_messages() == []
    booking = selfbooking.confirm(citizen, held.id, now=NOW)
    db.session.commit()
    [body] = _bodies()
    assert (body["event"], body["conversation_number"], body["changed_by"]) == (
        "booking_created", booking.id, "citizen")


def test_a_citizen_joining_and_leaving_a_group_meeting_is_that_citizens_booking_R_6_9(
        centre, caseworker, create_offer, create_citizen, create_room):
    """R-6.9: seats at a group meeting are reported per citizen, never for the others seated."""
    from webapp.models import MeetingForm
    from webapp.selfbooking import meetings
    from webapp.selfbooking import reservations as selfbooking
    room = create_room(centre, capacity=3)
    offer = create_offer([caseworker], meeting_form=MeetingForm.GROUP, room_id=room.id,
                         duration_minutes=60)
    first, second = create_citizen(centre), create_citizen(centre)
    meeting = selfbooking.book(first, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    joined = selfbooking.book(second, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert joined.id == meeting.id
    meetings.cancel(second, joined, now=NOW)
    db.session.commit()
    assert [(b["event"], b["citizen"]["cpr"], b["conversation_number"]) for b in _bodies()] == [
        ("booking_created", first.cpr, meeting.id), ("booking_created", second.cpr, meeting.id),
        ("booking_cancelled", second.cpr, meeting.id)]


def test_the_case_systems_appointments_are_not_reported_back_R_6_9(centre, caseworker,
                                                                  create_citizen):
    """R-6.9, R-1.11.1: an appointment that came through the hub from the case system is not sent back."""
    from webapp.callins import inbound
    citizen = create_citizen(centre)
    outcome = inbound.receive(centre.id, json.dumps({
        "appointment_id": "KSS-1", "action": "create", "caseworker": {"rid": "55501"},
        "citizen_cpr": citizen.cpr, "conversation_type_code": 7,
        "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00"}), now=NOW)
    db.session.commit()
    assert outcome.code == "created"
    assert _hub_messages() == []


def test_https_hub_whose_certificate_is_not_trusted_is_refused_R_6_9(ws, hub, pki, app):
    """R-6.9: the hub's certificate is checked against PLANNER_DFDG_CA_BUNDLE: another is refused."""
    app.config["PLANNER_DFDG_CA_BUNDLE"] = pki.stranger[0]  # not the CA that signed the hub's
    _one_call_in(ws)
    dfdg_delivery.send_due(NOW)
    assert hub.received == []
    [message] = _hub_messages()
    assert message.attempts == 1
    assert "DFDG's certifikat kunne ikke verificeres" in message.last_error


def test_failed_messages_are_queued_again_by_hand_after_the_fix_R_6_9(ws, hub, pki, app, runner):
    """R-6.9: `flask outbox requeue-dfdg` after the certificate is fixed; the same message id is sent."""
    good = (app.config["PLANNER_DFDG_CLIENT_CERT"], app.config["PLANNER_DFDG_CLIENT_KEY"])
    app.config.update(PLANNER_DFDG_CLIENT_CERT=pki.stranger[0],
                      PLANNER_DFDG_CLIENT_KEY=pki.stranger[1], PLANNER_OUTBOX_MAX_ATTEMPTS=1)
    _one_call_in(ws)
    dfdg_delivery.send_due(NOW)
    [message] = _hub_messages()
    assert message.status == OutboxStatus.FAILED
    app.config.update(PLANNER_DFDG_CLIENT_CERT=good[0], PLANNER_DFDG_CLIENT_KEY=good[1])
    result = runner.invoke(args=["outbox", "requeue-dfdg"])
    assert result.exit_code == 0 and "1 failed messages queued again" in result.output
    assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 0)
    result = runner.invoke(args=["outbox", "send-dfdg"])
    assert result.exit_code == 0 and "sent 1" in result.output, result.output
    assert message.status == OutboxStatus.SENT
    assert hub.received[0][1]["message_id"] == json.loads(message.body_text)["message_id"]


def test_send_dfdg_by_hand_says_when_no_transport_is_chosen_R_6_9(app, runner):
    """R-6.9: with PLANNER_DFDG_TRANSPORT=none the command says so instead of doing nothing."""
    result = runner.invoke(args=["outbox", "send-dfdg"])
    assert result.exit_code != 0 and "PLANNER_DFDG_TRANSPORT is none" in result.output


def test_https_with_a_certificate_file_that_cannot_be_read_counts_a_try_and_stops_R_6_9(ws, hub, app,
                                                                                     tmp_path):
    """R-6.9: a wrong path to the client certificate is a try that failed, said in the log; no crash."""
    app.config["PLANNER_DFDG_CLIENT_CERT"] = str(tmp_path / "findes-ikke.pem")
    _one_call_in(ws)
    _one_call_in(replace(ws, citizens=ws.citizens[1:]))
    report = dfdg_delivery.send_due(NOW)
    first, second = _hub_messages()
    assert report.retrying == [first.id] and (second.attempts, second.status) == (0, OutboxStatus.QUEUED)
    assert "kunne ikke læses" in first.last_error
    assert any("kunne ikke læses" in e.message for e in _hub_log())
