"""One booking-change event: every writer of bookings, each side effect once (R-6.7, R-4.8)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.integration.planning_support import make_callin
from tests.timehelpers import MONDAY, NOW, at
from webapp.booking.events import after_commit, queued
from webapp.callins import inbound, moves
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingStatus, DeadlineStatus, Letter,
                           LetterActivity, MeetingForm, OutboxMessage, SelfBookingDeadline,
                           SyncMode)
from webapp.planning.instance import prepare
from webapp.planning.publish import publish, solve_prepared
from webapp.selfbooking import deadlines, out_of_slots
from webapp.selfbooking import meetings as meeting_service
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


# ---------------------------------------------------------------------------
# Every writer, one table: the deadline, the messages, the audit entry and
# the out-of-slots check after the commit, and nothing of it when the transaction rolls back
# ---------------------------------------------------------------------------

@dataclass
class World:
    centre: Any
    team: Any
    caseworker: Any
    other: Any
    citizen: Any
    offer: Any
    group_offer: Any
    deadline: SelfBookingDeadline
    start: dict[str, Any]


@pytest.fixture
def world(centre, team, caseworker, citizen, offer, create_caseworker, create_offer,
          create_room) -> World:
    caseworker.sync_mode = SyncMode.ONE_WAY  # so every change also sends an invitation
    other = create_caseworker(centre, teams=[team])
    room = create_room(centre, capacity=3)
    group_offer = create_offer([caseworker], meeting_form=MeetingForm.GROUP, room_id=room.id,
                               duration_minutes=60)
    db.session.commit()
    return World(centre, team, caseworker, other, citizen, offer, group_offer,
                 _deadline(citizen, offer.conversation_type_id), {})


def _book(w: World) -> None:
    w.start["booking"] = selfbooking.book(w.citizen, w.offer, at(MONDAY, 9), now=NOW)


def _book_group(w: World) -> None:
    w.start["booking"] = selfbooking.book(w.citizen, w.group_offer, at(MONDAY, 9), now=NOW)


def _someone_opens_a_group_meeting(w: World, create_citizen: Callable[..., Any]) -> None:
    first = create_citizen(w.centre)
    w.start["booking"] = selfbooking.book(first, w.group_offer, at(MONDAY, 9), now=NOW)


def _book_group_and_someone_opens_another(w: World, create_citizen: Callable[..., Any]) -> None:
    _book_group(w)
    first = create_citizen(w.centre)
    w.start["target"] = selfbooking.book(first, w.group_offer, IN_TIME, now=NOW)


def _call_in(w: World) -> None:
    make_callin(w.team, w.citizen, [w.caseworker], earliest=MONDAY, deadline=date(2027, 3, 5))


def _kss_create(w: World) -> None:
    outcome = inbound.receive(w.centre.id, _kss(citizen_cpr=w.citizen.cpr,
                                                conversation_type_code=w.offer.conversation_type.code),
                              now=NOW)
    w.start["booking"] = db.session.get(Booking, outcome.booking_id)


def _reserve_and_confirm(w: World) -> Booking:
    held = selfbooking.reserve(w.citizen, w.offer, at(MONDAY, 9), now=NOW)
    return selfbooking.confirm(w.citizen, held.id, now=NOW)


def _publish(w: World) -> Booking:
    prepared = prepare(w.centre.id, now=NOW)
    published = publish(prepared, solve_prepared(prepared), now=NOW)
    assert len(published.booking_ids) == 1
    return db.session.get(Booking, published.booking_ids[0])


def _inbound(w: World, **fields: Any) -> Booking:
    outcome = inbound.receive(w.centre.id, _kss(**fields), now=NOW)
    assert outcome.accepted, outcome.detail
    return db.session.get(Booking, outcome.booking_id)


@dataclass(frozen=True)
class Case:
    given: Callable[..., None] | None
    act: Callable[[World], Booking]
    #: the deadline afterwards: fulfilled by the booking `act` returns, or open (R-4.8)
    fulfilled: bool
    #: what is queued: outbox kinds and the letters kept, as sorted lists
    outbox: list[str]
    letters: list[LetterActivity]
    audit: AuditEvent
    #: whether the offer's out-of-slots check runs after the commit (R-4.6)
    checks_offer: bool


IN_TIME, TOO_LATE = at(date(2027, 3, 2), 10), at(AFTER_DEADLINE, 9)
CASES = {
    "self-booking: book": Case(
        None, lambda w: selfbooking.book(w.citizen, w.offer, at(MONDAY, 9), now=NOW),
        True, ["citizen_booked", "invitation"], [], AuditEvent.BOOKING_CREATED, True),
    "self-booking: reserve, then confirm": Case(
        None, _reserve_and_confirm,
        True, ["citizen_booked", "invitation"], [], AuditEvent.BOOKING_CREATED, True),
    "self-booking: a seat at a group meeting (participants)": Case(
        _someone_opens_a_group_meeting,
        lambda w: selfbooking.book(w.citizen, w.group_offer, at(MONDAY, 9), now=NOW),
        True, ["citizen_booked", "invitation"], [], AuditEvent.CITIZEN_ATTACHED, True),
    "citizen cancels": Case(
        _book, lambda w: meeting_service.cancel(w.citizen, w.start["booking"], now=NOW),
        False, ["citizen_cancelled", "invitation"], [], AuditEvent.BOOKING_CANCELLED_BY_CITIZEN,
        True),
    "citizen rebooks in time": Case(
        _book, lambda w: meeting_service.rebook(w.citizen, w.start["booking"], IN_TIME, now=NOW),
        True, ["citizen_rebooked", "invitation"], [], AuditEvent.BOOKING_MOVED_BY_CITIZEN, True),
    "citizen rebooks past the deadline": Case(
        _book, lambda w: meeting_service.rebook(w.citizen, w.start["booking"], TOO_LATE, now=NOW),
        False, ["citizen_rebooked", "invitation"], [], AuditEvent.BOOKING_MOVED_BY_CITIZEN, True),
    "citizen rebooks a group seat to a new meeting": Case(
        _book_group,
        lambda w: meeting_service.rebook(w.citizen, w.start["booking"], IN_TIME, now=NOW),
        True, ["citizen_rebooked", "invitation", "invitation"], [],
        AuditEvent.BOOKING_MOVED_BY_CITIZEN, True),
    "citizen rebooks a group seat to an existing meeting": Case(
        _book_group_and_someone_opens_another,
        lambda w: meeting_service.rebook(w.citizen, w.start["booking"], None, now=NOW,
                                         session_id=w.start["target"].id),
        True, ["citizen_rebooked", "invitation", "invitation"], [],
        AuditEvent.BOOKING_MOVED_BY_CITIZEN, True),
    "staff move past the deadline": Case(
        _book, lambda w: moves.move_by_job_centre(w.start["booking"], starts_at=TOO_LATE,
                                                  caseworker_id=None, now=NOW),
        False, ["invitation", "letter"], [LetterActivity.MOVE],
        AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE, True),
    "staff move to another caseworker in time": Case(
        _book, lambda w: moves.move_by_job_centre(w.start["booking"], starts_at=IN_TIME,
                                                  caseworker_id=w.other.id, now=NOW),
        True, ["invitation", "invitation", "letter"], [LetterActivity.MOVE],
        AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE, True),
    "staff cancel": Case(
        _book, lambda w: moves.cancel_by_job_centre(w.start["booking"], reason="Syg", now=NOW),
        False, ["invitation", "letter"], [LetterActivity.CANCELLATION],
        AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE, True),
    "batch publish": Case(
        _call_in, _publish,
        True, ["invitation", "letter"], [LetterActivity.CALL_IN], AuditEvent.BOOKING_CREATED,
        False),
    "case system: create": Case(
        None, lambda w: _inbound(w, citizen_cpr=w.citizen.cpr,
                                 conversation_type_code=w.offer.conversation_type.code),
        True, ["invitation", "letter"], [LetterActivity.CALL_IN], AuditEvent.BOOKING_CREATED,
        False),
    "case system: move past the deadline": Case(
        _kss_create, lambda w: _inbound(w, action="update",
                                        starts_at="2027-03-10T09:00:00+01:00",
                                        ends_at="2027-03-10T10:00:00+01:00"),
        False, ["invitation", "letter"], [LetterActivity.MOVE],
        AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE, False),
    "case system: cancel": Case(
        _kss_create, lambda w: _inbound(w, action="cancel"),
        False, ["invitation", "letter"], [LetterActivity.CANCELLATION],
        AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE, False),
}


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.coalesce(func.max(model.id), 0)))  # type: ignore[return-value]
                 for model in (OutboxMessage, Letter, AuditEntry))


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
@pytest.mark.parametrize("name", list(CASES))
def test_every_writer_keeps_the_deadline_and_sends_each_side_effect_once_R_6_7_R_4_8(
        world, name, outcome, create_citizen, monkeypatch):
    """R-6.7, R-4.8: each writer of bookings goes through the one booking-change event: the
    citizen's deadline is fulfilled or open as the rule says, never both open and fulfilled
    by a live booking; the receipt or letter and the invitations are queued once, the change is
    audited, and the offer's out-of-slots check runs once after the commit. On a rollback
    none of it happens."""
    case, w = CASES[name], world
    if case.given is not None:
        if case.given in (_someone_opens_a_group_meeting, _book_group_and_someone_opens_another):
            case.given(w, create_citizen)
        else:
            case.given(w)
        db.session.commit()
    before_deadline = _state(w.deadline)
    outbox_from, letters_from, audit_from = _counts()
    checks: list[int | None] = []
    monkeypatch.setattr(out_of_slots, "check_after_commit",
                        lambda offer_id, now, **_: checks.append(offer_id))

    booking = case.act(w)
    booking_id = booking.id
    assert checks == []  # not before the commit

    if outcome == "rollback":
        db.session.rollback()
        db.session.commit()
        assert checks == []
        assert _state(w.deadline) == before_deadline
        assert _counts() == (outbox_from, letters_from, audit_from)
        return

    db.session.commit()
    offer_ids = {w.offer.id, w.group_offer.id}
    assert checks == ([db.session.get(Booking, booking_id).offer_id] if case.checks_offer else [])
    assert set(checks) <= offer_ids
    status, fulfilled_by = _state(w.deadline)
    if case.fulfilled:
        assert (status, fulfilled_by) == (DeadlineStatus.FULFILLED, booking_id)
    else:
        assert (status, fulfilled_by) == (DeadlineStatus.OPEN, None)
    # never an open deadline next to a live booking of the type in time, nor a
    # fulfilled one pointing at a cancelled booking.
    assert db.session.scalar(select(func.count()).select_from(SelfBookingDeadline).where(
        SelfBookingDeadline.citizen_id == w.citizen.id,
        SelfBookingDeadline.status == DeadlineStatus.OPEN)) == (0 if case.fulfilled else 1)
    if fulfilled_by is not None:
        assert db.session.get(Booking, fulfilled_by).status == BookingStatus.BOOKED

    outbox = sorted(db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.id > outbox_from, OutboxMessage.kind != "offer_out_of_slots")))
    assert outbox == case.outbox
    letters = sorted(db.session.scalars(select(Letter.activity).where(Letter.id > letters_from)))
    assert letters == case.letters
    events = list(db.session.scalars(select(AuditEntry.event).where(AuditEntry.id > audit_from)))
    assert events.count(case.audit) == 1, events


def test_after_commit_work_is_dropped_with_its_savepoint_and_runs_once_R_6_7(app):
    """R-6.7: work queued for after the commit runs once when the transaction commits; queued
    inside a savepoint that rolls back, it is dropped; a second item under the same key is
    not queued twice; a failing item is logged and does not stop the next."""
    ran: list[str] = []
    session = db.session()
    after_commit(session, lambda: ran.append("kept"), key="a")
    after_commit(session, lambda: ran.append("twice"), key="a")
    with pytest.raises(RuntimeError):
        with session.begin_nested():
            after_commit(session, lambda: ran.append("savepoint"), key="b")
            raise RuntimeError("refused")
    nested = session.begin_nested()
    after_commit(session, lambda: 1 / 0, key="fails")
    after_commit(session, lambda: ran.append("released"), key="c")
    nested.commit()
    assert queued(session) == ["a", "fails", "c"] and ran == []
    session.commit()
    assert ran == ["kept", "released"] and queued(session) == []
    after_commit(session, lambda: ran.append("rolled back"))
    session.rollback()
    session.commit()
    assert ran == ["kept", "released"]


def test_a_booking_changed_twice_for_one_offer_is_checked_once_after_the_commit_R_6_7(
        world, monkeypatch):
    """R-6.7, R-4.6: however many bookings of one offer change in a transaction, its
    out-of-slots check runs once after the commit."""
    checks: list[int | None] = []
    monkeypatch.setattr(out_of_slots, "check_after_commit",
                        lambda offer_id, now, **_: checks.append(offer_id))
    booking = selfbooking.book(world.citizen, world.offer, at(MONDAY, 9), now=NOW)
    moves.move_by_job_centre(booking, starts_at=at(MONDAY, 11), caseworker_id=None, now=NOW)
    moves.cancel_by_job_centre(booking, reason="Syg", now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert checks == [world.offer.id]


def test_the_api_only_commits_and_the_last_slot_is_noticed_after_it_R_6_7_R_4_6(
        app, client, centre, team, caseworker, create_offer, create_citizen, monkeypatch):
    """R-6.7, R-4.6: the API's booking and cancel views call no out-of-slots check of their own;
    the event queues it, so the team hears of the offer's last slot after the commit and the
    notice re-arms when the citizen cancels."""
    import webapp.api.routes
    from webapp.administration.api_clients import issue_client

    monkeypatch.setattr(webapp.api.routes, "now_local", lambda: NOW)
    team.email = "team@jobcenter.dk"
    offer = create_offer([caseworker], fixed_end_date=MONDAY, rolling_end_weeks=None,
                         duration_minutes=240, accept_cancellation=True)
    create_citizen(centre, cpr="0101054000", email="b@example.dk")
    selfbooking.book(create_citizen(centre), offer, at(MONDAY, 7, 30), now=NOW)
    _, token = issue_client(centre, "Borgerportal")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "X-Citizen-CPR": "010105-4000"}

    def notices() -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "offer_out_of_slots"))

    response = client.post("/api/v1/bookings", headers=headers,
                           json={"offer_id": offer.id, "starts_at": "2027-03-01T11:30:00"})
    assert response.status_code == 201, response.json
    db.session.refresh(offer)
    assert offer.out_of_slots_notified_at == NOW and notices() == 1
    response = client.post(f"/api/v1/bookings/{response.json['id']}/cancel", headers=headers,
                           json={})
    assert response.status_code == 200, response.json
    db.session.refresh(offer)
    assert offer.out_of_slots_notified_at is None and notices() == 1


def _events(booking_id: int) -> list[tuple[AuditEvent, int | None]]:
    return [(entry.event, entry.citizen_id) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.booking_id == booking_id).order_by(AuditEntry.id))]


def test_a_citizens_rebooking_is_audited_as_being_moved_then_moved_by_the_citizen_R_1_9_1(world):
    """R-1.9.1: "booking being moved by citizen" when the move starts, "moved by citizen" when done."""
    _book(world)
    booking = world.start["booking"]
    meeting_service.rebook(world.citizen, booking, IN_TIME, now=NOW)
    db.session.commit()

    events = [event for event, _ in _events(booking.id)]
    assert events[-2:] == [AuditEvent.BOOKING_BEING_MOVED_BY_CITIZEN, AuditEvent.BOOKING_MOVED_BY_CITIZEN]
    assert AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE not in events


def test_a_citizen_leaving_a_group_meeting_others_attend_is_audited_as_detached_R_1_9_1(
        world, create_citizen):
    """R-1.9.1: "citizen detached" on the meeting the citizen left, naming the citizen; the
    meeting goes on for the others."""
    other = create_citizen(world.centre)
    meeting = selfbooking.book(other, world.group_offer, at(MONDAY, 9), now=NOW)
    _book_group(world)
    assert world.start["booking"].id == meeting.id  # the citizen joined the same meeting

    meeting_service.rebook(world.citizen, meeting, IN_TIME, now=NOW)
    db.session.commit()

    assert (AuditEvent.CITIZEN_DETACHED, world.citizen.id) in _events(meeting.id)
    assert db.session.get(Booking, meeting.id).status == BookingStatus.BOOKED


def test_a_staff_move_takes_the_citizens_deadlines_along_R_4_5_R_4_9(world):
    """R-4.5, R-4.9: moved by the job centre, a meeting keeps "cancel until the start" and
    "rebook until N days before" for its new time, not the old one."""
    _book(world)
    booking = world.start["booking"]
    cancel_gap = booking.starts_at - booking.cancellable_until
    rebook_gap = booking.starts_at - booking.rebookable_until

    moves.move_by_job_centre(booking, starts_at=IN_TIME, caseworker_id=None, now=NOW)
    db.session.commit()

    db.session.refresh(booking)
    assert booking.starts_at == IN_TIME
    assert (booking.starts_at - booking.cancellable_until, booking.starts_at - booking.rebookable_until) \
        == (cancel_gap, rebook_gap)
