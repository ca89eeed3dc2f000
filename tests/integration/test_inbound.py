"""Inbound appointments from the municipal case system (R-1.11.1)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from tests.timehelpers import MONDAY, NOW, at as at_day
from webapp.extensions import db
from webapp.models import Booking, BookingOrigin, BookingStatus, InboundMessage
from webapp.calendar import availability
from webapp.callins.inbound import receive


def at(hh: int, mm: int = 0) -> datetime:
    return at_day(MONDAY, hh, mm)


@pytest.fixture
def setup(create_job_centre, create_caseworker, create_citizen, reference_data):
    centre = create_job_centre()
    caseworker = create_caseworker(centre, rid="55501")
    citizen = create_citizen(centre)
    return centre, caseworker, citizen


def message(**fields) -> str:
    base = {"appointment_id": "KSS-1", "action": "create", "caseworker": {"rid": "55501"},
            "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00"}
    return json.dumps(base | fields)


def test_create_move_cancel_block_time_and_are_logged(setup):
    """R-1.11.1: the appointment takes the caseworker's time; each message is logged raw."""
    centre, caseworker, citizen = setup
    outcome = receive(centre.id, message(citizen_cpr=citizen.cpr), now=NOW)
    db.session.commit()
    assert outcome.code == "created"
    booking = db.session.get(Booking, outcome.booking_id)
    assert (booking.origin, booking.starts_at, booking.ends_at, booking.external_id) == \
        (BookingOrigin.IMPORTED, at(9), at(10), "KSS-1")
    assert [p.citizen_id for p in booking.participants] == [citizen.id]
    assert availability.free_caseworkers_at([caseworker.id], at(9, 30), at(9, 45), now=NOW) == []

    # Summer time offsets are honoured too: 07:00Z on 1 March is 08:00 in Copenhagen.
    assert receive(centre.id, message(action="update", starts_at="2027-03-01T07:00:00Z",
                                      ends_at="2027-03-01T07:30:00Z"), now=NOW).code == "moved"
    assert (booking.starts_at, booking.ends_at) == (at(8), at(8, 30))
    assert receive(centre.id, message(action="cancel"), now=NOW).code == "cancelled"
    db.session.commit()
    assert booking.status == BookingStatus.CANCELLED
    logged = db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()
    assert [m.outcome for m in logged] == ["created", "moved", "cancelled"]
    assert citizen.cpr not in logged[0].raw and citizen.cpr[:6] in logged[0].raw


def test_r_7_6_outside_the_working_day_is_refused_and_a_clash_is_rejected(setup, create_booking):
    """R-7.6: an appointment lies within the caseworker's working day (07:30-16:00 here), also
    when moved; within it only another booking stops it (R-1.11.1)."""
    centre, caseworker, _ = setup
    early = receive(centre.id, message(appointment_id="KSS-2", starts_at="2027-03-01T06:00:00+01:00",
                                       ends_at="2027-03-01T07:00:00+01:00"), now=NOW)
    assert (early.code, early.error.code, early.error.field) == \
        ("rejected", "outside_working_day", "starts_at")
    assert "06:00–07:00" in early.detail and "07:30–16:00" in early.detail
    long = receive(centre.id, message(appointment_id="KSS-2", ends_at="2027-06-09T10:00:00+02:00"),
                   now=NOW)
    assert (long.code, long.error.code) == ("rejected", "appointment_too_long")
    edges = receive(centre.id, message(appointment_id="KSS-4", starts_at="2027-03-01T07:30:00+01:00",
                                       ends_at="2027-03-01T08:00:00+01:00"), now=NOW)
    assert edges.code == "created"
    late_move = receive(centre.id, message(appointment_id="KSS-4", action="update",
                                           starts_at="2027-03-01T15:45:00+01:00",
                                           ends_at="2027-03-01T16:15:00+01:00"), now=NOW)
    assert (late_move.code, late_move.error.code) == ("rejected", "outside_working_day")
    assert db.session.get(Booking, edges.booking_id).starts_at == at(7, 30)
    create_booking([caseworker], at(9), now=NOW)
    clash = receive(centre.id, message(appointment_id="KSS-3"), now=NOW)
    db.session.commit()
    assert clash.code == "rejected" and "optaget" in clash.detail
    assert db.session.scalar(select(Booking).where(Booking.external_id == "KSS-3")) is None


def test_unknown_caseworker_is_ignored_and_so_are_later_moves(setup):
    """R-1.11.1 / §1.2.3 note 3: logged and ignored, later moves of it too."""
    centre, caseworker, _ = setup
    first = receive(centre.id, message(appointment_id="KSS-9", caseworker={"rid": "999999"}),
                    now=NOW)
    later = receive(centre.id, message(appointment_id="KSS-9", action="update"), now=NOW)
    db.session.commit()
    assert (first.code, later.code) == ("ignored_unknown_caseworker",
                                        "ignored_unknown_appointment")
    assert db.session.scalar(select(Booking.id)) is None


@pytest.mark.parametrize("raw, words", [
    ("not json", "Ikke gyldig JSON"),
    ("[1, 2]", "JSON-objekt"),
    (message(action="delete"), "action skal være"),
    (message(appointment_id=""), "appointment_id mangler"),
    (message(starts_at="i morgen"), "ISO 8601"),
    (message(starts_at="2027-03-01T09:00:00"), "UTC-forskydning"),
    (message(ends_at="2027-03-01T08:00:00+01:00"), "efter starts_at"),
    (message(caseworker="55501"), "objekt"),
    (message(citizen_cpr="123"), "CPR"),
])
def test_bad_messages_are_rejected_logged_and_change_nothing(setup, raw, words):
    """R-1.11.1: a bad message changes nothing but its log line, which says why."""
    centre, _, _ = setup
    outcome = receive(centre.id, raw, now=NOW)
    db.session.commit()
    assert outcome.code == "rejected"
    assert words in outcome.detail
    assert db.session.scalar(select(Booking.id)) is None
    assert db.session.scalar(select(InboundMessage.outcome)) == "rejected"


def test_the_http_endpoint_needs_a_case_system_token(setup, client):
    """R-1.11.1: only a case-system token may send appointments; a portal token may not."""
    from webapp.administration.api_clients import issue_client
    from webapp.models import ApiClient

    centre, caseworker, _ = setup
    _, case_token = issue_client(centre, "KSS", ApiClient.CASE_SYSTEM)
    _, portal_token = issue_client(centre, "Borgerportal")
    db.session.commit()
    url = "/integration/v1/appointments"
    for headers in ({}, {"Authorization": f"Bearer {portal_token}"},
                    {"Authorization": "Bearer nonsense"}):
        assert client.post(url, data=message(), headers=headers).status_code == 401
    assert db.session.scalar(select(InboundMessage.id)) is None
    # Times are in the past for the real clock: put the appointment far ahead.
    ok = client.post(url, data=message(starts_at="2099-03-02T09:00:00+01:00",
                                       ends_at="2099-03-02T09:30:00+01:00"),
                     headers={"Authorization": f"Bearer {case_token}"})
    assert ok.status_code == 200, ok.json
    assert ok.json["outcome"] == "created"
    bad = client.post(url, data="{", headers={"Authorization": f"Bearer {case_token}"})
    assert bad.status_code == 422
    assert bad.json["code"] == "invalid_json" and "JSON" in bad.json["message_da"]
    # A portal token cannot be used the other way round either: the citizen API refuses it.
    assert client.get("/api/v1/offers", headers={"Authorization": f"Bearer {case_token}",
                                                 "X-Citizen-CPR": "0101801234"}).status_code == 401


@pytest.mark.parametrize("raw", [
    '{"appointment_id": "KSS-\ud800", "action": "create"}',
    '{"appointment_id": "KSS-\x00", "action": "create"}',
    '\x00{"appointment_id": "0101901234"}\ud83d',
], ids=["lone-surrogate", "nul-in-string", "nul-and-surrogate-outside-json"])
def test_r_7_6_the_log_stores_any_text_escaped(setup, raw):
    """R-7.6: whatever text arrives, its log line is written (PostgreSQL refuses a NUL and a
    lone surrogate): control characters and surrogates escaped, CPR numbers masked (R-7.8)."""
    centre, _, _ = setup
    outcome = receive(centre.id, raw, now=NOW)
    db.session.commit()
    assert outcome.code == "rejected"
    logged = db.session.scalar(select(InboundMessage))
    assert "\x00" not in logged.raw and "\ud800" not in logged.raw and "1234" not in logged.raw
    assert "\\x00" in logged.raw or "\\ud8" in logged.raw
