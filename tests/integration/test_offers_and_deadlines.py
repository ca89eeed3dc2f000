"""Offers from templates, the out-of-slots notice and self-booking deadlines (R-4.1, R-1.1.5, R-4.6, R-4.8)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (CallInTemplate, ContactGroup, ConversationType, DeadlineStatus,
                           HoldingForm, LogLevel, OnlineOffer, OutboxMessage, SelfBookingDeadline,
                           SystemLogEntry)
from webapp.selfbooking import deadlines
from webapp.selfbooking import offers, out_of_slots
from webapp.selfbooking import reservations as selfbooking
from webapp.selfbooking import meetings as meeting_service
from webapp.selfbooking import slots as slot_service

NOW = datetime(2027, 2, 26, 12, 0)
MONDAY = date(2027, 3, 1)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm))


@pytest.fixture
def centre(create_job_centre, reference_data):
    return create_job_centre()


@pytest.fixture
def team(centre):
    return next(t for t in centre.teams if t.parent_id is not None)


@pytest.fixture
def caseworker(centre, team, create_caseworker):
    return create_caseworker(centre, teams=[team])


@pytest.fixture
def template(centre, team, caseworker):
    group = db.session.scalars(select(ContactGroup)).first()
    template = CallInTemplate(
        job_centre_id=centre.id, name="Jobsamtale skabelon", team_id=team.id,
        conversation_type_id=db.session.scalars(select(ConversationType.id)).first(),
        holding_form_id=db.session.scalars(select(HoldingForm.id)).first(),
        duration_minutes=45, reporting_minutes=15, description="Kom og tal om job",
        accept_rebooking=True, rebooking_until_days=3, citizen_chooses_caseworker=True,
        rolling_end_weeks=6, activate_offer_at_once=True, deadline_days=14)
    template.caseworkers = [caseworker]
    template.contact_groups = [group]
    db.session.add(template)
    db.session.commit()
    return template


def test_r_1_5_4_offer_from_template_copies_every_field_and_stays_editable(template, caseworker):
    """R-4.1, R-1.5.4: the template pre-fills the offer; overrides win; audited."""
    offer = offers.offer_from_template(template, name="Book en jobsamtale",
                                       fixed_end_date=date(2027, 4, 30), min_age=18)
    db.session.commit()
    assert (offer.duration_minutes, offer.reporting_minutes, offer.description) == (
        45, 15, "Kom og tal om job")
    assert (offer.rebooking_until_days, offer.citizen_chooses_caseworker) == (3, True)
    assert (offer.rolling_end_weeks, offer.fixed_end_date, offer.min_age) == (6, date(2027, 4, 30), 18)
    assert offer.active is True and offer.template_id == template.id
    assert offer.caseworkers == [caseworker]
    assert offer.contact_groups == template.contact_groups


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": " "}, "name", "Giv tilbuddet et navn."),
    ({"rolling_end_weeks": None}, "fixed_end_date",
     "Angiv en fast slutdato eller en løbende slutdato i hele uger."),
    ({"fixed_end_date": date(2027, 3, 1), "first_meeting_date": date(2027, 3, 5)},
     "fixed_end_date", "Slutdatoen ligger før første mødedato."),
    ({"min_age": 30, "max_age": 20}, "min_age", "Mindstealderen er større end maksimalalderen."),
    ({"postal_codes": "8000-79x"}, "postal_codes",
     "»8000-79x« er ikke et postnummer eller et interval som 8000-8099."),
    ({"postal_codes": "8100-8000"}, "postal_codes", "Intervallet 8100-8000 går baglæns."),
])
def test_r_4_1_bad_offer_fields_are_refused_in_danish_and_nothing_saved(template, overrides,
                                                                        field, message):
    """R-4.1: an offer needs a name, an end, a sane window and readable rules."""
    name = overrides.pop("name", "Tilbud")
    with pytest.raises(DomainError) as caught:
        offers.offer_from_template(template, name=name, **overrides)
    assert (caught.value.field, caught.value.message_da) == (field, message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OnlineOffer)) == 0


def test_r_1_1_5_last_slot_taken_mails_the_nearest_ancestor_once(
        centre, team, caseworker, create_offer, create_citizen, create_booking):
    """R-1.1.5, R-4.6: out of slots → one e-mail to the team, or the first ancestor with one;
    never repeated for the same exhaustion, sent again after slots came back and ran out."""
    team.email = None
    team.parent.email = "rod@jobcenter.dk"
    db.session.commit()
    offer = create_offer([caseworker], fixed_end_date=MONDAY, rolling_end_weeks=None,
                         duration_minutes=240)
    # 07:30-16:00 fits two four-hour meetings from 07:30 on the 15-minute grid minus one.
    slots = slot_service.list_slots(offer, now=NOW)
    assert slots
    citizens = [create_citizen(centre) for _ in range(3)]

    def notices() -> list[OutboxMessage]:
        return db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "offer_out_of_slots")).all()

    # The check runs after each booking's commit; called again it changes nothing.
    first = selfbooking.book(citizens[0], offer, at(MONDAY, 7, 30), now=NOW)
    db.session.commit()
    assert offer.out_of_slots_notified_at is None and notices() == []
    assert out_of_slots.refresh_out_of_slots(offer, NOW, near=first.starts_at) is None
    second = selfbooking.book(citizens[1], offer, at(MONDAY, 11, 30), now=NOW)
    db.session.commit()
    assert offer.out_of_slots_notified_at == NOW
    assert out_of_slots.refresh_out_of_slots(offer, NOW, near=second.starts_at) is None
    db.session.commit()
    assert [n.recipient for n in notices()] == ["rod@jobcenter.dk"]
    assert "har ikke flere ledige tider" in notices()[0].subject
    # A cancellation brings a slot back: re-armed; the next exhaustion mails again.
    meeting_service.cancel(citizens[1], second, now=NOW)
    db.session.commit()
    assert offer.out_of_slots_notified_at is None
    selfbooking.book(citizens[2], offer, at(MONDAY, 11, 30), now=NOW + timedelta(minutes=1))
    db.session.commit()
    assert offer.out_of_slots_notified_at == NOW + timedelta(minutes=1)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "offer_out_of_slots")) == 2


def test_r_4_6_caseworkers_free_at_booking_time_are_looked_up_again_after_the_commit(
        centre, team, caseworker, create_caseworker, create_offer, create_citizen):
    """R-4.6: the check after a booking first asks whether the caseworkers found free at
    that start still are; once they are taken too, the offer reads as exhausted."""
    other = create_caseworker(centre, teams=[team])
    offer = create_offer([caseworker, other], fixed_end_date=MONDAY, rolling_end_weeks=None,
                         duration_minutes=240)
    citizens = [create_citizen(centre) for _ in range(4)]
    first = selfbooking.book_slot(citizens[0], offer, at(MONDAY, 7, 30), now=NOW)
    db.session.commit()
    booked_cw = first.booking.caseworker_links[0].caseworker_id
    assert first.others_free == tuple({caseworker.id, other.id} - {booked_cw})
    assert slot_service.has_free_slot(offer, now=NOW, near=at(MONDAY, 7, 30),
                                     others_free=first.others_free)
    second = selfbooking.book_slot(citizens[1], offer, at(MONDAY, 7, 30), now=NOW)
    db.session.commit()
    assert second.others_free == ()
    # 07:30 is full now, 11:30 is not: the stale list is not trusted, the day is looked at.
    assert slot_service.has_free_slot(offer, now=NOW, near=at(MONDAY, 7, 30),
                                     others_free=first.others_free)
    for citizen in citizens[2:]:
        selfbooking.book(citizen, offer, at(MONDAY, 11, 30), now=NOW)
    db.session.commit()
    assert not slot_service.has_free_slot(offer, now=NOW, near=at(MONDAY, 7, 30),
                                         others_free=first.others_free)


def test_r_4_6_check_after_a_booking_marks_exhaustion_and_re_arms(
        centre, team, caseworker, create_caseworker, create_offer, create_citizen):
    """R-4.6, R-1.1.5: the check after the commit answers from the colleagues found free at
    that start while one still is; it re-arms a marked offer, and notices the last slot."""
    team.email = "team@jobcenter.dk"
    other = create_caseworker(centre, teams=[team])
    offer = create_offer([caseworker, other], fixed_end_date=MONDAY, rolling_end_weeks=None,
                         duration_minutes=240)
    citizens = [create_citizen(centre) for _ in range(4)]
    first = selfbooking.book_slot(citizens[0], offer, at(MONDAY, 7, 30), now=NOW)
    busy_until = first.booking.caseworker_links[0].busy_until
    db.session.commit()

    def check(notified: bool) -> None:
        out_of_slots.check_after_commit(offer.id, NOW, near=at(MONDAY, 7, 30),
                                  others_free=first.others_free, busy_until=busy_until,
                                  notified=notified)

    def notices() -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "offer_out_of_slots"))

    check(notified=False)                   # a colleague is free at 07:30: nothing to do
    assert offer.out_of_slots_notified_at is None and notices() == 0
    offer.out_of_slots_notified_at = NOW    # marked earlier; slots came back since
    db.session.commit()
    check(notified=True)
    assert offer.out_of_slots_notified_at is None and notices() == 0
    for citizen, hour in zip(citizens[1:], (7, 11, 11)):
        selfbooking.book(citizen, offer, at(MONDAY, hour, 30), now=NOW)
    db.session.commit()
    check(notified=False)                   # the colleague is taken now: the whole offer is
    assert offer.out_of_slots_notified_at == NOW and notices() == 1


def test_r_1_1_5_no_email_anywhere_sends_nothing(centre, team, caseworker, create_offer):
    """R-1.1.5: with no e-mail on the team or any ancestor nothing is sent (and it is logged)."""
    team.email = None
    team.parent.email = None
    db.session.commit()
    offer = create_offer([caseworker], fixed_end_date=date(2027, 2, 27), rolling_end_weeks=None)
    assert out_of_slots.refresh_out_of_slots(offer, NOW) is None       # a Saturday: no slots at all
    assert offer.out_of_slots_notified_at == NOW
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    [logged] = db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "selfbooking")).all()
    assert logged.level == LogLevel.WARNING and logged.job_centre_id == offer.job_centre_id
    assert offer.name in logged.message and "e-mailadresse" in logged.message


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------

@pytest.fixture
def citizen(centre, create_citizen):
    return create_citizen(centre)


@pytest.mark.parametrize("deadline_date, code, message", [
    (NOW.date() + timedelta(days=7), "deadline_too_soon",
     "Fristen skal ligge mindst 8 dage ude i fremtiden (tidligst 06.03.2027)."),
    (None, "deadline_missing", "Angiv en frist."),
])
def test_r_4_8_deadline_at_least_eight_days_ahead(citizen, deadline_date, code, message):
    """R-4.8: a self-booking deadline is at least 8 days ahead; Danish message, nothing saved."""
    type_id = db.session.scalars(select(ConversationType.id)).first()
    with pytest.raises(DomainError) as caught:
        deadlines.create_deadline(citizen, type_id, deadline_date, today=NOW.date())
    assert (caught.value.code, caught.value.message_da) == (code, message)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SelfBookingDeadline)) == 0


def test_r_4_8_booking_fulfils_cancel_reopens_and_passed_ones_are_listed(
        citizen, caseworker, create_offer, centre, create_citizen):
    """R-4.8: a booking of the type before the deadline fulfils it; never both an open deadline
    and a fulfilling booking; cancelling re-opens it; unfulfilled ones are listed once passed."""
    offer = create_offer([caseworker])
    deadline = deadlines.create_deadline(citizen, offer.conversation_type_id, date(2027, 3, 8),
                                         today=NOW.date())
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        deadlines.create_deadline(citizen, offer.conversation_type_id, date(2027, 3, 9),
                                  today=NOW.date())
    assert caught.value.code == "deadline_exists"
    db.session.rollback()
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    db.session.commit()
    db.session.refresh(deadline)
    assert (deadline.status, deadline.booking_id) == (DeadlineStatus.FULFILLED, booking.id)
    assert deadlines.open_deadlines(citizen) == []
    # Rebooked past the deadline: no longer fulfilled.
    meeting_service.rebook(citizen, booking, at(date(2027, 3, 10), 9), now=NOW)
    db.session.commit()
    db.session.refresh(deadline)
    assert (deadline.status, deadline.booking_id) == (DeadlineStatus.OPEN, None)
    meeting_service.rebook(citizen, booking, at(date(2027, 3, 5), 9), now=NOW)
    db.session.commit()
    db.session.refresh(deadline)
    assert deadline.status == DeadlineStatus.FULFILLED
    meeting_service.cancel(citizen, booking, now=NOW)
    db.session.commit()
    db.session.refresh(deadline)
    assert (deadline.status, deadline.booking_id) == (DeadlineStatus.OPEN, None)
    # Another citizen who never books: listed once the day has passed.
    lazy = create_citizen(centre)
    deadlines.create_deadline(lazy, offer.conversation_type_id, date(2027, 3, 8), today=NOW.date())
    db.session.commit()
    assert deadlines.passed_unfulfilled(centre.id, date(2027, 3, 8)) == []
    assert deadlines.mark_passed(date(2027, 3, 9)) == 2
    db.session.commit()
    listed = deadlines.passed_unfulfilled(centre.id, date(2027, 3, 9))
    assert {d.citizen_id for d in listed} == {citizen.id, lazy.id}
    assert deadlines.passed_unfulfilled(centre.id + 1000, date(2027, 3, 9)) == []


def test_r_4_8_existing_booking_fulfils_a_new_deadline_at_once(citizen, caseworker, create_offer):
    """R-4.8: a citizen never holds an open deadline next to a booking that fulfils it."""
    offer = create_offer([caseworker])
    booking = selfbooking.book(citizen, offer, at(MONDAY, 9), now=NOW)
    deadline = deadlines.create_deadline(citizen, offer.conversation_type_id, date(2027, 3, 8),
                                         today=NOW.date())
    db.session.commit()
    assert (deadline.status, deadline.booking_id) == (DeadlineStatus.FULFILLED, booking.id)


def test_r_4_8_only_an_open_deadline_of_the_type_in_time_is_fulfilled(citizen, caseworker,
                                                                      create_offer, centre,
                                                                      create_citizen):
    """R-4.8: a self-booking fulfils the citizen's own open deadline of the offer's type when
    the meeting starts on or before it; another type's, another citizen's, or one that falls
    before the meeting stays open."""
    offer = create_offer([caseworker])
    other_type = db.session.scalars(select(ConversationType.id).where(
        ConversationType.id != offer.conversation_type_id)).first()
    assert other_type is not None
    neighbour = create_citizen(centre)
    too_early = deadlines.create_deadline(citizen, offer.conversation_type_id, date(2027, 3, 8),
                                          today=NOW.date())
    other_kind = deadlines.create_deadline(citizen, other_type, date(2027, 3, 20),
                                           today=NOW.date())
    theirs = deadlines.create_deadline(neighbour, offer.conversation_type_id, date(2027, 3, 20),
                                       today=NOW.date())
    db.session.commit()
    booking = selfbooking.book(citizen, offer, at(date(2027, 3, 10), 9), now=NOW)
    db.session.commit()
    for deadline in (too_early, other_kind, theirs):
        db.session.refresh(deadline)
        assert (deadline.status, deadline.booking_id) == (DeadlineStatus.OPEN, None)
    # The neighbour books the same type in time: theirs, and only theirs, is fulfilled.
    mine = selfbooking.book(neighbour, offer, at(date(2027, 3, 10), 10), now=NOW)
    db.session.commit()
    db.session.refresh(theirs)
    assert (theirs.status, theirs.booking_id) == (DeadlineStatus.FULFILLED, mine.id)
    assert booking.id != mine.id
