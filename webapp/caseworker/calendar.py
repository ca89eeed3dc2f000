"""Calendar events for FullCalendar: bookings, breaks, closure days and free time (R-1.3.4, R-2.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import url_for

from webapp.domain.intervals import subtract, union
from webapp.models import Caseworker, Team
from webapp.calendar.availability import caseworkers_free, weekly_schedules
from webapp.calendar import bookings as calendar_bookings
from webapp.calendar import absences, closed_days

PALETTE = ("#1f6feb", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e", "#0a7ea4",
           "#6e7781", "#953800", "#116329")
MAX_DAYS = 62


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def closure_events(team_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """Closure days greyed, all day (R-1.3.4): national, and the teams' own and inherited."""
    events = []
    for closure in closed_days.closures(team_ids, first, last):
        start, end = closure.first_day.isoformat(), (closure.last_day + timedelta(days=1)).isoformat()
        events.append({"start": start, "end": end, "allDay": True, "display": "background",
                       "classNames": ["closure"], "title": f"Lukkedag: {closure.name}"})
        label = {"start": start, "allDay": True, "title": f"Lukket: {closure.name}",
                 "classNames": ["closure-label"]}
        # A national day's label is fixed to its day; a local closure's spans its days.
        events.append(label | {"editable": False} if closure.team is None else label | {"end": end})
    return events


def _closed(events: list[dict[str, Any]]) -> set[date]:
    days: set[date] = set()
    for event in events:
        if event.get("display") != "background":
            continue
        last = date.fromisoformat(event["end"]) - timedelta(days=1)
        days.update(closed_days.each_day(date.fromisoformat(event["start"]), last))
    return days


def break_events(caseworker_id: int, first: date, last: date, closed: set[date],
                 away: Sequence[tuple[datetime, datetime]] = ()) -> list[dict]:
    """The caseworker's breaks on her working days; none on a closed day, and none in an
    absence (`away`): a break is time off work, which an absence already is (R-6.4)."""
    schedule = weekly_schedules([caseworker_id])[caseworker_id]
    events = []
    day = first
    while day <= last:
        if day not in closed and day.weekday() in schedule.working_time:
            breaks = [(datetime.combine(day, start), datetime.combine(day, end))
                      for start, end in schedule.breaks.get(day.weekday(), ())]
            for start, end in subtract(breaks, away):
                events.append({"start": _iso(start), "end": _iso(end),
                               "display": "background", "classNames": ["break"],
                               "title": "Pause"})
        day += timedelta(days=1)
    return events


def free_events(intervals: Sequence[tuple[datetime, datetime]]) -> list[dict[str, Any]]:
    return [{"start": _iso(start), "end": _iso(end), "display": "background",
             "classNames": ["free"], "title": "Ledig"} for start, end in intervals]


def booking_events(caseworker_ids: Sequence[int], first: date, last: date, *,
                   colour_by_caseworker: bool) -> list[dict[str, Any]]:
    rows = calendar_bookings.bookings_of(caseworker_ids, first, last)
    names = calendar_bookings.initials(caseworker_ids)
    colours = {cw: PALETTE[i % len(PALETTE)] for i, cw in enumerate(sorted(caseworker_ids))}
    events, seen = [], set()
    for booking, cw_id in rows:
        if booking.id in seen:
            continue
        seen.add(booking.id)
        people = [p.citizen.name for p in booking.participants]
        who = people[0] if len(people) == 1 else f"{len(people)} borgere"
        title = f"{booking.conversation_type.name} – {who}"
        if colour_by_caseworker:
            title = f"{names.get(cw_id) or ''} {title}".strip()
        event = {"id": str(booking.id), "title": title,
                 "start": _iso(booking.starts_at), "end": _iso(booking.ends_at),
                 "url": url_for("workspace.booking_detail", booking_id=booking.id),
                 "classNames": ["booking", f"booking-{booking.status.value}",
                                f"booking-{booking.meeting_form.value}"],
                 "extendedProps": {"room": booking.room.name if booking.room else "",
                                   "number": booking.id}}
        if colour_by_caseworker:
            event["backgroundColor"] = event["borderColor"] = colours[cw_id]
        events.append(event)
        if booking.reporting_minutes:
            events.append({"start": _iso(booking.ends_at),
                           "end": _iso(booking.ends_at + timedelta(minutes=booking.reporting_minutes)),
                           "display": "background", "classNames": ["reporting"],
                           "title": "Rapportering"})
    return events


def absence_events(job_centre_id: int, caseworker_ids: Sequence[int], first: date, last: date, *,
                   with_names: bool) -> list[dict[str, Any]]:
    """Each absence as a labelled block (R-6.4): greyed time and "Fravær: Sygdom" on it."""
    events = []
    names = calendar_bookings.initials(caseworker_ids) if with_names else {}
    for absence in absences.absences_of(job_centre_id, caseworker_ids, first, last):
        title = f"Fravær: {absences.label(absence.kind)}"
        if with_names:
            title = f"{names.get(absence.caseworker_id) or absence.caseworker.name} {title}"
        if absence.whole_days:
            span = {"start": absence.starts_at.date().isoformat(),
                    "end": absence.ends_at.date().isoformat(), "allDay": True}
        else:
            span = {"start": _iso(absence.starts_at), "end": _iso(absence.ends_at)}
        if not with_names:
            events.append(span | {"display": "background", "classNames": ["absence"], "title": title})
        events.append(span | {"title": title, "classNames": ["absence-label"], "editable": False,
                              "url": url_for("workspace.absence_detail", absence_id=absence.id)})
    return events


def caseworker_events(caseworker: Caseworker, first: date, last: date) -> list[dict[str, Any]]:
    team_ids = [t.id for t in caseworker.teams]
    closures = closure_events(team_ids, first, last)
    free = caseworkers_free([caseworker.id], first, last)[caseworker.id]
    away = [(absence.starts_at, absence.ends_at) for absence in
            absences.absences_of(caseworker.job_centre_id, [caseworker.id], first, last)]
    return (closures + free_events(free)
            + break_events(caseworker.id, first, last, _closed(closures), away)
            + absence_events(caseworker.job_centre_id, [caseworker.id], first, last, with_names=False)
            + booking_events([caseworker.id], first, last, colour_by_caseworker=False))


def team_events(team: Team, caseworker_ids: Sequence[int], first: date,
                last: date) -> list[dict[str, Any]]:
    """The team's week: every member's meetings, and time when at least one member is free."""
    closures = closure_events([team.id], first, last)
    free = caseworkers_free(caseworker_ids, first, last, team_id=team.id) if caseworker_ids else {}
    return (closures + free_events(union(*free.values()) if free else [])
            + absence_events(team.job_centre_id, caseworker_ids, first, last, with_names=True)
            + booking_events(caseworker_ids, first, last, colour_by_caseworker=True))
