"""The inbound endpoint under bad input: stable JSON errors, every message logged (R-7.6, R-7.8)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.timehelpers import NOW
from webapp.extensions import db
from webapp.models import ApiClient, Booking, InboundMessage

URL = "/integration/v1/appointments"
CPR = "0101901234"


@pytest.fixture
def kss(app, reference_data, create_job_centre, create_caseworker, create_citizen, monkeypatch):
    """A case-system token for a job centre with caseworker RID 55501 (07:30-16:00 Mon-Fri)."""
    from webapp.administration.api_clients import issue_client

    monkeypatch.setattr("webapp.integration.now_local", lambda: NOW)
    centre = create_job_centre()
    create_caseworker(centre, rid="55501")
    create_citizen(centre, cpr=CPR)
    _, token = issue_client(centre, "KSS", ApiClient.CASE_SYSTEM)
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def message(**fields) -> dict:
    return {"appointment_id": "KSS-1", "action": "create", "caseworker": {"rid": "55501"},
            "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00"} | fields


def post(client, headers, body: str | bytes):
    return client.post(URL, data=body, headers=headers)


def assert_refused_and_logged(response, code: str, field: str | None) -> InboundMessage:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.is_json
    body = response.json
    assert (body["code"], body["field"]) == (code, field), body
    assert body["message_da"] and body["message_en"] and body["message_da"] != body["message_en"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    logged = db.session.scalars(select(InboundMessage)).all()
    assert [m.outcome for m in logged] == ["rejected"]
    return logged[0]


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"conversation_type_code": "1"}, "wrong_type", "conversation_type_code"),
    ({"conversation_type_code": "abc"}, "wrong_type", "conversation_type_code"),
    ({"conversation_type_code": [1]}, "wrong_type", "conversation_type_code"),
    ({"conversation_type_code": True}, "wrong_type", "conversation_type_code"),
    ({"conversation_type_code": 4.0}, "wrong_type", "conversation_type_code"),
    ({"conversation_type_code": 2 ** 70}, "out_of_range", "conversation_type_code"),
    ({"conversation_type_code": -4}, "out_of_range", "conversation_type_code"),
    ({"conversation_type_code": 999}, "unknown_conversation_type", "conversation_type_code"),
    ({"starts_at": "9999-12-31T09:00:00+01:00", "ends_at": "9999-12-31T10:00:00+01:00"},
     "out_of_range", "starts_at"),
    ({"starts_at": "9999-12-31T23:00:00-14:00"}, "out_of_range", "starts_at"),
    ({"ends_at": "2101-01-01T10:00:00+01:00"}, "out_of_range", "ends_at"),
    ({"starts_at": "1899-12-31T09:00:00+01:00"}, "out_of_range", "starts_at"),
    ({"starts_at": 20270301}, "wrong_type", "starts_at"),
    ({"starts_at": ["2027-03-01T09:00:00+01:00"]}, "wrong_type", "starts_at"),
    ({"starts_at": "2027-03-01T09:00:00+01:00" + " " * 100}, "too_long", "starts_at"),
    ({"starts_at": "i morgen"}, "invalid_datetime", "starts_at"),
    ({"starts_at": "2027-03-01T09:00:00"}, "missing_offset", "starts_at"),
    ({"appointment_id": "KSS\u00001"}, "invalid_text", "appointment_id"),
    ({"appointment_id": "KSS\u001b[2J"}, "invalid_text", "appointment_id"),
    ({"appointment_id": "K" * 101}, "too_long", "appointment_id"),
    ({"appointment_id": 4711}, "wrong_type", "appointment_id"),
    ({"appointment_id": "  "}, "missing", "appointment_id"),
    ({"action": ["create"]}, "invalid_choice", "action"),
    ({"action": "delete"}, "invalid_choice", "action"),
    ({"caseworker": {"rid": 55501}}, "wrong_type", "caseworker"),
    ({"caseworker": {"rid": "5" * 21}}, "too_long", "caseworker"),
    ({"caseworker": {"email": "a\u0000@b.dk"}}, "invalid_text", "caseworker"),
    ({"caseworker": "55501"}, "wrong_type", "caseworker"),
    ({"citizen_cpr": 101901234}, "wrong_type", "citizen_cpr"),
    ({"citizen_cpr": "123"}, "cpr_length", "citizen_cpr"),
    ({"ends_at": "2027-06-09T10:00:00+02:00"}, "appointment_too_long", "ends_at"),
    ({"ends_at": "2027-03-02T10:00:00+01:00"}, "appointment_too_long", "ends_at"),
    ({"ends_at": "2027-03-01T08:00:00+01:00"}, "ends_before_starts", "ends_at"),
    ({"ends_at": "2027-03-01T09:00:30+01:00"}, "whole_minutes", "ends_at"),
    ({"starts_at": "2027-03-01T06:00:00+01:00", "ends_at": "2027-03-01T07:00:00+01:00"},
     "outside_working_day", "starts_at"),
    ({"starts_at": "2027-03-01T15:30:00+01:00", "ends_at": "2027-03-01T16:30:00+01:00"},
     "outside_working_day", "starts_at"),
    ({"starts_at": "2027-03-06T09:00:00+01:00", "ends_at": "2027-03-06T10:00:00+01:00"},
     "outside_working_day", "starts_at"),
])
def test_r_7_6_each_bad_value_is_a_stable_json_error_and_logged(client, kss, fields, code, field):
    """R-7.6 / R-7.4: every bad value is a 422 with code, field and both messages, never a 500;
    the message is logged as rejected and nothing is booked."""
    logged = assert_refused_and_logged(post(client, kss, json.dumps(message(**fields))), code, field)
    assert logged.detail


def test_r_7_6_a_lone_surrogate_is_refused_and_logged(client, kss):
    """R-7.6: JSON may spell a lone surrogate ("\\ud800"); it is refused, and the log stores it."""
    body = json.dumps(message()).replace('"KSS-1"', '"KSS-\\ud800"')
    logged = assert_refused_and_logged(post(client, kss, body), "invalid_text", "appointment_id")
    assert "\\ud800" in logged.raw


@pytest.mark.parametrize(("body", "code"), [
    (b'{"appointment_id": "KSS-\x00-1", "action": "create"}', "invalid_json"),
    (b'\x00\x00\x00', "invalid_json"),
    (b'{"appointment_id": "\xff\xfe KSS"}', "invalid_utf8"),
    (b'{"a": NaN}', "invalid_json"),
    (b'{"a": Infinity}', "invalid_json"),
], ids=["nul-in-json", "nul-only", "bad-utf8", "nan", "infinity"])
def test_r_7_6_raw_bodies_that_are_no_json_are_refused_and_logged(client, kss, body, code):
    """R-7.6: NUL bytes, broken UTF-8 or NaN in the body: a JSON error, and the raw body logged
    with its control characters escaped (PostgreSQL cannot store a NUL)."""
    response = post(client, kss, body)
    assert response.status_code == 422 and response.is_json
    assert (response.json["code"], response.json["field"]) == (code, None), response.json
    db.session.rollback()
    logged = db.session.scalar(select(InboundMessage))
    assert logged is not None and logged.outcome == "rejected"
    assert "\x00" not in logged.raw


def test_r_7_6_an_unexpected_failure_is_logged_as_failed_and_answered_in_json(client, kss, monkeypatch):
    """R-7.6: a fault inside the service rolls back its work, logs the message as failed with a
    generic reason and answers a JSON error, not a 500."""
    def broken(*args, **kwargs):
        raise RuntimeError("relation bookings_xyz violated")

    monkeypatch.setattr("webapp.callins.inbound.create_booking", broken)
    response = post(client, kss, json.dumps(message()))
    assert response.status_code == 422 and response.is_json
    assert response.json["code"] == "processing_failed"
    assert "bookings_xyz" not in json.dumps(response.json)
    db.session.rollback()
    logged = db.session.scalar(select(InboundMessage))
    assert (logged.outcome, logged.external_id) == ("failed", "KSS-1")
    assert "bookings_xyz" not in (logged.detail or "") + logged.raw
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_r_7_6_a_valid_message_inside_the_working_day_is_accepted(client, kss):
    """R-7.6: the whole working day (07:30-16:00) is open to the case system."""
    response = post(client, kss, json.dumps(message(starts_at="2027-03-01T07:30:00+01:00",
                                                    ends_at="2027-03-01T16:00:00+01:00",
                                                    conversation_type_code=4)))
    assert response.status_code == 200, response.json
    assert response.json["outcome"] == "created"


@pytest.mark.parametrize("appointment_id", [CPR, "010190-1234", "KSS 0101901234"])
def test_r_7_8_an_appointment_id_holding_a_cpr_number_is_refused_and_logged_masked(
        client, kss, appointment_id):
    """R-7.8: a CPR number never becomes a stored external id; the log keeps it masked."""
    body = json.dumps(message(appointment_id=appointment_id, citizen_cpr=CPR))
    logged = assert_refused_and_logged(post(client, kss, body), "appointment_id_is_cpr",
                                       "appointment_id")
    assert "1234" not in (logged.external_id or "")
    assert "1234" not in logged.raw and "010190-****" in logged.raw


def test_r_7_8_the_citizen_cpr_is_masked_in_the_log_of_an_accepted_message(client, kss):
    """R-7.8: the citizen's CPR is a field of the message; the log keeps only its birth date."""
    response = post(client, kss, json.dumps(message(citizen_cpr="010190-1234")))
    assert response.status_code == 200, response.json
    logged = db.session.scalar(select(InboundMessage))
    assert "1234" not in logged.raw and "010190-****" in logged.raw


def test_r_7_6_a_fault_outside_the_service_still_logs_the_message(client, kss, monkeypatch):
    """R-7.6: should the service itself fail (its log write, the commit), the request rolls back,
    logs the message as failed and still answers JSON."""
    def broken(*args, **kwargs):
        db.session.add(Booking())  # half-done work that must not be committed
        raise RuntimeError("relation bookings_xyz violated")

    monkeypatch.setattr("webapp.callins.inbound.receive", broken)
    response = post(client, kss, json.dumps(message(citizen_cpr=CPR)))
    assert response.status_code == 422 and response.is_json
    assert response.json["code"] == "processing_failed"
    db.session.rollback()
    logged = db.session.scalar(select(InboundMessage))
    assert (logged.outcome, logged.external_id) == ("failed", "KSS-1") and "1234" not in logged.raw
    assert db.session.scalar(select(func.count(Booking.id))) == 0
