"""Meetings on the daylight-saving nights: refused in the missing hour, exact in calendar files (R-7.7)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.workspace_setup import PASSWORD, build_workspace
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, Booking, CallIn, OutboxAttachment, OutboxMessage,
                           WorkingTime)
from webapp.messaging import ics as calendar_ics
from webapp.callins import moves
from webapp.callins.calling import create_callins, from_template
from webapp.callins.inbound import receive

SPRING_NOW = datetime(2028, 3, 20, 12, 0)      # the Monday before the clocks go forward
AUTUMN_NOW = datetime(2027, 10, 25, 12, 0)     # the Monday before the clocks go back
SPRING_NIGHT = datetime(2028, 3, 26)
AUTUMN_NIGHT = datetime(2027, 10, 31)


def _at(night: datetime, hh: int, mm: int = 0) -> datetime:
    return night.replace(hour=hh, minute=mm)


@pytest.fixture
def ws(app, reference_data):
    """The workspace, with Anna on a Sunday night shift that covers both changeovers."""
    ws = build_workspace()
    ws.anna.working_times.append(WorkingTime(weekday=6, start_time=time(0), end_time=time(6)))
    db.session.commit()
    return ws


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (CallIn, Booking, OutboxMessage, AuditEntry)}


def _fixed(ws, starts_at: datetime, now: datetime, **changes):
    data = from_template(ws.templates["fixed"], today=now.date())
    return replace(data, cprs=[ws.citizens[0].cpr], starts_at=starts_at, room_id=None, **changes)


def _events(ics: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def _span(event: icalendar.Event) -> tuple[datetime, datetime]:
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
    return start.astimezone(UTC), end.astimezone(UTC)


def _invitation(booking: Booking) -> bytes:
    attachment = db.session.scalars(
        select(OutboxAttachment).join(OutboxMessage)
        .where(OutboxMessage.booking_id == booking.id, OutboxMessage.kind == "invitation")).one()
    return attachment.data


@pytest.mark.parametrize("starts_at, minutes", [
    (_at(SPRING_NIGHT, 2, 30), 30),     # starts in the missing hour
    (_at(SPRING_NIGHT, 2, 0), 30),      # starts at the jump itself
    (_at(SPRING_NIGHT, 1, 45), 30),     # ends at 02:15, which never happens
    (_at(SPRING_NIGHT, 1, 30), 120),    # runs through the missing hour
])
def test_R_7_7_fixed_call_in_in_the_spring_forward_gap_is_refused_and_saves_nothing(
        ws, starts_at, minutes):
    before = _counts()
    with pytest.raises(DomainError) as caught:
        create_callins(_fixed(ws, starts_at, SPRING_NOW, duration_minutes=minutes),
                       now=SPRING_NOW, actor=ws.user)
    db.session.rollback()
    assert caught.value.code == "time_does_not_exist"
    assert caught.value.field == "starts_at"
    assert "sommertid" in caught.value.message_da and "summer time" in caught.value.message_en
    assert _counts() == before


def test_R_7_7_call_in_form_shows_the_danish_message_for_a_time_that_does_not_exist(
        client, ws, monkeypatch):
    monkeypatch.setattr("webapp.caseworker.routes.now_local", lambda: SPRING_NOW)
    monkeypatch.setattr("webapp.caseworker.routes.today_local", lambda: SPRING_NOW.date())
    login(client, ws.user, PASSWORD)
    template = ws.templates["fixed"]
    response = client.post("/caseworker/callins/new", data={
        "template_id": template.id, "cprs": ws.citizens[0].cpr,
        "conversation_type_id": template.conversation_type_id, "variant_id": template.variant_id,
        "meeting_form": "individual", "holding_form_id": template.holding_form_id,
        "team_id": template.team_id, "caseworker_ids": [ws.anna.id], "duration_minutes": 30,
        "deadline_mode": "days_after_creation", "deadline_days": 21, "distribution": "fixed_time",
        "starts_at": "2028-03-26T02:30"})
    assert response.status_code == 400
    assert "findes ikke på grund af overgang til sommertid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_R_7_7_staff_move_into_the_gap_is_refused_and_the_booking_stays(ws):
    result = create_callins(_fixed(ws, _at(SPRING_NIGHT, 1, 0), SPRING_NOW), now=SPRING_NOW,
                            actor=ws.user)
    db.session.commit()
    booking = result.bookings[0]
    with pytest.raises(DomainError) as caught:
        moves.move_by_job_centre(booking, starts_at=_at(SPRING_NIGHT, 2, 15), caseworker_id=None,
                                   now=SPRING_NOW, actor=ws.user)
    db.session.rollback()
    assert caught.value.code == "time_does_not_exist"
    db.session.expire_all()
    assert (booking.starts_at, booking.ends_at) == (_at(SPRING_NIGHT, 1, 0), _at(SPRING_NIGHT, 1, 30))
    assert booking.ics_sequence == 0


def test_R_7_7_inbound_appointment_at_the_second_doubled_hour_is_rejected(ws):
    ws.anna.rid = "55501"
    db.session.commit()
    message = {"appointment_id": "KSS-DST", "action": "create", "caseworker": {"rid": "55501"},
               # 01:30 UTC: the second 02:30 of the night, in winter time.
               "starts_at": "2027-10-31T02:30:00+01:00", "ends_at": "2027-10-31T03:00:00+01:00"}
    outcome = receive(ws.job_centre.id, json.dumps(message), now=AUTUMN_NOW)
    db.session.commit()
    assert outcome.code == "rejected"
    assert "findes to gange" in outcome.detail
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


@pytest.mark.parametrize("starts_at, minutes, utc_start", [
    # The first 02:30 (summer time, +02:00) by the documented rule: 30 minutes, not 90.
    (_at(AUTUMN_NIGHT, 2, 30), 30, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    (_at(AUTUMN_NIGHT, 2, 0), 60, datetime(2027, 10, 31, 0, 0, tzinfo=UTC)),
    (_at(AUTUMN_NIGHT, 1, 30), 120, datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
    (_at(AUTUMN_NIGHT, 3, 0), 30, datetime(2027, 10, 31, 2, 0, tzinfo=UTC)),
    (_at(SPRING_NIGHT, 1, 0), 60, datetime(2028, 3, 26, 0, 0, tzinfo=UTC)),
    (_at(SPRING_NIGHT, 3, 0), 30, datetime(2028, 3, 26, 1, 0, tzinfo=UTC)),
])
def test_R_7_7_invitation_and_feed_carry_the_exact_duration(ws, starts_at, minutes, utc_start):
    now = SPRING_NOW if starts_at.month == 3 else AUTUMN_NOW
    result = create_callins(_fixed(ws, starts_at, now, duration_minutes=minutes), now=now,
                            actor=ws.user)
    db.session.commit()
    booking = result.bookings[0]
    assert (booking.starts_at, booking.ends_at) == (starts_at, starts_at + timedelta(minutes=minutes))

    [invited] = _events(_invitation(booking))
    calendar_ics.issue_feed_token(ws.anna)
    [fed] = _events(calendar_ics.feed(ws.anna, today=now.date(), now=now))
    for event in (invited, fed):
        start, end = _span(event)
        assert start == utc_start
        assert end - start == timedelta(minutes=minutes)


def test_R_7_7_a_stored_meeting_in_the_gap_still_ends_after_it_starts(ws):
    """A row from before the rule (02:30 on the March night) reads as 03:30 summer time."""
    result = create_callins(_fixed(ws, _at(SPRING_NIGHT, 1, 0), SPRING_NOW), now=SPRING_NOW,
                            actor=ws.user)
    booking = result.bookings[0]
    booking.starts_at, booking.ends_at = _at(SPRING_NIGHT, 2, 30), _at(SPRING_NIGHT, 3, 0)
    db.session.commit()
    [event] = _events(calendar_ics.invitation(booking, ws.anna, now=SPRING_NOW))
    start, end = _span(event)
    assert start == datetime(2028, 3, 26, 1, 30, tzinfo=UTC)
    assert end - start == timedelta(minutes=30)
