"""The job centre moves or cancels a meeting: free times to offer, another caseworker of the team (R-1.9.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.booking.writer import cancel_booking, move_booking
from webapp.callins.calling import Proposal, next_free_times
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, CallIn, CallInStatus, Caseworker, MeetingForm, MembershipState, TeamMembership


def move_proposals(booking: Booking, *, now: datetime, per_caseworker: int = 3) -> list[Proposal]:
    """Free times for the booking: same caseworkers first, then the team's other caseworkers."""
    duration = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    current = [link.caseworker_id for link in booking.caseworker_links]
    common = dict(team_id=booking.team_id, room_id=booking.room_id, duration_minutes=duration,
                  reporting_minutes=booking.reporting_minutes, after=now, now=now,
                  ignore_booking_ids=[booking.id])
    if booking.meeting_form == MeetingForm.GROUP:
        return next_free_times(current, group=True, limit=per_caseworker * 2, **common)
    proposals = next_free_times(current, limit=per_caseworker, **common)
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


def move_by_job_centre(booking: Booking, *, starts_at: datetime, caseworker_id: int | None,
                       now: datetime, actor: Any = None) -> Booking:
    """Move to another free time and, for an individual meeting, maybe another caseworker."""
    caseworker_ids = None
    if caseworker_id is not None and booking.meeting_form == MeetingForm.INDIVIDUAL:
        if caseworker_id not in team_caseworker_ids(booking.team_id):
            raise DomainError("Vejlederen hører ikke til samtalens team.",
                              "The caseworker does not belong to the meeting's team.",
                              field="caseworker_id", code="caseworker_not_in_team")
        caseworker_ids = [caseworker_id]
    return move_booking(booking, now=now, actor=actor, starts_at=starts_at,
                        caseworker_ids=caseworker_ids)


def cancel_by_job_centre(booking: Booking, *, reason: str, now: datetime,
                         actor: Any = None) -> Booking:
    """Cancel with a reason; the call-ins it placed are closed with it."""
    if not (reason or "").strip():
        raise DomainError("Skriv en begrundelse for aflysningen.",
                          "Give a reason for the cancellation.", field="reason",
                          code="reason_missing")
    booking = cancel_booking(booking, now=now, reason=reason, actor=actor)
    for callin in db.session.scalars(select(CallIn).where(CallIn.booking_id == booking.id)):
        callin.status = CallInStatus.CANCELLED
    db.session.flush()
    return booking
