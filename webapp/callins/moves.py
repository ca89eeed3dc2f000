"""The job centre moves or cancels a meeting: free times to offer, another caseworker of the team (R-1.9.1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from webapp.booking.writer import cancel_booking, move_booking
from webapp.calendar import explain
from webapp.calendar.rooms import team_rooms
from webapp.callins.calling import Proposal, next_free_times
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, CallIn, CallInStatus, Caseworker, MeetingForm, MembershipState, TeamMembership


def move_proposals(booking: Booking, *, now: datetime, per_caseworker: int = 3) -> list[Proposal]:
    """Free times for the booking: same caseworkers first, then the team's other caseworkers.

    The meeting's own time is free to it, but moving there changes nothing: it is never
    proposed (R-6.5), nor is any start with the same caseworkers.
    """
    duration = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    current = [link.caseworker_id for link in booking.caseworker_links]
    common = dict(team_id=booking.team_id, room_id=booking.room_id, duration_minutes=duration,
                  reporting_minutes=booking.reporting_minutes, after=now, now=now,
                  ignore_booking_ids=[booking.id])

    def not_current(found: list[Proposal], limit: int) -> list[Proposal]:
        return [p for p in found if p.starts_at != booking.starts_at][:limit]

    if booking.meeting_form == MeetingForm.GROUP:
        return not_current(next_free_times(current, group=True, limit=per_caseworker * 2 + 1,
                                           **common), per_caseworker * 2)
    proposals = []
    for proposal in next_free_times(current, limit=per_caseworker + 1, **common):
        # At the meeting's own start only the other caseworkers free then are a change.
        ids = tuple(cw for cw in proposal.caseworker_ids if proposal.starts_at != booking.starts_at
                    or cw not in current)
        if ids:
            proposals.append(Proposal(proposal.starts_at, ids))
    proposals = proposals[:per_caseworker]
    others = [cw_id for cw_id in team_caseworker_ids(booking.team_id) if cw_id not in current]
    for cw_id in others:
        proposals += next_free_times([cw_id], limit=1, **common)
    return proposals


def team_caseworkers(team_id: int) -> list[Caseworker]:
    """The team's active caseworkers who may take meetings, by name: those a meeting may move to."""
    return list(db.session.scalars(
        select(Caseworker).join(TeamMembership, TeamMembership.caseworker_id == Caseworker.id)
        .where(TeamMembership.team_id == team_id, TeamMembership.state == MembershipState.ACTIVE,
               Caseworker.can_be_assigned_callins).order_by(Caseworker.name)))


def team_caseworker_ids(team_id: int) -> list[int]:
    return [caseworker.id for caseworker in team_caseworkers(team_id)]


KEEP_ROOM: Any = ...


def move_by_job_centre(booking: Booking, *, starts_at: datetime, caseworker_id: int | None,
                       now: datetime, actor: Any = None, room_id: Any = KEEP_ROOM) -> Booking:
    """Move to another free time, room and, for an individual meeting, caseworker (R-6.5).

    The writer's checks hold as for any booking; the room must be one of the team's. A move
    that changes nothing is refused, so no letter says the meeting moved when it did not.
    A time that is not free is refused with the reasons, in order (R-6.8).
    """
    caseworker_ids = None
    if caseworker_id is not None and booking.meeting_form == MeetingForm.INDIVIDUAL:
        if caseworker_id not in team_caseworker_ids(booking.team_id):
            raise DomainError("Vejlederen hører ikke til samtalens team.",
                              "The caseworker does not belong to the meeting's team.",
                              field="caseworker_id", code="caseworker_not_in_team")
        caseworker_ids = [caseworker_id]
    if room_id is not KEEP_ROOM and room_id is not None and room_id != booking.room_id \
            and room_id not in {room.id for room in team_rooms(booking.team_id)}:
        raise DomainError.of("room_not_in_team", field="room_id", code="room_not_in_team")
    current_ids = sorted(link.caseworker_id for link in booking.caseworker_links)
    if starts_at == booking.starts_at \
            and (caseworker_ids is None or sorted(caseworker_ids) == current_ids) \
            and (room_id is KEEP_ROOM or room_id == booking.room_id):
        raise DomainError.of("move_changes_nothing", field="starts_at", code="move_changes_nothing")
    new_room = booking.room_id if room_id is KEEP_ROOM else room_id
    try:
        return move_booking(booking, now=now, actor=actor, starts_at=starts_at,
                            caseworker_ids=caseworker_ids, room_id=new_room)
    except DomainError as error:
        if error.code not in _NOT_FREE:
            raise
        reasons = explain.why_not_free(
            starts_at=starts_at, ends_at=starts_at + (booking.ends_at - booking.starts_at),
            busy_until=starts_at + (booking.ends_at - booking.starts_at)
            + timedelta(minutes=booking.reporting_minutes),
            caseworker_ids=caseworker_ids or current_ids, room_id=new_room,
            team_id=booking.team_id, now=now, ignore_booking_ids=[booking.id],
            seats_needed=len(booking.participants))
        if not reasons:
            raise
        raise type(error)(explain.refusal(reasons, "da"), explain.refusal(reasons, "en"),
                          field=error.field, code=error.code) from None


# The refusals of a move that "why is this time not free?" can explain.
_NOT_FREE = {"closure_day", "outside_working_time", "caseworker_busy", "room_busy", "absence",
             "room_too_small"}


def check_cancel_reason(reason: str | None) -> str:
    """The reason a cancellation needs: it is shown in the letter to the citizen."""
    if not (reason or "").strip():
        raise DomainError("Skriv en begrundelse for aflysningen.",
                          "Give a reason for the cancellation.", field="reason",
                          code="reason_missing")
    return (reason or "").strip()


def cancel_by_job_centre(booking: Booking, *, reason: str, now: datetime,
                         actor: Any = None) -> Booking:
    """Cancel with a reason; the call-ins it placed are closed with it."""
    check_cancel_reason(reason)
    booking = cancel_booking(booking, now=now, reason=reason, actor=actor)
    for callin in db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)):
        callin.status = CallInStatus.CANCELLED
    db.session.flush()
    return booking
