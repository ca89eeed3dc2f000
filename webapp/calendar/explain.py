"""Why is this time not free? The reasons a caseworker, a room or an online offer is taken at a moment (R-6.8).

One function, `why_not_free`, answers for the workspace calendar, a refused move and the
admin's team calendar. The reasons are codes with parameters, in a fixed order (outside
working time, break, closure day and the team it comes from, meeting N, imported busy
time, absence, room full, less than a day's notice, after the offer's end), rendered in
Danish or English through the message catalogue. The pieces are availability's own:
working time and breaks from `weekly_schedules`, closure days from `closed_days`, live
bookings by `live_booking_filter`, the offer's last day from the offer itself.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from webapp.calendar.availability import live_booking_filter, weekly_schedules
from webapp.calendar.closed_days import closures, each_day
from webapp.extensions import db
from webapp.messages import text
from webapp.models import (Absence, AbsenceKind, Booking, BookingCaseworker, BookingParticipant, BusyTime,
                           Caseworker, MeetingForm, MembershipState, OnlineOffer, Room, Team,
                           TeamMembership)
from webapp.models.rooms import room_teams

#: The order reasons are told in (R-6.8), by code; codes of one kind share a place. Each
#: code's texts are "why_<code>" in webapp/messages.py.
_PLACE = {"no_working_time": 0, "outside_working_time": 0, "break": 1, "closure_national": 2,
          "closure_local": 2, "closure_inherited": 2, "meeting": 3, "room_meeting": 3,
          "busy_time": 4, "absence": 5, "room_full": 6, "room_too_small": 6, "too_soon": 7,
          "after_offer_end": 8}
#: The grid of the calendars: a click asks about this much time.
MOMENT = timedelta(minutes=15)
_WEEKDAYS = {"da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
_ABSENCE = {"da": {AbsenceKind.SICKNESS: "sygdom", AbsenceKind.HOLIDAY: "ferie",
                   AbsenceKind.COURSE: "kursus", AbsenceKind.OTHER: "andet"},
            "en": {AbsenceKind.SICKNESS: "sickness", AbsenceKind.HOLIDAY: "holiday",
                   AbsenceKind.COURSE: "course", AbsenceKind.OTHER: "other"}}


@dataclass(frozen=True)
class Reason:
    """One reason a time is not free: a code of ORDER and the values its text names."""

    code: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def text(self, language: str) -> str:
        return text(f"why_{self.code}", language,
                    **{key: _shown(value, language) for key, value in self.params.items()})

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_da": self.text("da"), "message_en": self.text("en")}


def _shown(value: Any, language: str) -> Any:
    if isinstance(value, datetime):
        return f"{value:%d.%m.%Y %H:%M}" if language != "en" else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}" if language != "en" else f"{value:%Y-%m-%d}"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, AbsenceKind):
        return _ABSENCE["en" if language == "en" else "da"][value]
    if isinstance(value, tuple) and value and value[0] == "weekday":
        return _WEEKDAYS["en" if language == "en" else "da"][value[1]]
    return value


def weekday_name(day: date, language: str) -> str:
    return _WEEKDAYS["en" if language == "en" else "da"][day.weekday()]


def refusal(reasons: Sequence[Reason], language: str) -> str:
    """A refused time's message: the reasons one after another, in their order."""
    lead = text("why_refused", language)
    return " ".join([lead, *(reason.text(language) for reason in reasons)])


def why_not_free(*, starts_at: datetime, ends_at: datetime | None = None,
                 busy_until: datetime | None = None, caseworker_ids: Collection[int] = (),
                 room_id: int | None = None, offer: OnlineOffer | None = None,
                 team_id: int | None = None, now: datetime,
                 ignore_booking_ids: Collection[int] = (), seats_needed: int = 0,
                 any_caseworker: bool = False) -> list[Reason]:
    """Why [starts_at, ends_at) is not free for the caseworkers, the room or the offer (R-6.8).

    No reasons means free. `busy_until` is the caseworkers' end, reporting time included
    (default `ends_at`, default one grid step). With `team_id` the closure days are that
    team's (the meeting's), else each caseworker's and the room's own teams'. For an offer
    the caseworkers, room, team and length are the offer's; an individual offer is free when
    one of its caseworkers is, so their reasons are told only when none of them is; so with
    `any_caseworker` (a team's calendar: free when one member is).
    """
    if offer is not None:
        duration = timedelta(minutes=offer.duration_minutes)
        ends_at = ends_at or starts_at + duration
        busy_until = busy_until or ends_at + timedelta(minutes=offer.reporting_minutes or 0)
        caseworker_ids = caseworker_ids or [cw.id for cw in offer.caseworkers]
        room_id = room_id if room_id is not None else offer.room_id
        team_id = team_id or offer.team_id
        seats_needed = seats_needed or 1
    ends_at = ends_at or starts_at + MOMENT
    busy_until = busy_until or ends_at
    found: list[Reason] = []
    people = db.session.scalars(select(Caseworker).where(Caseworker.id.in_(list(caseworker_ids)))
                                .order_by(Caseworker.name)).all()
    per_caseworker = {cw.id: _caseworker_reasons(cw, starts_at, busy_until, now=now,
                                                 ignore_booking_ids=ignore_booking_ids)
                      for cw in people}
    one_will_do = any_caseworker or (offer is not None
                                     and offer.meeting_form == MeetingForm.INDIVIDUAL)
    if one_will_do and any(not reasons for reasons in per_caseworker.values()):
        per_caseworker = {}
    for reasons in per_caseworker.values():
        found += reasons
    room = db.session.get(Room, room_id) if room_id is not None else None
    team_ids = _teams_asked(team_id, [cw.id for cw in people], room)
    found += _closure_reasons(team_ids, starts_at.date(), busy_until.date())
    if room is not None:
        found += _room_reasons(room, starts_at, ends_at, now=now,
                               ignore_booking_ids=ignore_booking_ids, seats_needed=seats_needed)
    if offer is not None:
        found += _offer_reasons(offer, starts_at, now)
    # A stable sort: within one place, caseworkers by name, then the room, each by time.
    return sorted(_unique(found), key=lambda reason: _PLACE[reason.code])


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen, out = set(), []
    for reason in reasons:
        key = (reason.code, tuple(sorted((k, repr(v)) for k, v in reason.params.items())))
        if key not in seen:
            seen.add(key)
            out.append(reason)
    return out


def _teams_asked(team_id: int | None, caseworker_ids: list[int], room: Room | None) -> list[int]:
    """The meeting's team, or the active teams of the caseworkers and the room's teams."""
    if team_id is not None:
        return [team_id]
    ids = set(db.session.scalars(select(TeamMembership.team_id).where(
        TeamMembership.caseworker_id.in_(caseworker_ids),
        TeamMembership.state == MembershipState.ACTIVE)))
    if room is not None:
        ids |= set(db.session.scalars(select(room_teams.c.team_id).where(
            room_teams.c.room_id == room.id)))
    return sorted(ids)


def _caseworker_reasons(caseworker: Caseworker, starts_at: datetime, busy_until: datetime, *,
                        now: datetime, ignore_booking_ids: Collection[int]) -> list[Reason]:
    name = caseworker.name
    reasons: list[Reason] = []
    schedule = weekly_schedules([caseworker.id])[caseworker.id]
    for day in each_day(starts_at.date(), (busy_until - timedelta(microseconds=1)).date()):
        weekday = day.weekday()
        hours = schedule.working_time.get(weekday)
        span_start = max(starts_at, datetime.combine(day, time.min))
        span_end = min(busy_until, datetime.combine(day + timedelta(days=1), time.min))
        if hours is None or hours[0] >= hours[1]:
            reasons.append(Reason("no_working_time", {"name": name, "weekday": ("weekday", weekday)}))
            continue
        work_start, work_end = (datetime.combine(day, hours[0]), datetime.combine(day, hours[1]))
        if span_start < work_start or span_end > work_end:
            reasons.append(Reason("outside_working_time", {
                "name": name, "weekday": ("weekday", weekday), "start": hours[0], "end": hours[1]}))
        for break_start, break_end in schedule.breaks.get(weekday, ()):
            if datetime.combine(day, break_start) < span_end and datetime.combine(day, break_end) > span_start:
                reasons.append(Reason("break", {"name": name, "start": break_start, "end": break_end}))
    meetings = db.session.execute(
        select(Booking.id, BookingCaseworker.starts_at, BookingCaseworker.busy_until)
        .join(Booking, Booking.id == BookingCaseworker.booking_id)
        .where(BookingCaseworker.caseworker_id == caseworker.id, BookingCaseworker.blocking,
               BookingCaseworker.starts_at < busy_until, BookingCaseworker.busy_until > starts_at,
               live_booking_filter(now), Booking.id.not_in(list(ignore_booking_ids) or [0]))
        .order_by(BookingCaseworker.starts_at, Booking.id))
    reasons += [Reason("meeting", {"name": name, "number": number, "start": start,
                                   "end": _until(start, end)})
                for number, start, end in meetings]
    busy = db.session.execute(
        select(BusyTime.starts_at, BusyTime.ends_at)
        .where(BusyTime.caseworker_id == caseworker.id, BusyTime.starts_at < busy_until,
               BusyTime.ends_at > starts_at).order_by(BusyTime.starts_at))
    reasons += [Reason("busy_time", {"name": name, "start": start, "end": _until(start, end)})
                for start, end in busy]
    # Read as it is stored; whether availability blocks it is availability's business.
    absences = db.session.execute(
        select(Absence.kind, Absence.starts_at, Absence.ends_at)
        .where(Absence.caseworker_id == caseworker.id, Absence.starts_at < busy_until,
               Absence.ends_at > starts_at).order_by(Absence.starts_at))
    for kind, start, end in absences:
        if start.time() == end.time() == time.min:      # whole days: the first and the last
            span = {"start": start.date(), "end": (end - timedelta(days=1)).date()}
        else:
            span = {"start": start, "end": _until(start, end)}
        reasons.append(Reason("absence", {"name": name, "kind": kind} | span))
    return reasons


def _until(start: datetime, end: datetime) -> datetime | time:
    """The end as a time of day when it is on the start's day, else with its date."""
    return end.time() if end.date() == start.date() else end


def _closure_reasons(team_ids: list[int], first: date,
                     last: date) -> list[Reason]:
    """National closure days, and local ones with the team they are set on (R-1.3.2)."""
    if not team_ids:
        return []
    own = set(db.session.scalars(select(Team.name).where(Team.id.in_(team_ids))))
    reasons = []
    for closure in closures(team_ids, first, last):
        day = max(closure.first_day, first)
        if closure.team is None:
            reasons.append(Reason("closure_national", {"day": day, "closure": closure.name}))
        elif closure.team in own:
            reasons.append(Reason("closure_local", {"day": day, "closure": closure.name,
                                                    "team": closure.team}))
        else:
            reasons.append(Reason("closure_inherited", {"day": day, "closure": closure.name,
                                                        "team": closure.team}))
    return reasons


def _room_reasons(room: Room, starts_at: datetime, ends_at: datetime, *, now: datetime,
                  ignore_booking_ids: Collection[int], seats_needed: int) -> list[Reason]:
    """Meetings in the room; a group meeting with every seat taken is the room full.

    A seat held for a citizen who has not confirmed it counts only while the hold lasts: one
    past its time is free again (R-4.7), though the hourly job has not yet removed it.
    """
    taken = (select(func.count()).select_from(BookingParticipant)
             .where(BookingParticipant.booking_id == Booking.id,
                    or_(BookingParticipant.reserved_until.is_(None),
                        BookingParticipant.reserved_until > now))
             .scalar_subquery())
    rows = db.session.execute(
        select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.seats, taken)
        .where(Booking.room_id == room.id, Booking.starts_at < ends_at, Booking.ends_at > starts_at,
               live_booking_filter(now), Booking.id.not_in(list(ignore_booking_ids) or [0]))
        .order_by(Booking.starts_at, Booking.id))
    reasons = []
    for number, start, end, seats, attending in rows:
        if seats is not None and seats > 1 and attending >= seats:
            reasons.append(Reason("room_full", {"room": room.name, "number": number, "seats": seats}))
        else:
            reasons.append(Reason("room_meeting", {"room": room.name, "number": number,
                                                   "start": start, "end": _until(start, end)}))
    if room.seats is not None and seats_needed > room.seats:
        reasons.append(Reason("room_too_small", {"room": room.name, "seats": room.seats}))
    return reasons


def _offer_reasons(offer: OnlineOffer, starts_at: datetime, now: datetime) -> list[Reason]:
    """Self-booking's own limits: a day's notice (R-4.2) and the offer's last day."""
    reasons = []
    today = now.date()
    if starts_at.date() <= today:
        reasons.append(Reason("too_soon", {"day": today + timedelta(days=1)}))
    last = offer.last_day(today)
    if last is not None and starts_at.date() > last:
        reasons.append(Reason("after_offer_end", {"offer": offer.name, "day": last}))
    return reasons
