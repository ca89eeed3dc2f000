"""Calling citizens in: fixed time or the waiting list, one or many citizens, group sessions (R-3.1, R-1.5.x).

A call-in starts from a template (R-1.5.4: it pre-fills everything and every field stays
editable), takes one or more CPR numbers and either books at once (fixed time) or puts
each citizen on the waiting list for the batch planner (automatic). Every input rule is
checked before anything is written; a broken rule raises `DomainError` with a Danish
message, and the caller rolls back, so nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from webapp.domain.availability import group_free_intervals, slot_starts
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEvent, Booking, BookingOrigin, BookingParticipant, BookingStatus,
                           CallIn, CallInStatus, CallInTemplate, Caseworker, Citizen,
                           DeadlineMode, Distribution, MeetingForm, Room)
from webapp.storage import audit
from webapp.messaging import dfdg
from webapp.calendar.availability import caseworkers_free, free_caseworkers_at, room_free
from webapp.booking import terms as booking_terms
from webapp.booking.writer import (MeetingRequest, check_free, create_booking,
                                     seats_for)
# The input rules live in `checks`; these names are the call-in's interface too.
from webapp.callins.checks import CallInErrors, _checked, check_input, deadline_for  # noqa: F401

SEARCH_DAYS = 28
GRANULARITY = 15


@dataclass
class CallInInput:
    """Every field of the call-in form; `from_template` fills it, the caller may change any."""

    job_centre_id: int
    cprs: Sequence[str] = ()
    template_id: int | None = None
    conversation_type_id: int | None = None
    variant_id: int | None = None
    meeting_form: MeetingForm = MeetingForm.INDIVIDUAL
    holding_form_id: int | None = None
    team_id: int | None = None
    room_id: int | None = None
    caseworker_ids: Sequence[int] = ()
    duration_minutes: int | None = 30
    reporting_minutes: int = 0
    deadline_mode: DeadlineMode = DeadlineMode.DAYS_AFTER_CREATION
    deadline_days: int | None = None
    distribution: Distribution = Distribution.AUTOMATIC
    earliest_date: date | None = None
    deadline_date: date | None = None
    fall_date: date | None = None
    starts_at: datetime | None = None
    description: str | None = None
    message_to_caseworkers: str | None = None
    # Group meetings: more citizens than seats go to further sessions (else: room too small).
    more_sessions: bool = True


@dataclass
class CallInResult:
    callins: list[CallIn] = field(default_factory=list)
    bookings: list[Booking] = field(default_factory=list)


def from_template(template: CallInTemplate, *, today: date) -> CallInInput:
    """The call-in a template describes (R-1.5.4); dates worked out from `today`."""
    data = CallInInput(
        job_centre_id=template.job_centre_id, template_id=template.id,
        conversation_type_id=template.conversation_type_id, variant_id=template.variant_id,
        meeting_form=MeetingForm(template.meeting_form), holding_form_id=template.holding_form_id,
        team_id=template.team_id, room_id=template.room_id,
        caseworker_ids=[cw.id for cw in template.caseworkers],
        duration_minutes=template.duration_minutes,
        reporting_minutes=template.reporting_minutes or 0,
        deadline_mode=DeadlineMode(template.deadline_mode), deadline_days=template.deadline_days,
        distribution=Distribution(template.distribution),
        description=template.description, message_to_caseworkers=template.message_to_caseworkers)
    if data.distribution == Distribution.AUTOMATIC:
        data.earliest_date = today + timedelta(days=template.earliest_after_days or 0)
    if data.deadline_mode == DeadlineMode.DAYS_AFTER_CREATION and data.deadline_days is not None:
        data.deadline_date = today + timedelta(days=data.deadline_days)
    return data


def parse_cprs(text: str) -> list[str]:
    """CPR numbers typed one a line (or separated by commas or semicolons)."""
    return [part.strip() for part in re.split(r"[\n,;]+", text or "") if part.strip()]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def _check_not_called_in_twice(citizens: list[Citizen], data: CallInInput, now: datetime) -> None:
    """One open call-in per citizen and conversation type; no second meeting of it ahead."""
    ids = [c.id for c in citizens]
    waiting = db.session.scalars(select(CallIn).where(
        CallIn.citizen_id.in_(ids), CallIn.status == CallInStatus.WAITING,
        CallIn.conversation_type_id == data.conversation_type_id)).first()
    if waiting is not None:
        citizen = waiting.citizen
        raise DomainError(
            f"{citizen.name} ({citizen.masked_cpr}) er allerede indkaldt til "
            f"{waiting.conversation_type.name} og står på afventerlisten.",
            f"{citizen.name} ({citizen.masked_cpr}) is already called in to "
            f"{waiting.conversation_type.name} and is on the waiting list.",
            field="cprs", code="already_called_in")
    booked = db.session.execute(
        select(Booking, BookingParticipant.citizen_id)
        .join(BookingParticipant, BookingParticipant.booking_id == Booking.id)
        .where(BookingParticipant.citizen_id.in_(ids), Booking.status == BookingStatus.BOOKED,
               Booking.conversation_type_id == data.conversation_type_id,
               Booking.starts_at >= now).order_by(Booking.starts_at)).first()
    if booked is not None:
        booking, citizen_id = booked
        citizen = db.session.get(Citizen, citizen_id)
        raise DomainError(
            f"{citizen.name} ({citizen.masked_cpr}) har allerede samtale nr. {booking.id} "
            f"({booking.conversation_type.name}) {booking.starts_at:%d.%m.%Y kl. %H:%M}.",
            f"{citizen.name} ({citizen.masked_cpr}) already has meeting no. {booking.id} "
            f"({booking.conversation_type.name}) on {booking.starts_at:%Y-%m-%d %H:%M}.",
            field="cprs", code="already_called_in")


# ---------------------------------------------------------------------------
# Free times to propose (R-2.2: from the availability service)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Proposal:
    starts_at: datetime
    caseworker_ids: tuple[int, ...]


def next_free_times(caseworker_ids: Sequence[int], *, team_id: int, room_id: int | None,
                    duration_minutes: int, reporting_minutes: int, after: datetime, now: datetime,
                    group: bool = False, ignore_booking_ids: Sequence[int] = (), limit: int = 3,
                    days: int = SEARCH_DAYS) -> list[Proposal]:
    """The next starts at which the meeting fits: all caseworkers free (group) or any one."""
    first_day = after.date()
    last_day = first_day + timedelta(days=days)
    free = caseworkers_free(caseworker_ids, first_day, last_day, team_id=team_id, now=now,
                            ignore_booking_ids=ignore_booking_ids)
    room = (room_free(room_id, first_day, last_day, now=now, ignore_booking_ids=ignore_booking_ids)
            if room_id is not None else None)
    not_before = max(after, now)
    duration = timedelta(minutes=duration_minutes)
    reporting = timedelta(minutes=reporting_minutes)
    if group:
        common = group_free_intervals(free.values())
        starts = slot_starts(common, duration, reporting, GRANULARITY, not_before, room_free=room)
        return [Proposal(s, tuple(caseworker_ids)) for s in starts[:limit]]
    by_start: dict[datetime, list[int]] = {}
    for cw_id in caseworker_ids:
        for start in slot_starts(free.get(cw_id, ()), duration, reporting, GRANULARITY,
                                 not_before, room_free=room)[:limit]:
            by_start.setdefault(start, []).append(cw_id)
    return [Proposal(s, tuple(by_start[s])) for s in sorted(by_start)[:limit]]


def describe_proposals(proposals: Sequence[Proposal], *, names: dict[int, str],
                       group: bool = False) -> tuple[str, str]:
    if not proposals:
        return ("Der er ingen ledige tider de næste fire uger.",
                "There are no free times in the next four weeks.")
    da = [f"{p.starts_at:%d.%m.%Y kl. %H:%M}" + ("" if group else
          f" ({', '.join(names[c] for c in p.caseworker_ids)})") for p in proposals]
    en = [f"{p.starts_at:%Y-%m-%d %H:%M}" + ("" if group else
          f" ({', '.join(names[c] for c in p.caseworker_ids)})") for p in proposals]
    return "Næste ledige tider: " + "; ".join(da) + ".", "Next free times: " + "; ".join(en) + "."


# ---------------------------------------------------------------------------
# Creating call-ins
# ---------------------------------------------------------------------------

def create_callins(data: CallInInput, *, now: datetime, actor: Any = None) -> CallInResult:
    """Call in every citizen of `data`; raises `DomainError` (caller rolls back) on any bad input."""
    today = now.date()
    checked = _checked(data, today)
    if checked.errors:
        raise CallInErrors(checked.errors)
    team, room, caseworkers, citizens = checked.team, checked.room, checked.caseworkers, checked.citizens
    assert team is not None and checked.window is not None
    earliest, deadline = checked.window
    _check_not_called_in_twice(citizens, data, now)
    template = db.session.get(CallInTemplate, data.template_id) if data.template_id else None
    if template is not None and template.job_centre_id != data.job_centre_id:
        template = None
    result = CallInResult()
    placements: dict[int, Booking] = {}
    if data.distribution == Distribution.FIXED_TIME:
        result.bookings = _book_fixed(data, citizens, caseworkers, room, template, now=now,
                                      actor=actor)
        placements = {p.citizen_id: b for b in result.bookings for p in b.participants}
    for citizen in citizens:
        booking = placements.get(citizen.id)
        callin = CallIn(
            job_centre_id=data.job_centre_id, citizen_id=citizen.id, template_id=data.template_id,
            conversation_type_id=data.conversation_type_id, variant_id=data.variant_id,
            meeting_form=data.meeting_form, holding_form_id=data.holding_form_id,
            team_id=team.id, room_id=data.room_id, duration_minutes=data.duration_minutes,
            reporting_minutes=data.reporting_minutes or 0, description=data.description,
            fall_date=data.fall_date, earliest_date=earliest, deadline_date=deadline,
            status=CallInStatus.PLACED if booking else CallInStatus.WAITING,
            booking_id=booking.id if booking else None,
            created_by_user_id=actor.id if getattr(actor, "role", None) not in (None, "citizen")
            else None,
            created_at=now)
        callin.caseworkers = list(caseworkers)
        db.session.add(callin)
        result.callins.append(callin)
    db.session.flush()
    for callin in result.callins:
        audit.record(AuditEvent.CALL_IN_CREATED, actor=actor, job_centre_id=data.job_centre_id,
                     citizen_id=callin.citizen_id, booking_id=callin.booking_id, obj=callin)
        dfdg.callin_created(callin, now=now, actor=actor)  # the national data hub
    return result


def _terms(template: CallInTemplate | None, starts_at: datetime) -> dict[str, datetime | None]:
    """What the citizen may do with a called-in meeting, from the template (R-4.9)."""
    if template is None:
        return {"cancellable_until": None, "rebookable_until": None}
    cancellable, rebookable = booking_terms.limits(
        starts_at=starts_at, accept_cancellation=template.accept_cancellation,
        accept_rebooking=template.accept_rebooking,
        rebooking_until_days=template.rebooking_until_days)
    return {"cancellable_until": cancellable, "rebookable_until": rebookable}


def _request(data: CallInInput, caseworker_ids: Sequence[int], starts_at: datetime,
             citizen_ids: Sequence[int], template: CallInTemplate | None) -> MeetingRequest:
    terms = _terms(template, starts_at)
    return MeetingRequest(
        job_centre_id=data.job_centre_id, team_id=data.team_id,  # type: ignore[arg-type]
        conversation_type_id=data.conversation_type_id,  # type: ignore[arg-type]
        holding_form_id=data.holding_form_id,  # type: ignore[arg-type]
        caseworker_ids=list(caseworker_ids), starts_at=starts_at,
        duration_minutes=data.duration_minutes or 30, origin=BookingOrigin.CALLED_IN,
        citizen_ids=list(citizen_ids), reporting_minutes=data.reporting_minutes or 0,
        meeting_form=data.meeting_form, variant_id=data.variant_id, room_id=data.room_id,
        template_id=data.template_id, description=data.description,
        message_to_caseworkers=data.message_to_caseworkers,
        cancellable_until=terms["cancellable_until"], rebookable_until=terms["rebookable_until"])


def _with_next_times(error: DomainError, data: CallInInput, caseworkers: list[Caseworker],
                     after: datetime, now: datetime) -> DomainError:
    group = data.meeting_form == MeetingForm.GROUP
    proposals = next_free_times(
        [cw.id for cw in caseworkers], team_id=data.team_id,  # type: ignore[arg-type]
        room_id=data.room_id, duration_minutes=data.duration_minutes or 30,
        reporting_minutes=data.reporting_minutes or 0, after=after, now=now, group=group)
    da, en = describe_proposals(proposals, names={cw.id: cw.name for cw in caseworkers},
                                group=group)
    return type(error)(f"{error.message_da} {da}", f"{error.message_en} {en}",
                       field=error.field or "starts_at", code=error.code)


def _book_fixed(data: CallInInput, citizens: list[Citizen], caseworkers: list[Caseworker],
                room: Room | None, template: CallInTemplate | None, *, now: datetime,
                actor: Any) -> list[Booking]:
    """Book at the chosen time: individual meetings back to back, group meetings in sessions."""
    assert data.starts_at is not None
    step = timedelta(minutes=(data.duration_minutes or 30) + (data.reporting_minutes or 0))
    bookings: list[Booking] = []
    ids = [cw.id for cw in caseworkers]
    if data.meeting_form == MeetingForm.GROUP:
        seats = seats_for(MeetingForm.GROUP, room) or len(citizens)
        size = seats if data.more_sessions else len(citizens)
        chunks = [citizens[i:i + size] for i in range(0, len(citizens), size)]
        start = data.starts_at
        for number, chunk in enumerate(chunks):
            if number > 0:
                found = next_free_times(ids, team_id=data.team_id,  # type: ignore[arg-type]
                                        room_id=data.room_id,
                                        duration_minutes=data.duration_minutes or 30,
                                        reporting_minutes=data.reporting_minutes or 0,
                                        after=start + step, now=now, group=True, limit=1)
                if not found:
                    raise DomainError(
                        f"Der er ikke plads til alle: hold {number + 1} kan ikke placeres de "
                        "næste fire uger.",
                        f"Not everyone fits: session {number + 1} cannot be placed in the next "
                        "four weeks.", field="cprs", code="no_session_time")
                start = found[0].starts_at
            req = _request(data, ids, start, [c.id for c in chunk], template)
            try:
                bookings.append(create_booking(req, now=now, actor=actor))
            except DomainError as error:
                if error.code == "room_too_small":
                    raise
                raise _with_next_times(error, data, caseworkers, start, now) from None
        return bookings
    for number, citizen in enumerate(citizens):
        start = data.starts_at + number * step
        free = free_caseworkers_at(ids, start, start + step, team_id=data.team_id, now=now)
        req = _request(data, free[:1] or ids, start, [citizen.id], template)
        try:
            if not free:
                # Nobody is free: checking them all names every caseworker's clash.
                check_free(req, now=now)
                req.caseworker_ids = ids[:1]
            bookings.append(create_booking(req, now=now, actor=actor))
        except DomainError as error:
            raise _with_next_times(error, data, caseworkers, start, now) from None
    return bookings


# ---------------------------------------------------------------------------
# The waiting list
# ---------------------------------------------------------------------------

def waiting_list(job_centre_id: int, team_ids: Sequence[int] | None) -> list[CallIn]:
    query = (select(CallIn).where(CallIn.job_centre_id == job_centre_id,
                                  CallIn.status == CallInStatus.WAITING)
             .order_by(CallIn.deadline_date, CallIn.earliest_date, CallIn.id))
    if team_ids is not None:
        query = query.where(CallIn.team_id.in_(team_ids))
    return list(db.session.scalars(query))
