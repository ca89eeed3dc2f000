"""One booking-change event: every writer of bookings, each side effect once (R-6.7, R-4.8)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.timehelpers import MONDAY, NOW, at
from webapp.callins import inbound, moves
from webapp.extensions import db
from webapp.models import BookingStatus, DeadlineStatus, SelfBookingDeadline
from webapp.selfbooking import deadlines
from webapp.selfbooking import reservations as selfbooking

DEADLINE = date(2027, 3, 8)
AFTER_DEADLINE = date(2027, 3, 10)


@pytest.fixture
def centre(create_job_centre, reference_data):
    return create_job_centre()


@pytest.fixture
def team(centre):
    return next(t for t in centre.teams if t.parent_id is not None)


@pytest.fixture
def caseworker(centre, team, create_caseworker):
    return create_caseworker(centre, teams=[team], rid="55501")


@pytest.fixture
def citizen(centre, create_citizen):
    return create_citizen(centre, email="borger@example.dk")


@pytest.fixture
def offer(caseworker, create_offer):
    return create_offer([caseworker])


def _deadline(citizen, type_id) -> SelfBookingDeadline:
    deadline = deadlines.create_deadline(citizen, type_id, DEADLINE, today=NOW.date())
    db.session.commit()
    return deadline


def _state(deadline: SelfBookingDeadline) -> tuple[DeadlineStatus, int | None]:
    db.session.refresh(deadline)
    return deadline.status, deadline.booking_id


# ---------------------------------------------------------------------------
# The findings: paths that skipped the deadline update
# ---------------------------------------------------------------------------

def test_staff_cancel_of_a_self_booked_meeting_reopens_the_deadline_R_6_7_R_4_8(
        citizen, offer):
    """R-6.7, R-4.8: the job centre cancels the citizen's self-booked meeting; the deadline is
    open again, as when the citizen cancels, and no longer points at a cancelled booking."""
    deadline = _deadline(citizen, offer.conversation_type_id)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert _state(deadline) == (DeadlineStatus.FULFILLED, booking.id)
    moves.cancel_by_job_centre(booking, reason="Vejlederen er syg", now=NOW)
    db.session.commit()
    assert booking.status == BookingStatus.CANCELLED
    assert _state(deadline) == (DeadlineStatus.OPEN, None)


def test_staff_move_past_the_deadline_reopens_it_R_6_7_R_4_8(citizen, offer):
    """R-6.7, R-4.8: a staff move after the deadline leaves the deadline open; moved back in
    time, the meeting fulfils it again."""
    deadline = _deadline(citizen, offer.conversation_type_id)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    moves.move_by_job_centre(booking, starts_at=at(AFTER_DEADLINE, 9), caseworker_id=None, now=NOW)
    db.session.commit()
    assert _state(deadline) == (DeadlineStatus.OPEN, None)
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 10), caseworker_id=None, now=NOW)
    db.session.commit()
    assert _state(deadline) == (DeadlineStatus.FULFILLED, booking.id)


def _kss(**fields) -> str:
    base = {"appointment_id": "KSS-1", "action": "create", "caseworker": {"rid": "55501"},
            "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00"}
    return json.dumps(base | fields)


def test_case_system_cancel_reopens_the_deadline_it_fulfilled_R_6_7_R_4_8(
        centre, citizen, caseworker, offer):
    """R-6.7, R-4.8: the case system's appointment fulfils the citizen's deadline of its type;
    when the case system cancels it, the deadline is open again."""
    created = inbound.receive(centre.id, _kss(citizen_cpr=citizen.cpr,
                                              conversation_type_code=offer.conversation_type.code),
                              now=NOW)
    db.session.commit()
    assert created.code == "created"
    deadline = _deadline(citizen, offer.conversation_type_id)
    assert _state(deadline) == (DeadlineStatus.FULFILLED, created.booking_id)
    assert inbound.receive(centre.id, _kss(action="cancel"), now=NOW).code == "cancelled"
    db.session.commit()
    assert _state(deadline) == (DeadlineStatus.OPEN, None)
