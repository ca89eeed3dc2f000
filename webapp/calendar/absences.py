"""A caseworker's absence: registered, changed and removed, and the meetings it hits (R-6.4).

An absence blocks the caseworker's time like a closure (R-2.1): the availability service
counts it as busy, so self-booking slots, call-ins at a fixed time, move proposals and the
optimiser's instance all leave it out, and the booking writer's check refuses it.

Who may: a caseworker registers and changes their own absence; an administrator any
caseworker's of the job centre. Every change is audited. Callers commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.calendar.availability import live_booking_filter
from webapp.domain.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import (Absence, AbsenceKind, AuditEvent, Booking, BookingCaseworker,
                           BookingStatus, Caseworker, Role)
from webapp.storage import audit

NOTE_LIMIT = 200
# A longer absence is registered in parts: a typo in the year must not block a caseworker for ever.
MAX_DAYS = 366
_DAY = timedelta(days=1)

KIND_LABELS_DA = {AbsenceKind.SICKNESS: "Sygdom", AbsenceKind.HOLIDAY: "Ferie",
                  AbsenceKind.COURSE: "Kursus", AbsenceKind.OTHER: "Andet"}


@dataclass
class AbsenceInput:
    """What a form or the admin sends: whole days (first_day–last_day) or part of a day."""

    caseworker_id: int | None
    kind: str | None
    whole_days: bool = True
    first_day: date | None = None
    last_day: date | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str | None = None


def label(kind: AbsenceKind) -> str:
    return KIND_LABELS_DA[kind]


def last_day(absence: Absence) -> date:
    """The last day the absence touches (a whole-day absence ends at 00:00 the day after)."""
    return (absence.ends_at - timedelta(microseconds=1)).date()


def span_da(absence: Absence) -> str:
    """The absence as it was registered: 03.03.2027–05.03.2027, or 03.03.2027 09:00–12:00."""
    if absence.whole_days:
        last = (absence.ends_at - _DAY).date()
        first = absence.starts_at.date()
        return f"{first:%d.%m.%Y}" if first == last else f"{first:%d.%m.%Y}–{last:%d.%m.%Y}"
    if absence.starts_at.date() == absence.ends_at.date():
        return f"{absence.starts_at:%d.%m.%Y %H:%M}–{absence.ends_at:%H:%M}"
    return f"{absence.starts_at:%d.%m.%Y %H:%M}–{absence.ends_at:%d.%m.%Y %H:%M}"


def _role(actor: Any) -> Role | None:
    return getattr(actor, "role", None)


def _caseworker(job_centre_id: int, caseworker_id: int | None, actor: Any) -> Caseworker:
    """The caseworker of the job centre that the actor may register absence for."""
    caseworker = db.session.get(Caseworker, caseworker_id) if caseworker_id else None
    if caseworker is None or caseworker.job_centre_id != job_centre_id:
        raise DomainError.of("absence_caseworker_unknown", field="caseworker_id",
                             code="absence_caseworker_unknown")
    if _role(actor) != Role.ADMINISTRATOR and getattr(actor, "caseworker_id", None) != caseworker.id:
        raise DomainError.of("absence_not_own", field="caseworker_id", code="absence_not_own")
    return caseworker


def _times(data: AbsenceInput) -> tuple[datetime, datetime]:
    if data.whole_days:
        if data.first_day is None or data.last_day is None:
            raise DomainError.of("absence_times_missing", field="first_day", code="absence_times_missing")
        if data.last_day < data.first_day:
            raise DomainError.of("absence_end_before_start", field="last_day",
                                 code="absence_end_before_start")
        starts_at = datetime.combine(data.first_day, time(0))
        ends_at = datetime.combine(data.last_day + _DAY, time(0))
    else:
        if data.starts_at is None or data.ends_at is None:
            raise DomainError.of("absence_times_missing", field="starts_at", code="absence_times_missing")
        starts_at = data.starts_at.replace(second=0, microsecond=0, tzinfo=None)
        ends_at = data.ends_at.replace(second=0, microsecond=0, tzinfo=None)
        if ends_at <= starts_at:
            raise DomainError.of("absence_end_before_start", field="ends_at",
                                 code="absence_end_before_start")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise DomainError.of("absence_too_long", field="last_day" if data.whole_days else "ends_at",
                             code="absence_too_long", days=MAX_DAYS)
    return starts_at, ends_at


def _kind(raw: str | None) -> AbsenceKind:
    try:
        return AbsenceKind(raw or "")
    except ValueError:
        raise DomainError.of("absence_kind_missing", field="kind", code="absence_kind_missing") from None


def _note(raw: str | None) -> str | None:
    note = (raw or "").strip()
    if len(note) > NOTE_LIMIT or "\x00" in note:
        raise DomainError.of("absence_note_too_long", field="note", code="absence_note_too_long",
                             limit=NOTE_LIMIT)
    return note or None


def _check_no_overlap(caseworker: Caseworker, starts_at: datetime, ends_at: datetime,
                      ignore_id: int | None = None) -> None:
    query = select(Absence).where(Absence.caseworker_id == caseworker.id,
                                  Absence.starts_at < ends_at, Absence.ends_at > starts_at)
    if ignore_id is not None:
        query = query.where(Absence.id != ignore_id)
    other = db.session.scalars(query.order_by(Absence.starts_at).limit(1)).first()
    if other is not None:
        raise DomainError.of("absence_overlaps", field="first_day", code="absence_overlaps",
                             name=caseworker.name, span=span_da(other))


def _snapshot(absence: Absence) -> dict[str, Any]:
    return {"caseworker_id": absence.caseworker_id, "kind": absence.kind.value,
            "starts_at": absence.starts_at.isoformat(), "ends_at": absence.ends_at.isoformat(),
            "note": absence.note}


def register(job_centre_id: int, data: AbsenceInput, *, actor: Any = None) -> Absence:
    """Register an absence; raises a `DomainError` with a Danish and English text and changes nothing."""
    caseworker = _caseworker(job_centre_id, data.caseworker_id, actor)
    kind = _kind(data.kind)
    starts_at, ends_at = _times(data)
    note = _note(data.note)
    _check_no_overlap(caseworker, starts_at, ends_at)
    absence = Absence(job_centre_id=job_centre_id, caseworker_id=caseworker.id, caseworker=caseworker,
                      kind=kind, starts_at=starts_at, ends_at=ends_at, note=note,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(absence)
    db.session.flush()
    audit.record(AuditEvent.ABSENCE_REGISTERED, actor=actor, job_centre_id=job_centre_id,
                 caseworker_id=caseworker.id, obj=absence, after=_snapshot(absence),
                 details=f"{label(kind)} {span_da(absence)}")
    return absence


def get(job_centre_id: int, absence_id: int, *, actor: Any = None) -> Absence:
    """The absence, if it belongs to the job centre and the actor may see it (else not found)."""
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.job_centre_id != job_centre_id or (
            _role(actor) != Role.ADMINISTRATOR
            and getattr(actor, "caseworker_id", None) != absence.caseworker_id):
        raise NotFound.of("absence_not_found", code="not_found")
    return absence


def change(absence: Absence, data: AbsenceInput, *, actor: Any = None) -> Absence:
    """Change kind, times or note (the caseworker stays); audited with before and after."""
    caseworker = _caseworker(absence.job_centre_id, absence.caseworker_id, actor)
    kind = _kind(data.kind)
    starts_at, ends_at = _times(data)
    note = _note(data.note)
    _check_no_overlap(caseworker, starts_at, ends_at, ignore_id=absence.id)
    before = _snapshot(absence)
    absence.kind, absence.starts_at, absence.ends_at, absence.note = kind, starts_at, ends_at, note
    db.session.flush()
    audit.record(AuditEvent.ABSENCE_CHANGED, actor=actor, job_centre_id=absence.job_centre_id,
                 caseworker_id=caseworker.id, obj=absence, before=before, after=_snapshot(absence),
                 details=f"{label(kind)} {span_da(absence)}")
    return absence


def remove(absence: Absence, *, actor: Any = None) -> None:
    """Remove the absence: its time is free again at once."""
    _caseworker(absence.job_centre_id, absence.caseworker_id, actor)
    audit.record(AuditEvent.ABSENCE_REMOVED, actor=actor, job_centre_id=absence.job_centre_id,
                 caseworker_id=absence.caseworker_id, obj=absence, before=_snapshot(absence),
                 details=f"{label(absence.kind)} {span_da(absence)}")
    db.session.delete(absence)
    db.session.flush()


def absences_of(job_centre_id: int, caseworker_ids: Sequence[int] | None, first: date,
                last: date) -> list[Absence]:
    """Absences overlapping first–last (both included), of some caseworkers or all of the job centre."""
    query = (select(Absence).where(Absence.job_centre_id == job_centre_id,
                                   Absence.starts_at < datetime.combine(last + _DAY, time(0)),
                                   Absence.ends_at > datetime.combine(first, time(0)))
             .options(selectinload(Absence.caseworker)).order_by(Absence.starts_at, Absence.id))
    if caseworker_ids is not None:
        query = query.where(Absence.caseworker_id.in_(list(caseworker_ids) or [0]))
    return list(db.session.scalars(query))


def hit_bookings(absence: Absence, *, now: datetime) -> list[Booking]:
    """The caseworker's live meetings in the absence still to come: the ones to re-plan."""
    return list(db.session.scalars(
        select(Booking).join(BookingCaseworker, BookingCaseworker.booking_id == Booking.id)
        .where(BookingCaseworker.caseworker_id == absence.caseworker_id,
               BookingCaseworker.blocking,
               Booking.status == BookingStatus.BOOKED,
               BookingCaseworker.starts_at < absence.ends_at,
               BookingCaseworker.busy_until > absence.starts_at,
               Booking.starts_at > now, live_booking_filter(now))
        .options(selectinload(Booking.participants), selectinload(Booking.caseworker_links))
        .order_by(Booking.starts_at, Booking.id)))
