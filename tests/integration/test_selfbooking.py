"""Self-booking services on a real database: slots, reserve/confirm, cancel, rebook, receipts (§4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.timehelpers import MONDAY, NOW, at
from webapp.domain.errors import Conflict, DomainError, NotFound
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingParticipant, BookingStatus,
                           ContactGroup, MeetingForm, MembershipState, OutboxMessage, Variant)
from webapp.selfbooking import offers
from webapp.messaging import receipts
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import meetings as meeting_service
from webapp.selfbooking import slots as slot_service
from webapp.booking.checks import SlotTaken


@pytest.fixture
def centre(create_job_centre, reference_data):
    return create_job_centre()


@pytest.fixture
def team(centre):
    return next(t for t in centre.teams if t.parent_id is not None)


@pytest.fixture
def two_caseworkers(centre, team, create_caseworker):
    return [create_caseworker(centre, teams=[team], name="Anna Andersen"),
            create_caseworker(centre, teams=[team], name="Bo Berg")]


@pytest.fixture
def citizen(centre, create_citizen):
    return create_citizen(centre, email="borger@example.dk")


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------

def test_r_4_2_slots_start_tomorrow_and_end_at_the_rolling_end(two_caseworkers, create_offer):
    """R-4.2: from tomorrow (at least a day's notice) up to the end date, whole weeks rolling."""
    offer = create_offer(two_caseworkers, rolling_end_weeks=1)
    thursday = datetime(2027, 2, 25, 9, 0)
    slots = slot_service.list_slots(offer, now=thursday)
    assert slots[0].starts_at == at(date(2027, 2, 26), 7, 30)   # tomorrow, not today
    assert slots[-1].starts_at.date() == date(2027, 3, 4)      # today + 1 week
    assert all(s.caseworker_ids == (two_caseworkers[0].id, two_caseworkers[1].id) for s in slots)


def test_r_4_2_fixed_end_and_first_meeting_date_narrow_the_window(two_caseworkers, create_offer):
    """R-4.1, R-4.2: fixed end date and rolling end: the earlier wins; first meeting date holds."""
    offer = create_offer(two_caseworkers, rolling_end_weeks=8, fixed_end_date=date(2027, 3, 3),
                         first_meeting_date=date(2027, 3, 2))
    days = {s.starts_at.date() for s in slot_service.list_slots(offer, now=NOW)}
    assert days == {date(2027, 3, 2), date(2027, 3, 3)}


def test_r_4_3_booked_time_is_not_offered_and_names_who_is_free(two_caseworkers, create_offer,
                                                                create_booking):
    """R-4.3, R-2.2: a caseworker's booking removes them from that start, not the other one."""
    anna, bo = two_caseworkers
    offer = create_offer(two_caseworkers)
    create_booking([anna], at(MONDAY, 9), now=NOW)
    slots = {s.starts_at: s.caseworker_ids for s in
             slot_service.list_slots(offer, now=NOW, first=MONDAY, last=MONDAY)}
    assert slots[at(MONDAY, 9)] == (bo.id,)
    assert slots[at(MONDAY, 10)] == (anna.id, bo.id)
    only_anna = slot_service.list_slots(offer, now=NOW, first=MONDAY, last=MONDAY,
                                       caseworker_id=anna.id)
    assert at(MONDAY, 9) not in {s.starts_at for s in only_anna}


def test_r_1_2_8_closed_membership_gets_no_new_self_bookings(two_caseworkers, team, create_offer):
    """R-1.2.8: "close and keep meetings" keeps meetings but stops new self-bookings."""
    anna, bo = two_caseworkers
    offer = create_offer(two_caseworkers)
    # Both are offered before the membership is closed: the rule, not the set-up, removes Anna.
    before = slot_service.list_slots(offer, now=NOW, first=MONDAY, last=MONDAY)
    assert {s.caseworker_ids for s in before} == {(anna.id, bo.id)}
    anna.memberships[0].state = MembershipState.CLOSED_KEEP_MEETINGS
    db.session.commit()
    slots = slot_service.list_slots(offer, now=NOW, first=MONDAY, last=MONDAY)
    assert {s.caseworker_ids for s in slots} == {(bo.id,)}


def test_r_1_2_3_caseworkers_without_the_call_in_flag_get_no_self_bookings(two_caseworkers,
                                                                          create_offer):
    """R-1.2.3: a caseworker who may not be assigned call-ins is never offered to citizens."""
    anna, bo = two_caseworkers
    offer = create_offer(two_caseworkers)
    bo.can_be_assigned_callins = False
    db.session.commit()
    slots = slot_service.list_slots(offer, now=NOW, first=MONDAY, last=MONDAY)
    assert slots and {s.caseworker_ids for s in slots} == {(anna.id,)}


@pytest.mark.parametrize("change, visible", [
    ({}, True),
    ({"active": False}, False),
    ({"visible_from": date(2027, 2, 27)}, False),
    ({"visible_from": date(2027, 2, 26)}, True),
    ({"fixed_end_date": date(2027, 2, 26), "rolling_end_weeks": None}, False),
])
def test_r_4_2_only_active_visible_offers_are_shown(two_caseworkers, create_offer, citizen,
                                                   change, visible):
    """R-4.2: active, visible from today, and with a bookable day left."""
    offer = create_offer(two_caseworkers, **change)
    assert (offer in offers.offers_for_citizen(citizen, NOW.date())) is visible


def test_r_4_2_rules_match_contact_group_age_and_postal_code(two_caseworkers, create_offer,
                                                            centre, create_citizen):
    """R-4.2, R-4.1: an offer's rules decide which citizens see it; empty rules admit all."""
    groups = db.session.scalars(select(ContactGroup).order_by(ContactGroup.id)).all()
    offer = create_offer(two_caseworkers, min_age=18, max_age=29, postal_codes="8000-8099, 8200")
    offer.contact_groups = [groups[0]]
    db.session.commit()
    # CPR 0101{yy}...: born 1 January 20yy/19yy by the century digit rule.
    young = create_citizen(centre, cpr="0101054000", contact_group_id=groups[0].id,
                           postal_code="8000")
    assert offers.citizen_matches(offer, young, NOW.date())
    for n, change in enumerate(({"contact_group_id": groups[1].id}, {"postal_code": "8100"},
                                {"postal_code": None}, {"cpr": "0101701234"})):
        other = create_citizen(centre, **{"cpr": f"010105400{n + 1}",
                                          "contact_group_id": groups[0].id,
                                          "postal_code": "8200", **change})
        assert not offers.citizen_matches(offer, other, NOW.date()), change
    offer.contact_groups, offer.min_age, offer.max_age, offer.postal_codes = [], None, None, None
    anyone = create_citizen(centre)
    assert offers.citizen_matches(offer, anyone, NOW.date())


def test_r_0_1_offer_of_another_job_centre_is_not_found(two_caseworkers, create_offer,
                                                       create_job_centre, create_citizen):
    """R-0.1: a citizen never sees another job centre's offer."""
    offer = create_offer(two_caseworkers)
    stranger = create_citizen(create_job_centre())
    with pytest.raises(NotFound):
        offers.offer_for_citizen(offer.id, stranger, NOW.date())


# ---------------------------------------------------------------------------
# Reserve and confirm
# ---------------------------------------------------------------------------

def test_r_4_7_reserve_holds_the_slot_for_that_citizen_then_confirm_books(
        two_caseworkers, create_offer, citizen, centre, create_citizen):
    """R-4.7: a reservation blocks the slot for others until confirmed; confirm books it."""
    anna, _ = two_caseworkers
    offer = create_offer([anna])
    held = selfbooking.reserve(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert held.booking.status == BookingStatus.RESERVED
    assert held.expires_at == NOW + selfbooking.reservation_hold()
    other = create_citizen(centre)
    with pytest.raises(SlotTaken):
        selfbooking.reserve(other, offer, at(MONDAY, 9), now=NOW + timedelta(minutes=1))
    db.session.rollback()
    with pytest.raises(SlotTaken) as caught:
        selfbooking.confirm(other, held.id, now=NOW + timedelta(minutes=1))
    assert caught.value.code == "reservation_expired"
    db.session.rollback()
    booking = selfbooking.confirm(citizen, held.id, now=NOW + timedelta(minutes=2))
    db.session.commit()
    assert booking.status == BookingStatus.BOOKED
    assert booking.cancellable_until == at(MONDAY, 9)
    assert booking.rebookable_until == at(MONDAY, 9) - timedelta(days=1)
    events = set(db.session.scalars(select(AuditEntry.event).where(AuditEntry.booking_id == booking.id)))
    assert {AuditEvent.BOOKING_CREATED, AuditEvent.CITIZEN_ATTACHED} <= events


def test_r_4_7_expired_reservation_frees_itself_and_cannot_be_confirmed(
        two_caseworkers, create_offer, citizen, centre, create_citizen):
    """R-4.7: after the hold, another citizen takes the slot; the late confirm gets 409."""
    anna, _ = two_caseworkers
    offer = create_offer([anna])
    held = selfbooking.reserve(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    later = NOW + selfbooking.reservation_hold() + timedelta(seconds=1)
    assert at(MONDAY, 9) in {s.starts_at for s in slot_service.list_slots(offer, now=later)}
    other = create_citizen(centre)
    selfbooking.book(other, offer, at(MONDAY, 9), now=later)
    db.session.commit()
    with pytest.raises(SlotTaken) as caught:
        selfbooking.confirm(citizen, held.id, now=later)
    assert caught.value.http_status == 409 and caught.value.code == "reservation_expired"


def test_r_4_3_planner_chooses_the_least_loaded_caseworker(two_caseworkers, create_offer, citizen,
                                                          create_booking):
    """R-4.3: without a choice, the caseworker with fewer meetings that day gets it."""
    anna, bo = two_caseworkers
    create_booking([anna], at(MONDAY, 13), now=NOW)
    offer = create_offer(two_caseworkers)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    assert [link.caseworker_id for link in booking.caseworker_links] == [bo.id]


@pytest.mark.parametrize("chooses, pick, code", [
    (False, "anna", "caseworker_choice_not_allowed"),
    (True, "stranger", "unknown_caseworker"),
])
def test_r_4_3_caseworker_choice_only_where_the_offer_allows(
        two_caseworkers, create_offer, citizen, centre, create_caseworker, chooses, pick, code):
    """R-4.3: the citizen picks the caseworker only if the offer says so."""
    offer = create_offer(two_caseworkers, citizen_chooses_caseworker=chooses)
    cw = two_caseworkers[0] if pick == "anna" else create_caseworker(centre)
    with pytest.raises(DomainError) as caught:
        selfbooking.reserve(citizen, offer, at(MONDAY, 9), now=NOW, caseworker_id=cw.id)
    assert caught.value.code == code
    db.session.rollback()
    assert count(Booking) == 0


def test_r_4_3_chosen_caseworker_gets_the_booking(two_caseworkers, create_offer, citizen):
    """R-4.3: the citizen's choice of caseworker is honoured."""
    _, bo = two_caseworkers
    offer = create_offer(two_caseworkers, citizen_chooses_caseworker=True)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW, caseworker_id=bo.id)
    assert booking.caseworkers == [bo]


@pytest.mark.parametrize("starts_at, code, message", [
    (at(date(2027, 2, 26), 14), "too_soon", "Der kan tidligst bookes fra i morgen."),
    (at(MONDAY + timedelta(weeks=6), 9), "outside_offer",
     "Tidspunktet ligger uden for tilbuddets periode."),
])
def test_r_4_2_bad_times_are_refused_in_danish_and_nothing_saved(
        two_caseworkers, create_offer, citizen, starts_at, code, message):
    """R-4.2: today and times after the end date are refused with a Danish message."""
    offer = create_offer(two_caseworkers)
    with pytest.raises(DomainError) as caught:
        selfbooking.reserve(citizen, offer, starts_at, now=NOW)
    assert (caught.value.code, caught.value.message_da) == (code, message)
    db.session.rollback()
    assert count(Booking) == 0


def test_r_4_4_taken_time_answers_taken_choose_another(two_caseworkers, create_offer, citizen,
                                                      centre, create_citizen):
    """R-4.4: when every caseworker is taken, the answer is "taken, choose another" (409)."""
    anna, _ = two_caseworkers
    offer = create_offer([anna])
    selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    with pytest.raises(SlotTaken) as caught:
        selfbooking.book(create_citizen(centre), offer, at(MONDAY, 9), now=NOW)
    assert caught.value.http_status == 409
    assert caught.value.message_da.startswith("Tiden er desværre taget")


def test_r_2_4_constraint_refusal_after_the_check_ends_the_booking_as_taken(
        two_caseworkers, create_offer, citizen, centre, create_citizen, monkeypatch):
    """R-2.4, R-4.4: self-booking flushes without a savepoint; should the database's
    overlap constraint still refuse a booking the check let through, the answer is
    "taken" (409), no other caseworker is tried, and rolling back leaves nothing."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    from webapp.booking import writer as booking_service
    from webapp.booking.checks import RaceLost
    anna, _ = two_caseworkers
    offer = create_offer([anna])
    first = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    # Blind the checks, as a writer that skipped them would be: only the constraint is left.
    busy_free = [slot_service.Slot(at(MONDAY, 9), at(MONDAY, 9, 30), (anna.id,))]
    monkeypatch.setattr(selfbooking, "slots_at", lambda *a, **k: busy_free)
    monkeypatch.setattr(booking_service, "check_free", lambda req, **k: [anna])
    with pytest.raises(RaceLost) as caught:
        selfbooking.book(create_citizen(centre), offer, at(MONDAY, 9), now=NOW)
    assert caught.value.http_status == 409 and caught.value.code == "slot_taken"
    db.session.rollback()
    assert [b.id for b in db.session.scalars(select(Booking))] == [first.id]


def test_r_4_7_one_meeting_per_offer_and_a_new_pick_releases_the_old_hold(
        two_caseworkers, create_offer, citizen):
    """R-4.7: picking another time lets the first hold go; a booked citizen rebooks instead."""
    offer = create_offer(two_caseworkers[:1])
    first = selfbooking.reserve(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    second = selfbooking.reserve(citizen, offer, at(MONDAY, 10), now=NOW)
    db.session.commit()
    assert first.expires_at is not None
    assert db.session.execute(select(Booking.starts_at, Booking.status)).all() == [
        (at(MONDAY, 10), BookingStatus.RESERVED)]
    selfbooking.confirm(citizen, second.id, now=NOW)
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        selfbooking.reserve(citizen, offer, at(MONDAY, 11), now=NOW)
    assert caught.value.code == "already_booked"


# ---------------------------------------------------------------------------
# Group meetings
# ---------------------------------------------------------------------------

@pytest.fixture
def group_offer(two_caseworkers, create_offer, centre, create_room):
    room = create_room(centre, capacity=2)
    return create_offer(two_caseworkers, meeting_form=MeetingForm.GROUP, room_id=room.id,
                        duration_minutes=60)


def test_r_4_3_group_meeting_fills_seats_then_is_full(group_offer, centre, create_citizen):
    """R-4.3, R-1.5.1: the first citizen opens a meeting with all caseworkers; seats fill up."""
    a, b, c = (create_citizen(centre) for _ in range(3))
    first = selfbooking.book(a, group_offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert len(first.caseworker_links) == 2 and first.seats == 2
    slots = slot_service.list_slots(group_offer, now=NOW, first=MONDAY, last=MONDAY)
    session = next(s for s in slots if s.session_id == first.id)
    assert session.seats_left == 1
    # The same start, asked as a time, joins the existing meeting.
    joined = selfbooking.book(b, group_offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    assert joined.id == first.id
    assert first.id not in {s.session_id for s in
                            slot_service.list_slots(group_offer, now=NOW, first=MONDAY, last=MONDAY)}
    with pytest.raises(SlotTaken) as caught:
        selfbooking.book(c, group_offer, None, now=NOW, session_id=first.id)
    assert caught.value.code == "no_seats"


def test_r_4_7_group_seat_hold_expires_and_frees_the_seat(group_offer, centre, create_citizen):
    """R-4.7, R-2.4: a held seat counts until it expires; then another citizen gets it."""
    a, b, c = (create_citizen(centre) for _ in range(3))
    session = selfbooking.book(a, group_offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    held = selfbooking.reserve(b, group_offer, None, now=NOW, session_id=session.id)
    db.session.commit()
    assert held.id.startswith("s")
    with pytest.raises(SlotTaken):
        selfbooking.reserve(c, group_offer, None, now=NOW, session_id=session.id)
    db.session.rollback()
    later = NOW + selfbooking.reservation_hold() + timedelta(seconds=1)
    selfbooking.book(c, group_offer, None, now=later, session_id=session.id)
    db.session.commit()
    with pytest.raises(SlotTaken):
        selfbooking.confirm(b, held.id, now=later)
    db.session.rollback()
    attending = set(db.session.scalars(select(BookingParticipant.citizen_id).where(
        BookingParticipant.booking_id == session.id)))
    assert attending == {a.id, c.id}


def test_r_4_7_group_seat_confirm_attends(group_offer, centre, create_citizen):
    """R-4.7: confirming a held seat makes the citizen attend; the seat count stays right."""
    a, b = create_citizen(centre), create_citizen(centre)
    session = selfbooking.book(a, group_offer, at(MONDAY, 9), now=NOW)
    held = selfbooking.reserve(b, group_offer, None, now=NOW, session_id=session.id)
    booking = selfbooking.confirm(b, held.id, now=NOW + timedelta(minutes=1))
    db.session.commit()
    rows = db.session.execute(select(BookingParticipant.citizen_id, BookingParticipant.reserved_until)
                              .where(BookingParticipant.booking_id == booking.id)).all()
    assert sorted(rows) == sorted([(a.id, None), (b.id, None)])


def test_r_1_7_3_group_rebooking_only_to_same_team_type_and_variant(
        group_offer, centre, create_citizen, create_booking, two_caseworkers):
    """R-1.7.3: a group seat moves only to a group meeting of the same team, type and variant."""
    a = create_citizen(centre, email="a@example.dk")
    mine = selfbooking.book(a, group_offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    variant = Variant(job_centre_id=centre.id, name="Anden variant")
    db.session.add(variant)
    db.session.commit()
    other_kind = create_booking(two_caseworkers, at(MONDAY, 13), now=NOW,
                                meeting_form=MeetingForm.GROUP, variant_id=variant.id)
    with pytest.raises(DomainError) as caught:
        meeting_service.rebook(a, mine, None, now=NOW, session_id=other_kind.id)
    assert caught.value.code == "rebooking_other_kind"
    assert caught.value.message_da.startswith("Et fællesmøde kan kun ombookes")
    db.session.rollback()
    moved = meeting_service.rebook(a, mine, at(MONDAY, 11), now=NOW)
    db.session.commit()
    assert moved.id != mine.id and moved.starts_at == at(MONDAY, 11)
    assert db.session.get(Booking, mine.id).status == BookingStatus.CANCELLED
    kinds = db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.recipient == "a@example.dk", OutboxMessage.kind.like("citizen_%"))
        .order_by(OutboxMessage.id)).all()
    assert kinds == ["citizen_booked", "citizen_rebooked"]


# ---------------------------------------------------------------------------
# Cancel and rebook under the offer's limits, receipts
# ---------------------------------------------------------------------------

def test_r_4_5_cancel_until_the_start_and_not_when_the_offer_forbids(
        two_caseworkers, create_offer, citizen, centre, create_citizen):
    """R-4.5: cancellation where the offer allows it, until the meeting starts."""
    offer = create_offer(two_caseworkers, accept_cancellation=False)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        meeting_service.cancel(citizen, booking, now=NOW)
    assert caught.value.code == "cancellation_not_allowed"
    assert caught.value.message_da.startswith(
        "Denne samtale kan ikke aflyses online. Kontakt jobcentret: ")
    db.session.rollback()
    open_offer = create_offer(two_caseworkers)
    other = create_citizen(centre, email="x@example.dk")
    booking = selfbooking.book(other, open_offer, at(MONDAY, 10), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        meeting_service.cancel(other, booking, now=at(MONDAY, 10))
    assert caught.value.code == "cancellation_too_late"
    db.session.rollback()
    cancelled = meeting_service.cancel(other, booking, now=at(MONDAY, 9, 59))
    db.session.commit()
    assert cancelled.status == BookingStatus.CANCELLED
    assert at(MONDAY, 10) in {s.starts_at for s in slot_service.list_slots(open_offer, now=NOW)}
    assert db.session.scalar(select(AuditEntry.event).where(
        AuditEntry.booking_id == booking.id,
        AuditEntry.event == AuditEvent.BOOKING_CANCELLED_BY_CITIZEN)) is not None


@pytest.mark.parametrize("terms, now, code", [
    ({"accept_rebooking": False}, NOW, "rebooking_not_allowed"),
    ({"rebooking_until_days": 2}, datetime(2027, 2, 27, 9, 0), "rebooking_too_late"),
])
def test_r_4_5_rebooking_only_where_and_until_the_offer_allows(
        two_caseworkers, create_offer, citizen, terms, now, code):
    """R-4.5: rebooking where allowed and until N days before; nothing changes otherwise."""
    offer = create_offer(two_caseworkers, **terms)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        meeting_service.rebook(citizen, booking, at(MONDAY, 11), now=now)
    assert caught.value.code == code
    db.session.rollback()
    assert db.session.get(Booking, booking.id).starts_at == at(MONDAY, 9)


def test_r_4_5_rebook_moves_the_booking_and_renews_its_limits(two_caseworkers, create_offer,
                                                             citizen):
    """R-4.5, R-4.9: the same booking moves; its limits follow the new time; a receipt goes."""
    offer = create_offer(two_caseworkers[:1], rebooking_until_days=1)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    # Fifteen minutes later overlaps the citizen's own meeting: allowed, it is being moved.
    moved = meeting_service.rebook(citizen, booking, at(MONDAY, 9, 15), now=NOW)
    db.session.commit()
    assert moved.id == booking.id and moved.starts_at == at(MONDAY, 9, 15)
    assert moved.rebookable_until == at(MONDAY, 9, 15) - timedelta(days=1)
    assert moved.cancellable_until == at(MONDAY, 9, 15)
    subjects = db.session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.kind.like("citizen_%")).order_by(OutboxMessage.id)).all()
    assert subjects == ["Kvittering: din samtale med jobcentret er booket",
                        "Kvittering: din samtale med jobcentret er flyttet"]
    body = db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.kind == "citizen_rebooked")).one()
    assert "mandag 1. marts 2027 kl. 09:15" in body
    assert ("Du kan ombooke samtalen på selvbetjeningen indtil søndag 28. februar 2027 kl. 09:15."
            in body)


def test_r_4_9_receipts_on_book_and_cancel_only_for_the_citizens_own_changes(
        two_caseworkers, create_offer, citizen, create_booking):
    """R-4.9: receipts for the citizen's own booking and cancellation, none for staff bookings."""
    offer = create_offer(two_caseworkers)
    create_booking(two_caseworkers[:1], at(MONDAY, 13), citizens=[citizen], now=NOW)
    assert not db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.kind.like("citizen_%"))).all()
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    meeting_service.cancel(citizen, booking, now=NOW)
    db.session.commit()
    kinds = db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.kind.like("citizen_%")).order_by(OutboxMessage.id)).all()
    assert kinds == ["citizen_booked", "citizen_cancelled"]


def test_r_4_9_reminders_the_day_before_once_per_meeting(two_caseworkers, create_offer, citizen,
                                                        centre, create_citizen):
    """R-4.9: one reminder per meeting and citizen the day before; a second run adds none."""
    offer = create_offer(two_caseworkers)
    selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    selfbooking.book(create_citizen(centre), offer, at(MONDAY, 10), now=NOW)   # no e-mail
    selfbooking.book(create_citizen(centre, email="later@example.dk"), offer,
                     at(MONDAY + timedelta(days=1), 9), now=NOW)
    db.session.commit()
    sunday = datetime(2027, 2, 28, 7, 0)
    assert receipts.queue_reminders(sunday) == 1
    assert receipts.queue_reminders(sunday) == 0
    reminder = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "citizen_reminder")).one()
    assert reminder.recipient == "borger@example.dk"
    assert "Tid: mandag 1. marts 2027 kl. 09:00–09:30" in reminder.body_text


def test_r_1_1_4_receipt_names_the_room_address_else_the_team_address(
        two_caseworkers, create_offer, citizen, team, centre, create_room):
    """R-1.1.4, R-1.4.4: the place is the room's address, or the team's when the room has none."""
    team.address, team.postal_code, team.city = "Vestergade 12B", "8000", "Aarhus C"
    room = create_room(centre, name="Lokale 3")
    offer = create_offer(two_caseworkers, room_id=room.id)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    assert receipts.meeting_place(booking) == f"{team.name}, Vestergade 12B, 8000 Aarhus C"
    room.address, room.postal_code, room.city = "Søndergade 1", "8000", "Aarhus C"
    assert receipts.meeting_place(booking) == "Lokale 3, Søndergade 1, 8000 Aarhus C"


def test_r_1_9_1_citizen_cannot_reach_another_citizens_booking(two_caseworkers, create_offer,
                                                              citizen, centre, create_citizen):
    """R-0.1, R-1.9.1: someone else's meeting is "not found"; seeing one's own is audited."""
    offer = create_offer(two_caseworkers)
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    with pytest.raises(NotFound):
        meeting_service.booking_for_citizen(create_citizen(centre), booking.id)
    meeting_service.see_booking(citizen, meeting_service.booking_for_citizen(citizen, booking.id))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == AuditEvent.BOOKING_SEEN_BY_CITIZEN)) == 1
