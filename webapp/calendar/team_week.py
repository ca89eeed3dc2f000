"""The team calendar as resource columns: a column per caseworker for each day (R-8.5, R-2.1, R-6.4).

A team's meetings in one column squeeze each other; side by side per caseworker, as resource
views show them, each column has only its own caseworker's meetings, and two of them at one
time (a double booking or a meeting and an absence) share the column in lanes. Every column
also shows the caseworker's free time, breaks and absences; a closure day greys the day.
The page lays the blocks out from `top`/`height` (percent of the day's rows) and
`lane`/`lanes`; it needs no script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from webapp.calendar import absences as absence_service
from webapp.calendar import bookings as calendar_bookings
from webapp.calendar.availability import caseworkers_free, weekly_schedules
from webapp.calendar.closed_days import closed_days, each_day
from webapp.models import Booking, Caseworker, Team

#: The rows shown: 07:00 to 17:00, as the caseworker's own week calendar.
DAY_START, DAY_END = time(7), time(17)
VIEWS = ("day", "week")
_WINDOW_MINUTES = (DAY_END.hour - DAY_START.hour) * 60


@dataclass
class Block:
    """Something in a caseworker's column. Meetings and absences are in front and take lanes;
    free time, breaks and reporting time are the background."""

    kind: str  # "booking", "absence", "free", "break", "reporting"
    starts_at: datetime
    ends_at: datetime
    title: str = ""
    booking: Booking | None = None
    absence_id: int | None = None
    lane: int = 0
    lanes: int = 1

    @property
    def front(self) -> bool:
        return self.kind in ("booking", "absence")

    @property
    def top(self) -> float:
        """Where it starts, in percent of the rows (cut at the first row)."""
        return round(_offset(self.starts_at, _WINDOW_MINUTES - 10) / _WINDOW_MINUTES * 100, 3)

    @property
    def height(self) -> float:
        """How tall, in percent of the rows; at least a little, so a meeting outside the rows
        still shows at their edge."""
        span = _offset(self.ends_at, _WINDOW_MINUTES) - _offset(self.starts_at, _WINDOW_MINUTES - 10)
        return round(max(span, 10) / _WINDOW_MINUTES * 100, 3)

    @property
    def left(self) -> float:
        return round(self.lane / self.lanes * 100, 3)

    @property
    def width(self) -> float:
        return round(100 / self.lanes, 3)


def _offset(moment: datetime, latest: int) -> int:
    """Minutes from the first row, held within 0 and `latest` (a time before 07:00 is at the top)."""
    minutes = (moment.hour - DAY_START.hour) * 60 + moment.minute
    return min(max(minutes, 0), latest)


@dataclass
class Column:
    caseworker: Caseworker
    day: date
    blocks: list[Block] = field(default_factory=list)
    all_day: list[Block] = field(default_factory=list)  # whole-day absences

    @property
    def background(self) -> list[Block]:
        return [b for b in self.blocks if not b.front]

    @property
    def front(self) -> list[Block]:
        return [b for b in self.blocks if b.front]


@dataclass
class TeamWeek:
    team: Team
    view: str
    first: date
    last: date
    caseworkers: list[Caseworker]
    days: list[date]
    columns: dict[date, list[Column]]
    closed: dict[date, str]
    previous: date
    following: date

    @property
    def hours(self) -> list[tuple[time, float]]:
        """Each whole hour of the rows with its place in percent."""
        return [(time(hour), round((hour - DAY_START.hour) * 60 / _WINDOW_MINUTES * 100, 3))
                for hour in range(DAY_START.hour, DAY_END.hour)]


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=4)


def _who(booking: Booking) -> str:
    people = [p.citizen.name for p in booking.participants]
    return people[0] if len(people) == 1 else f"{len(people)} borgere"


def lay_out(blocks: list[Block]) -> None:
    """Side by side: blocks that overlap get lanes, and every block of an overlapping group
    the group's number of lanes, so each is as wide as the busiest moment allows."""
    # At one start the longer block goes left, as calendars usually draw it.
    ordered = sorted(blocks, key=lambda b: (b.starts_at, b.starts_at - b.ends_at))
    group: list[Block] = []
    group_end: datetime | None = None
    lane_ends: list[datetime] = []

    def close_group() -> None:
        for block in group:
            block.lanes = max(len(lane_ends), 1)

    for block in ordered:
        if group_end is not None and block.starts_at >= group_end:
            close_group()
            group, lane_ends, group_end = [], [], None
        for lane, end in enumerate(lane_ends):
            if end <= block.starts_at:
                block.lane = lane
                lane_ends[lane] = block.ends_at
                break
        else:
            block.lane = len(lane_ends)
            lane_ends.append(block.ends_at)
        group.append(block)
        group_end = block.ends_at if group_end is None else max(group_end, block.ends_at)
    close_group()


def team_week(team: Team, caseworkers: Sequence[Caseworker], day: date,
              view: str = "week") -> TeamWeek:
    """The team's caseworkers side by side on `day` (view "day") or in its working week."""
    view = view if view in VIEWS else "week"
    first, last = (day, day) if view == "day" else week_of(day)
    days = list(each_day(first, last))
    ids = [cw.id for cw in caseworkers]
    closed = closed_days([team.id], first, last)
    columns = {d: [Column(cw, d) for cw in caseworkers] for d in days}
    index = {cw.id: i for i, cw in enumerate(caseworkers)}

    def column(cw_id: int, moment: datetime) -> Column | None:
        day_columns = columns.get(moment.date())
        return day_columns[index[cw_id]] if day_columns is not None and cw_id in index else None

    if ids:
        for cw_id, intervals in caseworkers_free(ids, first, last, team_id=team.id).items():
            for start, end in intervals:
                target = column(cw_id, start)
                if target is not None:
                    target.blocks.append(Block("free", start, end))
        schedules = weekly_schedules(ids)
        for d in days:
            if d in closed:
                continue
            for cw in caseworkers:
                schedule = schedules.get(cw.id)
                if schedule is None or d.weekday() not in schedule.working_time:
                    continue
                for start, end in schedule.breaks.get(d.weekday(), ()):
                    columns[d][index[cw.id]].blocks.append(
                        Block("break", datetime.combine(d, start), datetime.combine(d, end), "Pause"))
        for absence in absence_service.absences_of(team.job_centre_id, ids, first, last):
            title = f"Fravær: {absence_service.label(absence.kind)}"
            if absence.whole_days:
                for d in each_day(max(absence.starts_at.date(), first),
                                  min(absence_service.last_day(absence), last)):
                    columns[d][index[absence.caseworker_id]].all_day.append(
                        Block("absence", absence.starts_at, absence.ends_at, title,
                              absence_id=absence.id))
                continue
            # An absence over several days is a block on each of them.
            for d in each_day(max(absence.starts_at.date(), first),
                              min(absence_service.last_day(absence), last)):
                start = max(absence.starts_at, datetime.combine(d, time.min))
                end = min(absence.ends_at, datetime.combine(d + timedelta(days=1), time.min))
                columns[d][index[absence.caseworker_id]].blocks.append(
                    Block("absence", start, end, title, absence_id=absence.id))
        for booking, cw_id in calendar_bookings.bookings_of(ids, first, last):
            target = column(cw_id, booking.starts_at)
            if target is None:
                continue
            target.blocks.append(Block("booking", booking.starts_at, booking.ends_at,
                                       f"{booking.conversation_type.name} – {_who(booking)}",
                                       booking=booking))
            if booking.reporting_minutes:
                target.blocks.append(Block(
                    "reporting", booking.ends_at,
                    booking.ends_at + timedelta(minutes=booking.reporting_minutes), "Rapportering"))
    for day_columns in columns.values():
        for col in day_columns:
            lay_out(col.front)
    if view == "day":
        previous, following = _weekday(first, -1), _weekday(first, 1)
    else:
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    return TeamWeek(team=team, view=view, first=first, last=last, caseworkers=list(caseworkers),
                    days=days, columns=columns, closed=closed, previous=previous,
                    following=following)


def _weekday(day: date, step: int) -> date:
    """The working day before (step -1) or after (step 1): the day view skips weekends."""
    day += timedelta(days=step)
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day
