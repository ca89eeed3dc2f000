"""Publishing the optimiser's answer: checked, then booked through the one writer (R-3.2, R-3.3, R-3.5).

`solve_prepared` runs `optimizer.solve` and refuses anything `optimizer.check` rejects.
`publish` books every placement through `webapp.booking.writer.create_booking` (lock,
re-check, audit, `booking_changed` signal for the notifications of R-3.5) and updates the
call-ins; a placement whose time a person took meanwhile is skipped and its call-ins stay
waiting with the reason (R-3.3, R-3.4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

import optimizer
from webapp.booking import terms as booking_terms
from webapp.booking.checks import MeetingRequest
from webapp.booking.events import booking_changed
from webapp.booking.locks import lock_resources
from webapp.booking.writer import add_participant, create_booking
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, BookingOrigin, CallIn, CallInStatus, CallInTemplate
from webapp.planning.instance import Prepared, database_id
from webapp.planning.reasons import reason_text

# Called with (phase, done, of) as a run goes: "build", "solve", "publish".
Progress = Callable[[str, int, int], None]


class PlanningError(RuntimeError):
    """The optimiser's answer failed the independent check; nothing is published."""


def solve_prepared(prepared: Prepared, *, time_limit: float | None = None) -> optimizer.Solution:
    """Solve, then let the independent checker have the last word (R-3.2)."""
    return solve_prepared_document(prepared.document, time_limit=time_limit)


def solve_prepared_document(document: dict[str, Any], *,
                            time_limit: float | None = None) -> optimizer.Solution:
    """Solve an exchange document and refuse anything the independent check rejects."""
    instance = optimizer.parse_instance(document)
    if not instance.meetings:
        return optimizer.Solution([], [], {"placed": 0, "weighted_placed": 0, "upper_bound": 0,
                                           "seconds": 0.0, "solver": "none (nothing waiting)"})
    solution = optimizer.solve(instance, time_limit=time_limit)
    report = optimizer.check(instance, solution)
    if not report.feasible:
        raise PlanningError("the optimiser's solution failed the check: "
                            + "; ".join(str(v) for v in report.violations[:5]))
    return solution


@dataclass
class Published:
    booking_ids: list[int] = field(default_factory=list)
    placed_callins: int = 0
    placed_meetings: int = 0
    joined: int = 0  # call-ins seated at existing group meetings
    weighted: float = 0.0  # placed call-ins weighted by priority
    taken_meanwhile: int = 0
    # call-in id -> (code, Danish reason) for everything left waiting
    unplaced: dict[int, tuple[str, str]] = field(default_factory=dict)


def _terms(template: CallInTemplate | None, starts_at: datetime) -> dict[str, datetime | None]:
    """Cancel/rebook limits of the booking from its template (R-4.9)."""
    if template is None:
        return {}
    # The same rule as every other origin: cancellation until the start.
    cancellable, rebookable = booking_terms.limits(
        starts_at=starts_at, accept_cancellation=template.accept_cancellation,
        accept_rebooking=template.accept_rebooking,
        rebooking_until_days=template.rebooking_until_days)
    return {"cancellable_until": cancellable, "rebookable_until": rebookable}


def _waiting_under_lock(callin_ids: list[int]) -> list[CallIn]:
    """The call-ins still waiting, re-read (and on PostgreSQL locked): a person may have acted."""
    query = (select(CallIn).where(CallIn.id.in_(callin_ids)).order_by(CallIn.id)
             .execution_options(populate_existing=True))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=CallIn)
    return [c for c in db.session.scalars(query)
            if c.status == CallInStatus.WAITING and c.booking_id is None]


def _request(callins: list[CallIn], placement: optimizer.model.Placement,
             template: CallInTemplate | None) -> MeetingRequest:
    head = callins[0]
    return MeetingRequest(
        job_centre_id=head.job_centre_id, team_id=head.team_id,
        conversation_type_id=head.conversation_type_id, holding_form_id=head.holding_form_id,
        caseworker_ids=[database_id(c) for c in placement.caseworkers], starts_at=placement.start,
        duration_minutes=head.duration_minutes, origin=BookingOrigin.CALLED_IN,
        citizen_ids=[c.citizen_id for c in callins], reporting_minutes=head.reporting_minutes,
        meeting_form=head.meeting_form, variant_id=head.variant_id,
        room_id=database_id(placement.room) if placement.room else None, template_id=head.template_id,
        description=head.description,
        message_to_caseworkers=template.message_to_caseworkers if template is not None else None,
        **_terms(template, placement.start))


def publish(prepared: Prepared, solution: optimizer.Solution, *, now: datetime, actor: Any = None,
            progress: Progress | None = None) -> Published:
    """Book the solution's placements and update the waiting list; flush only, the caller commits.

    Each placement goes through `create_booking`, which locks the caseworkers and the room,
    re-checks their free time against the database as it is now and writes the booking,
    its audit entries and the `booking_changed` signal (R-3.5). A clash with a booking a
    person made during the run is skipped: their booking wins and the call-ins stay
    waiting with the reason (R-3.3). Any other error propagates, so the caller rolls the
    whole run back.
    """
    result = Published(unplaced=dict(prepared.not_sent))
    for item in solution.unplaced:
        code, reason = str(item.reason.code), reason_text(item.reason, prepared.names)
        for callin_id in prepared.meetings.get(item.meeting, []):
            result.unplaced[callin_id] = (code, reason)

    placements = sorted(solution.placements, key=lambda p: (p.start, p.meeting))
    all_callins = {c.id: c for c in db.session.scalars(
        select(CallIn).where(CallIn.id.in_([i for ids in prepared.meetings.values() for i in ids])))}
    template_ids = {c.template_id for c in all_callins.values() if c.template_id is not None}
    templates = {t.id: t for t in db.session.scalars(
        select(CallInTemplate).where(CallInTemplate.id.in_(template_ids)))}
    # Lock every caseworker and room of the run once, in sorted order, before the first
    # booking (pretix's manner): no deadlock with people booking meanwhile, and on SQLite
    # it takes the single write lock up front instead of upgrading a read lock later.
    lock_resources({database_id(c) for p in placements for c in p.caseworkers},
                   {database_id(p.room) for p in placements if p.room})

    created: list[Any] = []

    def remember(sender: Any, **_: Any) -> None:
        created.append(sender)

    booking_changed.connect(remember)
    try:
        for callin_id, booking_id in sorted(prepared.joins.items()):
            _join(callin_id, booking_id, now=now, actor=actor, result=result, created=created)
        for index, placement in enumerate(placements, start=1):
            callin_ids = prepared.meetings[placement.meeting]
            callins = _waiting_under_lock(callin_ids)
            if callins:
                _check_window(placement, callins)
                head = callins[0]
                request = _request(callins, placement, templates.get(head.template_id))
                before = len(created)
                try:
                    booking = create_booking(request, now=now, actor=actor)
                except DomainError as error:
                    if len(created) != before:
                        raise  # the booking exists already: never leave it half done
                    if error.code == "citizen_busy":
                        # The optimiser knows the citizens' meetings (R-3.6), so this is one
                        # booked meanwhile; the booking service sees it. The next run tries
                        # another time.
                        code = "citizen_busy"
                        reason = (f"Tiden {placement.start:%d.%m.%Y %H:%M} passer ikke borgeren: "
                                  f"{error.message_da}")
                    else:
                        code = "taken_meanwhile"
                        reason = (f"Tiden {placement.start:%d.%m.%Y %H:%M} blev optaget, mens "
                                  f"planlægningen kørte: {error.message_da}")
                        result.taken_meanwhile += 1
                    for callin in callins:
                        result.unplaced[callin.id] = (code, reason)
                else:
                    for callin in callins:
                        callin.status = CallInStatus.PLACED
                        callin.booking_id = booking.id
                        callin.unplaced_reason = None
                        result.unplaced.pop(callin.id, None)
                    result.booking_ids.append(booking.id)
                    result.placed_meetings += 1
                    result.placed_callins += len(callins)
                    result.weighted += sum(c.priority for c in callins)
            if progress is not None:
                progress("publish", index, len(placements))
    finally:
        booking_changed.disconnect(remember)

    for callin_id, (_code, reason) in result.unplaced.items():
        callin = all_callins.get(callin_id) or db.session.get(CallIn, callin_id)
        if callin is not None and callin.status == CallInStatus.WAITING and callin.booking_id is None:
            callin.unplaced_reason = reason[:500]
    db.session.flush()
    return result


def _join(callin_id: int, booking_id: int, *, now: datetime, actor: Any, result: Published,
          created: list[Any]) -> None:
    """Seat a waiting group call-in at an existing group meeting; the seat is counted under lock."""
    callins = _waiting_under_lock([callin_id])
    booking = db.session.get(Booking, booking_id)
    if not callins or booking is None:
        return
    callin = callins[0]
    before = len(created)
    try:
        add_participant(booking, callin.citizen, now=now, actor=actor)
    except DomainError as error:
        if len(created) != before:
            raise
        result.taken_meanwhile += 1
        result.unplaced[callin.id] = ("taken_meanwhile", (
            f"Pladsen på fællesmødet {booking.starts_at:%d.%m.%Y %H:%M} blev taget, mens "
            f"planlægningen kørte: {error.message_da}"))
        return
    callin.status = CallInStatus.PLACED
    callin.booking_id = booking.id
    callin.unplaced_reason = None
    result.placed_callins += 1
    result.weighted += callin.priority
    result.joined += 1
    result.unplaced.pop(callin.id, None)


def _check_window(placement: optimizer.model.Placement, callins: list[CallIn]) -> None:
    """Never after the deadline, never before the earliest date (R-3.2); the checker agrees."""
    day = placement.start.date()
    for callin in callins:
        if not callin.earliest_date <= day <= callin.deadline_date:
            raise PlanningError(f"placement of {placement.meeting} on {day} lies outside call-in "
                                f"{callin.id}'s window {callin.earliest_date}..{callin.deadline_date}")
