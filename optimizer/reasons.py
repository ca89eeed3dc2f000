"""Why a meeting stays unplaced, as a code with parameters; the reader words it (R-3.4)."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from optimizer.greedy import MeetingData, Problem, Schedule
from optimizer.model import Instance, Reason, ReasonCode, Unplaced


def unplaced_reasons(instance: Instance, problem: Problem, placed: Collection[int]) -> list[Unplaced]:
    """The reason of every meeting of the instance that is not in `placed`."""
    static = StaticView(problem)  # one view, so its per-row prefix sums are built once
    return [
        Unplaced(m.id, unplaced_reason(instance, problem, i, static))
        for i, m in enumerate(instance.meetings)
        if i not in placed
    ]


def unplaced_reason(instance: Instance, problem: Problem, index: int,
                    static: Schedule | None = None) -> Reason:
    """The first of these that holds: the dates cannot work, the team is closed, the rooms are
    too small, the caseworkers have no free time, the rooms are busy when they have, the
    citizens have other meetings whenever both are free (R-3.6), or other meetings took the time."""
    meeting = instance.meetings[index]
    m = problem.meetings[index]
    first, last = meeting.earliest_date, meeting.deadline_date
    window = {"earliest_date": first.isoformat(), "deadline_date": last.isoformat()}
    if last < first:
        return Reason(ReasonCode.WINDOW, window)
    if last < instance.start_date or first > instance.end_date:
        period = {"start_date": instance.start_date.isoformat(), "end_date": instance.end_date.isoformat()}
        return Reason(ReasonCode.OUTSIDE_PERIOD, window | period)
    if not len(m.days):
        return Reason(ReasonCode.CLOSED, window)
    if meeting.rooms and not m.rooms:
        rooms = [{"id": r, "seats": instance.rooms[r].seats} for r in meeting.rooms]
        return Reason(ReasonCode.ROOM_TOO_SMALL, {"rooms": rooms, "participants": meeting.participants})
    static = static or StaticView(problem)
    who = {"caseworkers": list(meeting.caseworkers)}
    # The meeting without its rooms: is it the caseworkers' time or the rooms' that is missing?
    cw_only = MeetingData(m.index, m.id, m.kind, m.cws, (), m.length, m.duration, m.days, m.priority,
                          m.deadline, m.earliest)
    if not any(mask.any() for _t, _r, mask in static.masks(cw_only)):
        common = meeting.kind == "group" and len(meeting.caseworkers) > 1
        params = who | {"minutes": meeting.occupied_minutes, "common": common}
        return Reason(ReasonCode.NO_FREE_TIME, params | window)
    rooms = {"rooms": [problem.room_ids[r] for r in m.rooms]}
    no_citizens = MeetingData(m.index, m.id, m.kind, m.cws, m.rooms, m.length, m.duration, m.days, m.priority,
                              m.deadline, m.earliest)
    if not any(mask.any() for _t, _r, mask in static.masks(no_citizens)):
        return Reason(ReasonCode.ROOM_BUSY, rooms | who | window)
    if not any(mask.any() for _t, _r, mask in static.masks(m)):
        return Reason(ReasonCode.CITIZEN_BUSY, {"citizens": list(meeting.citizens)} | who | window)
    return Reason(ReasonCode.TAKEN, who | rooms | window)


class StaticView(Schedule):
    """Masks over the static calendars only, built lazily for the rows a meeting needs."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._grids = {}
        n_days = problem.n_days
        self.cw_cs = _LazyPrefix(problem.cw_free, n_days)
        self.room_cs = _LazyPrefix(problem.room_free, n_days)
        self.cz_cs = _LazyPrefix(problem.cz_free, n_days)


class _LazyPrefix:
    def __init__(self, free: np.ndarray, n_days: int) -> None:
        self.free = free
        self.n_days = n_days
        self.cache: dict[int, np.ndarray] = {}

    def __getitem__(self, row: int) -> np.ndarray:
        cs = self.cache.get(row)
        if cs is None:
            cs = np.zeros((self.n_days, 1441), dtype=np.int16)
            np.cumsum(self.free[row].reshape(self.n_days, 1440), axis=1, out=cs[:, 1:])
            self.cache[row] = cs
        return cs
