"""The citizen's own meetings in the portal and the API: see, cancel, rebook (R-4.5, R-4.9, R-1.7.3)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from webapp.booking import terms as booking_terms
from webapp.booking.checks import SlotTaken
from webapp.booking.writer import (REBOOKED_FROM, cancel_booking, create_booking, move_booking,
                                   remove_participant)
from webapp.domain.errors import Conflict, DomainError, NotFound
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingParticipant, BookingStatus, Caseworker,
                           Citizen, MeetingForm, Team,
                           OnlineOffer)
from webapp.selfbooking.reservations import (Reservation, attending, check_start, choose_caseworkers,
                                             meeting_request, take_seat, terms_for, valid_id)
from webapp.selfbooking.slots import Slot, list_slots, slots_at
from webapp.storage import audit


def booking_for_citizen(citizen: Citizen, booking_id: object) -> Booking:
    """A meeting the citizen attends; 404 for anything else (R-0.1)."""
    booking = db.session.get(Booking, booking_id) if valid_id(booking_id) else None
    if (booking is None or booking.job_centre_id != citizen.job_centre_id
            or booking.status == BookingStatus.RESERVED or attending(booking, citizen.id) is None):
        raise NotFound.of("meeting_not_found", code="booking_not_found")
    return booking


def moved_to(citizen: Citizen, booking_id: object) -> Booking | None:
    """The meeting the citizen now attends instead of `booking_id`, which she left by rebooking
    a group seat (the meeting's number changed); None if she never did (R-8.1).

    Follows the audit trail's "moved by citizen" entries, so only the citizen's own moves count.
    """
    number = booking_id if valid_id(booking_id) else None
    for _ in range(10):  # a few rebookings in a row, never a loop
        if number is None:
            return None
        number = db.session.scalar(
            select(AuditEntry.booking_id).where(
                AuditEntry.citizen_id == citizen.id, AuditEntry.event == AuditEvent.BOOKING_MOVED_BY_CITIZEN,
                AuditEntry.details == REBOOKED_FROM.format(number=number))
            .order_by(AuditEntry.id.desc()).limit(1))
        if number is None:
            return None
        try:
            return booking_for_citizen(citizen, number)
        except NotFound:
            continue  # moved on again from there
    return None


def see_booking(citizen: Citizen, booking: Booking) -> None:
    """R-1.9.1: "booking seen by citizen"."""
    audit.record(AuditEvent.BOOKING_SEEN_BY_CITIZEN, actor=citizen, booking_id=booking.id,
                 citizen_id=citizen.id, job_centre_id=booking.job_centre_id)


def can_cancel(booking: Booking, now: datetime) -> bool:
    return booking_terms.terms_for(booking, now).can_cancel_online


def can_rebook(booking: Booking, now: datetime) -> bool:
    return booking_terms.terms_for(booking, now).can_rebook_online


def terms_text(booking: Booking, now: datetime, language: str,
               when: Callable[[datetime], str]) -> list[str]:
    """The booking's terms as the citizen reads them on every page and e-mail (R-4.9)."""
    return booking_terms.sentences(booking_terms.terms_for(booking, now), language, when)


@dataclass(frozen=True)
class JobCentreContact:
    """How the citizen reaches the job centre: a team's phone and e-mail, and where to find it (R-8.6)."""

    team: str
    phone: str | None
    email: str | None
    address: str

    @property
    def empty(self) -> bool:
        return not (self.phone or self.email or self.address)


def contact_of_team(team: Team | None) -> JobCentreContact:
    """The team's contact, or its nearest ancestor's, as the terms name it (R-4.9, R-8.6)."""
    found = booking_terms.team_contact(team)
    address = booking_terms.team_address(team)
    name = found.team if found else (team.name if team is not None else "")
    return JobCentreContact(team=name, phone=found.phone if found else None,
                            email=found.email if found else None, address=address)


def contact_for_citizen(citizen: Citizen) -> JobCentreContact:
    """Whom the citizen contacts when there is nothing to book (R-8.6): the team of her most
    recent meeting, else the job centre's top team."""
    team = db.session.scalar(
        select(Team).join(Booking, Booking.team_id == Team.id)
        .join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
        .where(BookingParticipant.citizen_id == citizen.id, Booking.job_centre_id == citizen.job_centre_id)
        .order_by(Booking.starts_at.desc()).limit(1))
    if team is None:
        team = db.session.scalar(
            select(Team).where(Team.job_centre_id == citizen.job_centre_id, Team.parent_id.is_(None))
            .order_by(Team.id).limit(1))
    return contact_of_team(team)


def cancel(citizen: Citizen, booking: Booking, *, now: datetime, reason: str | None = None) -> Booking:
    """Cancel where and until when the offer allows (R-4.5); a group seat is given up."""
    booking_terms.check_cancel(booking, now)
    reason = (reason or "").strip()[:500] or "Aflyst af borgeren"
    if booking.meeting_form == MeetingForm.GROUP:
        booking = remove_participant(booking, citizen, now=now, actor=citizen, reason=reason)
    else:
        booking = cancel_booking(booking, now=now, reason=reason, actor=citizen)
    return booking


def _rebook_checks(booking: Booking, now: datetime) -> OnlineOffer:
    booking_terms.check_rebook(booking, now)
    offer = db.session.get(OnlineOffer, booking.offer_id)
    assert offer is not None  # check_rebook refuses a booking without an open offer
    return offer


def rebook_slots(citizen: Citizen, booking: Booking, *, now: datetime, first: date | None = None,
                 last: date | None = None) -> list[Slot]:
    """Where the meeting may be moved: its offer's slots, its own time left out."""
    offer = _rebook_checks(booking, now)
    slots = list_slots(offer, now=now, first=first, last=last, ignore_booking_ids=[booking.id])
    return [s for s in slots if not (s.starts_at == booking.starts_at and s.session_id is None)]


def _check_same_group_kind(source: Booking, target: Booking) -> None:
    """R-1.7.3: a group meeting only to another with the same team, type and variant."""
    if (target.meeting_form != MeetingForm.GROUP or target.team_id != source.team_id
            or target.conversation_type_id != source.conversation_type_id
            or target.variant_id != source.variant_id):
        raise DomainError("Et fællesmøde kan kun ombookes til et andet fællesmøde med samme team, "
                          "samtaletype og variant.",
                          "A group meeting can only be rebooked to another group meeting with the "
                          "same team, conversation type and variant.", field="session_id",
                          code="rebooking_other_kind")


def rebook(citizen: Citizen, booking: Booking, starts_at: datetime | None, *, now: datetime,
           caseworker_id: int | None = None, session_id: int | None = None) -> Booking:
    """Move the citizen's meeting to another slot of its offer, under the offer's limits (R-4.5).

    An individual meeting is moved (same booking, re-checked under lock); a group seat
    moves to another group meeting of the same team, type and variant (R-1.7.3).
    """
    offer = _rebook_checks(booking, now)
    today = now.date()
    if booking.meeting_form == MeetingForm.GROUP:
        return _rebook_group(citizen, booking, offer, starts_at, now=now, session_id=session_id)
    if session_id is not None:
        raise DomainError("Et individuelt møde kan ikke flyttes ind i et fællesmøde.",
                          "An individual meeting cannot be moved into a group meeting.",
                          field="session_id", code="rebooking_other_kind")
    check_start(offer, starts_at, today)  # type: ignore[arg-type]
    assert starts_at is not None
    current = [link.caseworker_id for link in booking.caseworker_links]
    if starts_at == booking.starts_at and (caseworker_id is None or caseworker_id in current):
        raise DomainError.of("same_time", field="starts_at", code="same_time")
    matches = slots_at(offer, starts_at, now=now, ignore_booking_ids=[booking.id])
    candidates = choose_caseworkers(offer, matches[0].caseworker_ids if matches else (),
                                     caseworker_id)
    if not candidates:
        raise SlotTaken.of("slot_taken", field="starts_at")
    # The offer's terms for the new time, as a new booking there would get.
    terms = terms_for(offer, starts_at)
    last_error: Conflict | None = None
    for cw in candidates:
        try:
            booking = move_booking(booking, now=now, actor=citizen, starts_at=starts_at,
                                   caseworker_ids=[cw], terms=terms)
        except Conflict as error:
            last_error = error
            continue
        return booking
    raise last_error if isinstance(last_error, SlotTaken) else SlotTaken.of("slot_taken", field="starts_at")


def _rebook_group(citizen: Citizen, booking: Booking, offer: OnlineOffer,
                  starts_at: datetime | None, *, now: datetime,
                  session_id: int | None) -> Booking:
    target: Booking | None = None
    if session_id is not None:
        target = db.session.get(Booking, session_id) if valid_id(session_id) else None
        if target is None or target.job_centre_id != booking.job_centre_id:
            raise NotFound.of("meeting_not_found", field="session_id", code="session_not_found")
        if target.id == booking.id:
            raise DomainError("Vælg en anden samtale end den, du har.",
                              "Choose another meeting than the one you have.",
                              field="session_id", code="same_time")
        _check_same_group_kind(booking, target)
    else:
        check_start(offer, starts_at, now.date())  # type: ignore[arg-type]
        if starts_at == booking.starts_at:
            raise DomainError.of("same_time", field="starts_at", code="same_time")
    # The seat is taken first and the old one given up after, both as one rebooking: the
    # event carries where it came from, so the deadline moves with it and one receipt goes.
    if target is not None:
        taken = take_seat(citizen, target.id, now=now, hold=None, rebooked_from=booking)
    else:
        taken = _take_new_group(citizen, offer, starts_at, now=now,  # type: ignore[arg-type]
                                rebooked_from=booking)
    new_booking = taken.booking
    remove_participant(booking, citizen, now=now, actor=citizen, reason="Ombooket af borgeren",
                       rebooked_to=new_booking)
    return new_booking


def _take_new_group(citizen: Citizen, offer: OnlineOffer, starts_at: datetime, *,
                    now: datetime, rebooked_from: Booking) -> Reservation:
    """A seat at `starts_at` in the offer: an existing meeting then, or a new one."""
    day = starts_at.date()
    for slot in list_slots(offer, now=now, first=day, last=day):
        if slot.starts_at != starts_at:
            continue
        if slot.session_id is not None:
            return take_seat(citizen, slot.session_id, now=now, hold=None,
                             rebooked_from=rebooked_from)
        try:
            booking = create_booking(meeting_request(offer, citizen, starts_at, slot.caseworker_ids),
                                     now=now, actor=citizen, rebooked_from=rebooked_from)
        except Conflict:
            break
        return Reservation(f"b{booking.id}", booking, None)
    raise SlotTaken.of("slot_taken", field="starts_at")


def caseworker_names(ids: Collection[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Caseworker.id, Caseworker.name).where(
        Caseworker.id.in_(list(ids)))).all())
