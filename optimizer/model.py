"""Instance and solution dataclasses, JSON parsing with validation, and serialisation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any

# Version 2 of the instance names each meeting's citizens and gives the citizens' busy time
# (their other meetings, R-3.6); a version 1 document is still read, without citizens.
INSTANCE_FORMAT = 2
INSTANCE_FORMATS = (1, 2)
# Version 2 of the solution gives an unplaced meeting's reason as a code with parameters
# (version 1 gave English text, which readers had to parse back).
SOLUTION_FORMAT = 2
KINDS = ("individual", "group")
MINUTES_PER_DAY = 24 * 60


class FormatError(ValueError):
    """A missing required key or a bad value; `key` is the dotted path of the culprit."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key


@dataclass(frozen=True)
class Team:
    id: str
    closed_dates: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Caseworker:
    id: str
    # weekday (0 = Monday) -> (start, end) in minutes after midnight
    working_time: dict[int, tuple[int, int]] = field(default_factory=dict)
    breaks: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    busy: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class Room:
    id: str
    seats: int
    busy: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class Citizen:
    """A citizen of one or more meetings: never two of them at once, nor one over `busy` (R-3.6)."""

    id: str
    busy: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class Meeting:
    id: str
    team: str
    kind: str
    caseworkers: tuple[str, ...]
    duration_minutes: int
    earliest_date: date
    deadline_date: date
    rooms: tuple[str, ...] = ()
    participants: int = 1
    reporting_minutes: int = 0
    priority: float = 1
    # The citizens who attend: each is taken for the meeting's duration (not its reporting time).
    citizens: tuple[str, ...] = ()

    @property
    def occupied_minutes(self) -> int:
        """Time the caseworkers are taken: the meeting plus its reporting time."""
        return self.duration_minutes + self.reporting_minutes


@dataclass
class Instance:
    start_date: date
    end_date: date
    granularity_minutes: int
    teams: dict[str, Team]
    caseworkers: dict[str, Caseworker]
    rooms: dict[str, Room]
    meetings: list[Meeting]
    format: int = INSTANCE_FORMAT
    citizens: dict[str, Citizen] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


@dataclass(frozen=True)
class Placement:
    meeting: str
    start: datetime
    caseworkers: tuple[str, ...]
    room: str | None = None


class ReasonCode(StrEnum):
    """Why a meeting stays unplaced (R-3.4); the parameters of each are in REASON_PARAMS."""

    WINDOW = "window"  # the earliest date is after the deadline
    OUTSIDE_PERIOD = "outside_period"  # earliest date to deadline lies outside the planning period
    CLOSED = "closed"  # the meeting's team is closed on every day from earliest date to deadline
    ROOM_TOO_SMALL = "room_too_small"  # none of the meeting's rooms seats its participants
    NO_FREE_TIME = "no_free_time"  # the caseworkers have no (common) free time that long
    ROOM_BUSY = "room_busy"  # the rooms are busy whenever the caseworkers could meet
    TAKEN = "taken"  # there was free time, but other meetings of the run took it
    CITIZEN_BUSY = "citizen_busy"  # the citizens have other meetings whenever the rest is free


# Parameters of each code: dates are ISO dates, `caseworkers` and `rooms` lists of exchange
# ids, except for room_too_small, whose `rooms` are objects {"id": ..., "seats": n}; `minutes`
# is the meeting plus its reporting time; `common` is true for a group meeting of several
# caseworkers, who need the time together.
REASON_PARAMS: dict[ReasonCode, tuple[str, ...]] = {
    ReasonCode.WINDOW: ("earliest_date", "deadline_date"),
    ReasonCode.OUTSIDE_PERIOD: ("earliest_date", "deadline_date", "start_date", "end_date"),
    ReasonCode.CLOSED: ("earliest_date", "deadline_date"),
    ReasonCode.ROOM_TOO_SMALL: ("rooms", "participants"),
    ReasonCode.NO_FREE_TIME: ("caseworkers", "minutes", "common", "earliest_date", "deadline_date"),
    ReasonCode.ROOM_BUSY: ("rooms", "caseworkers", "earliest_date", "deadline_date"),
    ReasonCode.TAKEN: ("caseworkers", "rooms", "earliest_date", "deadline_date"),
    ReasonCode.CITIZEN_BUSY: ("citizens", "caseworkers", "earliest_date", "deadline_date"),
}


@dataclass(frozen=True)
class Reason:
    """A code and its parameters: the text is written by whoever shows it, in its language."""

    code: ReasonCode
    params: dict[str, Any] = field(default_factory=dict)

    def missing_params(self) -> list[str]:
        return [name for name in REASON_PARAMS.get(self.code, ()) if name not in self.params]


@dataclass(frozen=True)
class Unplaced:
    meeting: str
    reason: Reason


@dataclass
class Solution:
    placements: list[Placement]
    unplaced: list[Unplaced]
    stats: dict[str, Any] = field(default_factory=dict)
    format: int = SOLUTION_FORMAT


# --- parsing helpers -------------------------------------------------------------


def _require(obj: Any, name: str, key: str) -> Any:
    if not isinstance(obj, dict):
        raise FormatError(key.rsplit(".", 1)[0] if "." in key else key, "must be an object")
    if name not in obj:
        raise FormatError(key, "required key is missing")
    return obj[name]


def _object(value: Any, key: str) -> dict:
    if not isinstance(value, dict):
        raise FormatError(key, "must be an object")
    return value


def _list(value: Any, key: str) -> list:
    if not isinstance(value, list):
        raise FormatError(key, "must be a list")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise FormatError(key, "must be a non-empty string")
    return value


def _integer(value: Any, key: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormatError(key, "must be an integer")
    if value < minimum:
        raise FormatError(key, f"must be at least {minimum}")
    return value


def _date(value: Any, key: str) -> date:
    if not isinstance(value, str):
        raise FormatError(key, "must be an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FormatError(key, f"bad date {value!r}, expected YYYY-MM-DD") from None


def parse_datetime(value: Any, key: str) -> datetime:
    """Wall-clock time without offset, e.g. 2027-03-02T09:00."""
    if not isinstance(value, str) or "T" not in value:
        raise FormatError(key, "must be a date and time like 2027-03-02T09:00")
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        raise FormatError(key, f"bad date and time {value!r}") from None
    if result.tzinfo is not None:
        raise FormatError(key, "must be wall-clock time without offset")
    return result


def _clock(value: Any, key: str, allow_midnight_end: bool = False) -> int:
    """'HH:MM' to minutes after midnight; '24:00' only where an end is meant."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise FormatError(key, f"bad time {value!r}, expected HH:MM")
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        raise FormatError(key, f"bad time {value!r}, expected HH:MM")
    total = int(hours) * 60 + int(minutes)
    limit = MINUTES_PER_DAY if allow_midnight_end else MINUTES_PER_DAY - 1
    if int(minutes) > 59 or total > limit:
        raise FormatError(key, f"bad time {value!r}")
    return total


def _interval(value: Any, key: str) -> tuple[int, int]:
    pair = _list(value, key)
    if len(pair) != 2:
        raise FormatError(key, "must be a pair [start, end]")
    start = _clock(pair[0], f"{key}[0]")
    end = _clock(pair[1], f"{key}[1]", allow_midnight_end=True)
    return start, end


def _weekday(name: Any, key: str) -> int:
    if not isinstance(name, str) or name not in {str(d) for d in range(7)}:
        raise FormatError(f"{key}.{name}", "weekday must be '0' (Monday) to '6'")
    return int(name)


def _busy(value: Any, key: str) -> tuple[tuple[datetime, datetime], ...]:
    result = []
    for i, pair in enumerate(_list(value, key)):
        item = f"{key}[{i}]"
        pair = _list(pair, item)
        if len(pair) != 2:
            raise FormatError(item, "must be a pair [start, end]")
        start = parse_datetime(pair[0], f"{item}[0]")
        end = parse_datetime(pair[1], f"{item}[1]")
        if end < start:
            raise FormatError(item, "end is before start")
        if end > start:
            result.append((start, end))
    return tuple(result)


def _unique_id(obj: dict, key: str, seen: set[str]) -> str:
    ident = _string(_require(obj, "id", f"{key}.id"), f"{key}.id")
    if ident in seen:
        raise FormatError(f"{key}.id", f"duplicate id {ident!r}")
    seen.add(ident)
    return ident


def _parse_caseworker(obj: dict, key: str, seen: set[str]) -> Caseworker:
    ident = _unique_id(obj, key, seen)
    working: dict[int, tuple[int, int]] = {}
    for name, pair in _object(obj.get("working_time", {}), f"{key}.working_time").items():
        day = _weekday(name, f"{key}.working_time")
        start, end = _interval(pair, f"{key}.working_time.{name}")
        if start == end:
            continue  # 00:00-00:00 means no working time that day
        if end < start:
            raise FormatError(f"{key}.working_time.{name}", "end is before start")
        working[day] = (start, end)
    breaks: dict[int, tuple[tuple[int, int], ...]] = {}
    for name, pairs in _object(obj.get("breaks", {}), f"{key}.breaks").items():
        day = _weekday(name, f"{key}.breaks")
        items = []
        for i, pair in enumerate(_list(pairs, f"{key}.breaks.{name}")):
            start, end = _interval(pair, f"{key}.breaks.{name}[{i}]")
            if end <= start:
                raise FormatError(f"{key}.breaks.{name}[{i}]", "end must be after start")
            items.append((start, end))
        breaks[day] = tuple(sorted(items))
    return Caseworker(ident, working, breaks, _busy(obj.get("busy", []), f"{key}.busy"))


def _parse_meeting(obj: dict, key: str, seen: set[str], instance_parts: dict) -> Meeting:
    ident = _unique_id(obj, key, seen)
    team = _string(_require(obj, "team", f"{key}.team"), f"{key}.team")
    if team not in instance_parts["teams"]:
        raise FormatError(f"{key}.team", f"unknown team {team!r}")
    kind = _require(obj, "kind", f"{key}.kind")
    if kind not in KINDS:
        raise FormatError(f"{key}.kind", f"must be one of {', '.join(KINDS)}")
    names = _list(_require(obj, "caseworkers", f"{key}.caseworkers"), f"{key}.caseworkers")
    if not names:
        raise FormatError(f"{key}.caseworkers", "needs at least one caseworker")
    for i, name in enumerate(names):
        if name not in instance_parts["caseworkers"]:
            raise FormatError(f"{key}.caseworkers[{i}]", f"unknown caseworker {name!r}")
    if len(set(names)) != len(names):
        raise FormatError(f"{key}.caseworkers", "lists a caseworker twice")
    rooms = _list(obj.get("rooms", []), f"{key}.rooms")
    for i, name in enumerate(rooms):
        if name not in instance_parts["rooms"]:
            raise FormatError(f"{key}.rooms[{i}]", f"unknown room {name!r}")
    if len(set(rooms)) != len(rooms):
        raise FormatError(f"{key}.rooms", "lists a room twice")
    priority = obj.get("priority", 1)
    if isinstance(priority, bool) or not isinstance(priority, (int, float)):
        raise FormatError(f"{key}.priority", "must be a number")
    if not math.isfinite(priority) or priority <= 0:
        raise FormatError(f"{key}.priority", "must be a positive number")
    duration = _integer(
        _require(obj, "duration_minutes", f"{key}.duration_minutes"), f"{key}.duration_minutes", 1
    )
    reporting = _integer(obj.get("reporting_minutes", 0), f"{key}.reporting_minutes", 0)
    if duration + reporting > MINUTES_PER_DAY:
        raise FormatError(f"{key}.duration_minutes", "meeting and reporting exceed one day")
    return Meeting(
        id=ident,
        team=team,
        kind=kind,
        caseworkers=tuple(names),
        rooms=tuple(rooms),
        participants=_integer(obj.get("participants", 1), f"{key}.participants", 1),
        duration_minutes=duration,
        reporting_minutes=reporting,
        earliest_date=_date(_require(obj, "earliest_date", f"{key}.earliest_date"), f"{key}.earliest_date"),
        deadline_date=_date(_require(obj, "deadline_date", f"{key}.deadline_date"), f"{key}.deadline_date"),
        priority=priority,
        citizens=_meeting_citizens(obj, key, instance_parts.get("citizens")),
    )


def _meeting_citizens(obj: dict, key: str, citizens: dict[str, Citizen] | None) -> tuple[str, ...]:
    """The meeting's citizens (version 2; a version 1 document has none)."""
    if citizens is None:
        return ()
    names = _list(obj.get("citizens", []), f"{key}.citizens")
    for i, name in enumerate(names):
        if name not in citizens:
            raise FormatError(f"{key}.citizens[{i}]", f"unknown citizen {name!r}")
    if len(set(names)) != len(names):
        raise FormatError(f"{key}.citizens", "lists a citizen twice")
    return tuple(names)


def _parse_citizens(data: dict) -> dict[str, Citizen]:
    citizens: dict[str, Citizen] = {}
    seen: set[str] = set()
    for i, obj in enumerate(_list(data.get("citizens", []), "citizens")):
        key = f"citizens[{i}]"
        ident = _unique_id(_object(obj, key), key, seen)
        citizens[ident] = Citizen(ident, _busy(obj.get("busy", []), f"{key}.busy"))
    return citizens


def parse_instance(data: Any) -> Instance:
    """Validate a decoded instance document; raises FormatError naming the bad key."""
    data = _object(data, "instance")
    version = _require(data, "format", "format")
    if isinstance(version, bool) or version not in INSTANCE_FORMATS:
        raise FormatError("format", f"unsupported format {version!r}, expected 1 or {INSTANCE_FORMAT}")
    start_date = _date(_require(data, "start_date", "start_date"), "start_date")
    end_date = _date(_require(data, "end_date", "end_date"), "end_date")
    if end_date < start_date:
        raise FormatError("end_date", "is before start_date")
    granularity = _integer(data.get("granularity_minutes", 5), "granularity_minutes", 1)
    if MINUTES_PER_DAY % granularity:
        raise FormatError("granularity_minutes", "must divide a day (1440 minutes)")

    teams: dict[str, Team] = {}
    seen: set[str] = set()
    for i, obj in enumerate(_list(_require(data, "teams", "teams"), "teams")):
        key = f"teams[{i}]"
        ident = _unique_id(_object(obj, key), key, seen)
        closed = _list(obj.get("closed_dates", []), f"{key}.closed_dates")
        dates = frozenset(_date(v, f"{key}.closed_dates[{j}]") for j, v in enumerate(closed))
        teams[ident] = Team(ident, dates)

    caseworkers: dict[str, Caseworker] = {}
    seen = set()
    for i, obj in enumerate(_list(_require(data, "caseworkers", "caseworkers"), "caseworkers")):
        key = f"caseworkers[{i}]"
        caseworker = _parse_caseworker(_object(obj, key), key, seen)
        caseworkers[caseworker.id] = caseworker

    rooms: dict[str, Room] = {}
    seen = set()
    for i, obj in enumerate(_list(data.get("rooms", []), "rooms")):
        key = f"rooms[{i}]"
        ident = _unique_id(_object(obj, key), key, seen)
        seats = _integer(_require(obj, "seats", f"{key}.seats"), f"{key}.seats", 0)
        rooms[ident] = Room(ident, seats, _busy(obj.get("busy", []), f"{key}.busy"))

    citizens = _parse_citizens(data) if version >= 2 else None
    parts = {"teams": teams, "caseworkers": caseworkers, "rooms": rooms, "citizens": citizens}
    meetings: list[Meeting] = []
    seen = set()
    for i, obj in enumerate(_list(_require(data, "meetings", "meetings"), "meetings")):
        key = f"meetings[{i}]"
        meetings.append(_parse_meeting(_object(obj, key), key, seen, parts))
    return Instance(start_date, end_date, granularity, teams, caseworkers, rooms, meetings, version,
                    citizens or {})


def _reason(value: Any, key: str) -> Reason:
    value = _object(value, key)
    code = _require(value, "code", f"{key}.code")
    if not isinstance(code, str) or code not in REASON_PARAMS:
        raise FormatError(f"{key}.code", f"unknown reason code {code!r}")
    reason = Reason(ReasonCode(code), _object(value.get("params", {}), f"{key}.params"))
    missing = reason.missing_params()
    if missing:
        raise FormatError(f"{key}.params.{missing[0]}", "required key is missing")
    return reason


def parse_solution(data: Any) -> Solution:
    """Validate a decoded solution document; raises FormatError naming the bad key."""
    data = _object(data, "solution")
    version = _require(data, "format", "format")
    if version != SOLUTION_FORMAT:
        raise FormatError("format", f"unsupported format {version!r}, expected {SOLUTION_FORMAT}")
    placements = []
    for i, obj in enumerate(_list(_require(data, "placements", "placements"), "placements")):
        key = f"placements[{i}]"
        obj = _object(obj, key)
        meeting = _string(_require(obj, "meeting", f"{key}.meeting"), f"{key}.meeting")
        start = parse_datetime(_require(obj, "start", f"{key}.start"), f"{key}.start")
        names = _list(_require(obj, "caseworkers", f"{key}.caseworkers"), f"{key}.caseworkers")
        for j, name in enumerate(names):
            _string(name, f"{key}.caseworkers[{j}]")
        room = obj.get("room")
        if room is not None:
            _string(room, f"{key}.room")
        placements.append(Placement(meeting, start, tuple(names), room))
    unplaced = []
    for i, obj in enumerate(_list(_require(data, "unplaced", "unplaced"), "unplaced")):
        key = f"unplaced[{i}]"
        obj = _object(obj, key)
        meeting = _string(_require(obj, "meeting", f"{key}.meeting"), f"{key}.meeting")
        unplaced.append(Unplaced(meeting, _reason(_require(obj, "reason", f"{key}.reason"), f"{key}.reason")))
    stats = _object(data.get("stats", {}), "stats")
    return Solution(placements, unplaced, stats)


# --- serialisation ---------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _busy_json(busy: tuple[tuple[datetime, datetime], ...]) -> list[list[str]]:
    return [[format_datetime(a), format_datetime(b)] for a, b in busy]


def instance_to_json(instance: Instance) -> dict[str, Any]:
    document = _instance_json(instance)
    if instance.format >= 2:
        document["citizens"] = [{"id": c.id, "busy": _busy_json(c.busy)} for c in instance.citizens.values()]
        for entry, meeting in zip(document["meetings"], instance.meetings):
            entry["citizens"] = list(meeting.citizens)
    return document


def _instance_json(instance: Instance) -> dict[str, Any]:
    return {
        "format": instance.format,
        "start_date": instance.start_date.isoformat(),
        "end_date": instance.end_date.isoformat(),
        "granularity_minutes": instance.granularity_minutes,
        "teams": [
            {"id": t.id, "closed_dates": sorted(d.isoformat() for d in t.closed_dates)}
            for t in instance.teams.values()
        ],
        "caseworkers": [
            {
                "id": c.id,
                "working_time": {
                    str(d): [format_clock(a), format_clock(b)] for d, (a, b) in sorted(c.working_time.items())
                },
                "breaks": {
                    str(d): [[format_clock(a), format_clock(b)] for a, b in items]
                    for d, items in sorted(c.breaks.items())
                },
                "busy": _busy_json(c.busy),
            }
            for c in instance.caseworkers.values()
        ],
        "rooms": [{"id": r.id, "seats": r.seats, "busy": _busy_json(r.busy)} for r in instance.rooms.values()],
        "meetings": [
            {
                "id": m.id,
                "team": m.team,
                "kind": m.kind,
                "caseworkers": list(m.caseworkers),
                "rooms": list(m.rooms),
                "participants": m.participants,
                "duration_minutes": m.duration_minutes,
                "reporting_minutes": m.reporting_minutes,
                "earliest_date": m.earliest_date.isoformat(),
                "deadline_date": m.deadline_date.isoformat(),
                "priority": m.priority,
            }
            for m in instance.meetings
        ],
    }


def solution_to_json(solution: Solution) -> dict[str, Any]:
    return {
        "format": solution.format,
        "placements": [
            {
                "meeting": p.meeting,
                "start": format_datetime(p.start),
                "caseworkers": list(p.caseworkers),
                "room": p.room,
            }
            for p in solution.placements
        ],
        "unplaced": [
            {"meeting": u.meeting, "reason": {"code": str(u.reason.code), "params": u.reason.params}}
            for u in solution.unplaced
        ],
        "stats": solution.stats,
    }


def _read_json(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise FormatError(str(path), f"not valid JSON ({error})") from None


def load_instance(path: str | Path) -> Instance:
    return parse_instance(_read_json(path))


def load_solution(path: str | Path) -> Solution:
    return parse_solution(_read_json(path))


def write_json(document: dict[str, Any], path: str | Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")


def minutes_of_day(value: datetime) -> int:
    return value.hour * 60 + value.minute


def combine(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(minutes // 60, minutes % 60))
