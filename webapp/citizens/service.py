"""The citizen as the job centre knows them: created from the register on first use, found by
CPR number or name, their page, and contact details corrected by the job centre (R-6.1).

Functions flush, never commit: the caller's transaction saves everything or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.citizens.register import RegisterUnavailable, citizen_register
from webapp.domain.contact import normalise_email, normalise_phone
from webapp.domain.cpr import mask_cpr, normalise_cpr
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingParticipant, BookingStatus, CallIn, CallInStatus, Citizen,
                           ContactGroup, Letter, SelfBookingDeadline)

SEARCH_LIMIT = 50


def citizen_for_cpr(job_centre_id: int, cpr: str, *, field: str = "cpr") -> Citizen:
    """The job centre's citizen with this CPR number, created from the register on first use.

    `cpr` is a checked CPR number (10 digits). A number the register does not know raises
    `DomainError` ("citizen_not_in_register") and nothing is added; so does a register that
    cannot answer. The new citizen is flushed, the caller commits.
    """
    citizen = db.session.scalar(select(Citizen).where(
        Citizen.job_centre_id == job_centre_id, Citizen.cpr == cpr))
    if citizen is not None:
        return citizen
    try:
        entry = citizen_register().lookup(cpr)
    except RegisterUnavailable:
        raise DomainError.of("citizen_register_unavailable", field=field,
                             code="citizen_register_unavailable") from None
    if entry is None:
        raise DomainError.of("citizen_not_in_register", field=field, code="citizen_not_in_register",
                                 cpr=mask_cpr(cpr))
    group = None
    if entry.contact_group:
        group = db.session.scalar(select(ContactGroup).where(ContactGroup.code == entry.contact_group))
    citizen = Citizen(job_centre_id=job_centre_id, cpr=entry.cpr, name=entry.name,
                      address=entry.address, postal_code=entry.postal_code, city=entry.city,
                      email=entry.email, phone=entry.phone, contact_group=group)
    db.session.add(citizen)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another request created the same citizen a moment ago: use theirs.
        citizen = db.session.scalar(select(Citizen).where(
            Citizen.job_centre_id == job_centre_id, Citizen.cpr == cpr))
        if citizen is None:
            raise
    return citizen


def find_citizens(job_centre_id: int, query: str, *, today: date) -> list[Citizen]:
    """The job centre's citizens whose CPR number is `query`, or whose name holds every word of it.

    Digits alone (with a dash or spaces) are read as a CPR number and must be one; anything
    else is a name. At most `SEARCH_LIMIT` citizens, by name.
    """
    text = " ".join((query or "").split())
    if not text:
        raise DomainError.of("citizen_search_empty", field="query", code="citizen_search_empty")
    scoped = select(Citizen).where(Citizen.job_centre_id == job_centre_id)
    if any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch in " -" for ch in text):
        cpr = normalise_cpr(text, today=today)
        return list(db.session.scalars(scoped.where(Citizen.cpr == cpr)))
    if len(text) < 2:
        raise DomainError.of("citizen_search_short", field="query", code="citizen_search_short")
    for word in text.split(" "):
        escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        scoped = scoped.where(func.lower(Citizen.name).like(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(scoped.order_by(Citizen.name, Citizen.id).limit(SEARCH_LIMIT)))


@dataclass
class CitizenOverview:
    """What the citizen's page shows, newest first."""

    citizen: Citizen
    bookings: list[Booking]
    waiting_callins: list[CallIn]
    other_callins: list[CallIn]
    deadlines: list[SelfBookingDeadline]
    letters: list[Letter]


def citizen_overview(citizen: Citizen) -> CitizenOverview:
    """The citizen's meetings, call-ins (waiting ones apart), self-booking deadlines and letters."""
    bookings = list(db.session.scalars(
        select(Booking).join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
        .where(BookingParticipant.citizen_id == citizen.id, Booking.status != BookingStatus.RESERVED)
        .order_by(Booking.starts_at.desc())))
    callins = list(db.session.scalars(select(CallIn).where(CallIn.citizen_id == citizen.id)
                                      .order_by(CallIn.created_at.desc(), CallIn.id.desc())))
    deadlines = list(db.session.scalars(
        select(SelfBookingDeadline).where(SelfBookingDeadline.citizen_id == citizen.id)
        .order_by(SelfBookingDeadline.deadline_date.desc(), SelfBookingDeadline.id.desc())))
    letters = list(db.session.scalars(select(Letter).where(Letter.citizen_id == citizen.id)
                                      .order_by(Letter.created_at.desc(), Letter.id.desc())))
    return CitizenOverview(
        citizen=citizen, bookings=bookings,
        waiting_callins=[c for c in callins if c.status == CallInStatus.WAITING],
        other_callins=[c for c in callins if c.status != CallInStatus.WAITING],
        deadlines=deadlines, letters=letters)


def checked_contact(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """The e-mail address and phone number as stored (empty: none); `DomainError` if malformed."""
    return (normalise_email(email) if (email or "").strip() else None,
            normalise_phone(phone) if (phone or "").strip() else None)


def correct_contact(citizen: Citizen, *, email: str | None, phone: str | None) -> None:
    """Set the citizen's e-mail and phone as the job centre corrected them (empty: none).

    Name and address are the register's and are not changed here.
    """
    citizen.email, citizen.phone = checked_contact(email, phone)
    db.session.flush()
