"""Random instances, deterministic by seed: departments of teams, shared caseworkers, rooms, call-in batches."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from optimizer.model import Caseworker, Instance, Meeting, Room, Team

START = date(2027, 3, 1)  # a Monday
LOADS = {"tight": 0.95, "normal": 0.7}
TEAMS_PER_DEPARTMENT = 3
CASEWORKERS_PER_TEAM = 10
SHARED_FRACTION = 0.15  # caseworkers who also belong to a sibling team of their department
GROUP_FRACTION = 0.1


def _working_days(count: int) -> list[date]:
    days, day = [], START
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def generate(meetings: int, caseworkers: int, days: int, seed: int, load: str = "normal") -> Instance:
    """An instance whose free caseworker time is about demand / load (tight: near capacity)."""
    if load not in LOADS:
        raise ValueError(f"load must be one of {', '.join(LOADS)}")
    # One random stream, drawn in this order: teams, members, rooms, meetings, calendars.
    rng = random.Random(seed)
    workdays = _working_days(max(days, 1))
    n_teams = max(1, round(caseworkers / CASEWORKERS_PER_TEAM))
    team_ids = [f"t{k + 1}" for k in range(n_teams)]
    department = {t: k // TEAMS_PER_DEPARTMENT for k, t in enumerate(team_ids)}
    teams = _teams(rng, team_ids, workdays)
    cw_ids = [f"cw{k + 1}" for k in range(caseworkers)]
    members = _members(rng, team_ids, cw_ids, department)
    rooms, team_rooms, group_rooms = _rooms(rng, team_ids, members, department)
    meeting_list, demand = _meetings(rng, meetings, workdays, members, department, team_rooms, group_rooms)
    cw_objects = {c: _caseworker(rng, c, workdays, demand[c] / LOADS[load]) for c in cw_ids}
    for ident, room in list(rooms.items()):
        rooms[ident] = Room(ident, room.seats, _room_busy(rng, workdays))
    return Instance(START, workdays[-1], 5, teams, cw_objects, rooms, meeting_list)


def _teams(rng: random.Random, team_ids: list[str], workdays: list[date]) -> dict[str, Team]:
    """Closure: one national day for all, a local day for some teams."""
    national = {workdays[len(workdays) // 2]} if len(workdays) >= 10 else set()
    teams = {}
    for t in team_ids:
        closed = set(national)
        if rng.random() < 0.3:
            closed.add(rng.choice(workdays))
        teams[t] = Team(t, frozenset(closed))
    return teams


def _members(rng: random.Random, team_ids: list[str], cw_ids: list[str],
             department: dict[str, int]) -> dict[str, list[str]]:
    """Each caseworker in a home team, some also in a sibling team of the same department."""
    members: dict[str, list[str]] = {t: [] for t in team_ids}
    for k, c in enumerate(cw_ids):
        home = team_ids[k % len(team_ids)]
        members[home].append(c)
        siblings = [t for t in team_ids if department[t] == department[home] and t != home]
        if siblings and rng.random() < SHARED_FRACTION:
            members[rng.choice(siblings)].append(c)
    return members


def _rooms(rng: random.Random, team_ids: list[str], members: dict[str, list[str]], department: dict[str, int],
           ) -> tuple[dict[str, Room], dict[str, list[str]], dict[int, list[str]]]:
    """Small rooms per team (one per three members), one large group room per department."""
    rooms: dict[str, Room] = {}
    team_rooms: dict[str, list[str]] = {}
    group_rooms: dict[int, list[str]] = {}
    for t in team_ids:
        team_rooms[t] = []
        for _ in range(max(1, len(members[t]) // 3)):
            ident = f"r{len(rooms) + 1}"
            rooms[ident] = Room(ident, rng.choice([2, 3, 4]), ())
            team_rooms[t].append(ident)
    for dep in sorted(set(department.values())):
        ident = f"r{len(rooms) + 1}"
        rooms[ident] = Room(ident, rng.choice([8, 12, 16, 20]), ())
        group_rooms[dep] = [ident]
    return rooms, team_rooms, group_rooms


def _meetings(rng: random.Random, meetings: int, workdays: list[date], members: dict[str, list[str]],
              department: dict[str, int], team_rooms: dict[str, list[str]], group_rooms: dict[int, list[str]],
              ) -> tuple[list[Meeting], dict[str, float]]:
    """Call-in batches: a template (caseworkers, room, length) and one creation day per batch;
    also each caseworker's demand in minutes."""
    team_ids = list(members)
    end_date = workdays[-1]
    meeting_list: list[Meeting] = []
    demand: dict[str, float] = {c: 0.0 for names in members.values() for c in names}
    while len(meeting_list) < meetings:
        t = rng.choice(team_ids)
        if not members[t]:
            continue
        group = rng.random() < GROUP_FRACTION and len(members[t]) >= 2
        # The waiting list of a nightly run: earliest dates spread over the first part of the
        # horizon, deadlines one to three weeks later (a few beyond the horizon).
        earliest = workdays[rng.randrange(max(1, len(workdays) - 5))]
        deadline = earliest + timedelta(days=rng.randint(7, 21))
        if deadline > end_date and rng.random() < 0.8:
            deadline = end_date
        if group:
            names = rng.sample(members[t], 2)
            room_ids = group_rooms[department[t]]
            participants = rng.randint(4, 14)
            duration, reporting = rng.choice([60, 90]), rng.choice([15, 30])
            size = rng.randint(1, 2)
        else:
            names = rng.sample(members[t], min(len(members[t]), rng.randint(1, 4)))
            room_ids = (rng.sample(team_rooms[t], min(len(team_rooms[t]), rng.randint(1, 2)))
                        if rng.random() < 0.4 else [])
            participants = 1
            duration, reporting = rng.choice([30, 45, 60]), rng.choice([0, 10, 15])
            size = rng.randint(1, 12)
        priority = 2 if rng.random() < 0.1 else 1
        for _ in range(min(size, meetings - len(meeting_list))):
            ident = f"m{len(meeting_list) + 1}"
            meeting_list.append(
                Meeting(ident, t, "group" if group else "individual", tuple(names), duration, earliest, deadline,
                        tuple(room_ids), participants, reporting, priority)
            )
            for c in names:
                demand[c] += (duration + reporting) / (1 if group else len(names))
    return meeting_list, demand


def _caseworker(rng: random.Random, ident: str, workdays: list[date], free_wanted: float) -> Caseworker:
    """Working time, a break, and existing bookings that leave about `free_wanted` minutes free."""
    working = {d: (rng.choice([450, 480, 510]), rng.choice([930, 960])) for d in range(5)}
    if rng.random() < 0.15:
        working.pop(rng.randrange(5))  # part-time: one weekday off
    lunch = rng.choice([690, 720])
    breaks = {d: ((lunch, lunch + 30),) for d in working}
    open_days = [day for day in workdays if day.weekday() in working]
    free_per_day = free_wanted / max(len(open_days), 1)
    # Stretches lose minutes to the lunch break and to rounding: aim once, measure, aim again.
    for _ in range(2):
        busy = []
        for day in open_days:
            a, b = working[day.weekday()]
            busy.extend(_bookings(rng, day, a, b, lunch, free_per_day))
        free = _free_minutes(working, lunch, open_days, busy)
        target = free_per_day * len(open_days)
        if free <= 0 or abs(free - target) < 0.03 * target:
            break
        free_per_day *= target / free
    return Caseworker(ident, working, breaks, tuple(busy))


def _room_busy(rng: random.Random, workdays: list[date]) -> tuple[tuple[datetime, datetime], ...]:
    busy = []
    for day in workdays:
        for _ in range(rng.randint(0, 3)):
            start = rng.randrange(480, 900, 15)
            busy.append((_at(day, start), _at(day, start + rng.choice([30, 60, 90]))))
    return tuple(sorted(busy))


def _free_minutes(working: dict, lunch: int, open_days: list[date], busy: list) -> int:
    taken = sum(int((b - a).total_seconds() // 60) for a, b in busy)
    return sum(working[d.weekday()][1] - working[d.weekday()][0] - 30 for d in open_days) - taken


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)


def _bookings(rng: random.Random, day: date, a: int, b: int, lunch: int, free: float) -> list[tuple[datetime, datetime]]:
    """Busy intervals covering the working day except a few free stretches of about `free` minutes in all."""
    wanted = max(0.0, rng.gauss(free, free * 0.3))
    lengths, total = [], 0
    while total + 22 < wanted:
        length = min(rng.randrange(45, 155, 5), max(30, int((wanted - total) / 5) * 5))
        lengths.append(length)
        total += length
    slack = max(0, (b - a) - total)
    cuts = sorted(rng.randrange(0, slack + 1, 5) for _ in lengths)
    stretches, cursor, used = [], a, 0
    for length, cut in zip(lengths, cuts):
        start = cursor + (cut - used)
        used = cut
        end = min(start + length, b)
        if end > start:
            stretches.append((start, end))
        cursor = end
    stretches.sort()
    busy, cursor = [], a
    for start, end in stretches:
        if start > cursor:
            busy.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < b:
        busy.append((cursor, b))
    # The lunch break already blocks its half hour; keep bookings out of it so they look real.
    result = []
    for start, end in busy:
        for part in ((start, min(end, lunch)), (max(start, lunch + 30), end)):
            if part[1] > part[0]:
                result.append((_at(day, part[0]), _at(day, part[1])))
    return result


# --- the pooled family -------------------------------------------------------------
# Call-ins go to a pool: each meeting may take any of 1 to 6 caseworkers of its team and the
# next team, so shared caseworkers make one component; dense days (free time for about five to
# six meetings of 30 to 45 minutes plus reporting per caseworker-day at tight load), priorities
# 1 to 3, windows of a few days, team rooms and group meetings, a 15-minute grid.
POOLED_TEAM_SIZE = 8
POOLED_GRANULARITY = 15
POOLED_GROUP_FRACTION = 0.05
POOLED_ROOM_FRACTION = 0.3
POOLED_PRIORITIES = ((1, 0.6), (2, 0.3), (3, 0.1))


def generate_pooled(meetings: int, caseworkers: int, days: int, seed: int, load: str = "tight") -> Instance:
    """A pooled instance whose free caseworker time is about demand / load."""
    if load not in LOADS:
        raise ValueError(f"load must be one of {', '.join(LOADS)}")
    rng = random.Random(seed)
    workdays = _working_days(max(days, 1))
    n_teams = max(2, round(caseworkers / POOLED_TEAM_SIZE))
    team_ids = [f"t{k + 1}" for k in range(n_teams)]
    teams = _teams(rng, team_ids, workdays)
    cw_ids = [f"cw{k + 1}" for k in range(caseworkers)]
    members = {t: [c for k, c in enumerate(cw_ids) if k % n_teams == i] for i, t in enumerate(team_ids)}
    rooms: dict[str, Room] = {}
    team_rooms: dict[str, list[str]] = {}
    for t in team_ids:
        team_rooms[t] = [f"r{len(rooms) + k + 1}" for k in range(max(1, len(members[t]) // 3))]
        rooms.update({r: Room(r, rng.choice([2, 3, 4])) for r in team_rooms[t]})
    group_room = f"r{len(rooms) + 1}"
    rooms[group_room] = Room(group_room, rng.choice([10, 12, 16]))
    meeting_list, demand = _pooled_meetings(rng, meetings, workdays, members, team_rooms, group_room)
    cw_objects = {c: _caseworker(rng, c, workdays, demand[c] / LOADS[load]) for c in cw_ids}
    for ident, room in list(rooms.items()):
        rooms[ident] = Room(ident, room.seats, _room_busy(rng, workdays))
    return Instance(START, workdays[-1], POOLED_GRANULARITY, teams, cw_objects, rooms, meeting_list)


def _pooled_meetings(rng: random.Random, meetings: int, workdays: list[date], members: dict[str, list[str]],
                     team_rooms: dict[str, list[str]], group_room: str) -> tuple[list[Meeting], dict[str, float]]:
    """Meetings of a pool of 1-6 caseworkers across a team and the next; each caseworker's demand."""
    team_ids = list(members)
    end_date = workdays[-1]
    meeting_list: list[Meeting] = []
    demand: dict[str, float] = {c: 0.0 for names in members.values() for c in names}
    priorities, weights = zip(*POOLED_PRIORITIES)
    while len(meeting_list) < meetings:
        k = rng.randrange(len(team_ids))
        t, other = team_ids[k], team_ids[(k + 1) % len(team_ids)]
        pool = members[t] + [c for c in members[other] if c not in members[t]]
        if not pool:
            continue
        earliest = workdays[rng.randrange(max(1, len(workdays) - 2))]
        deadline = min(earliest + timedelta(days=rng.randint(2, 6)), end_date)
        priority = rng.choices(priorities, weights)[0]
        if rng.random() < POOLED_GROUP_FRACTION and len(members[t]) >= 2:
            names = tuple(rng.sample(members[t], 2))
            meeting = Meeting(f"m{len(meeting_list) + 1}", t, "group", names, rng.choice([60, 90]), earliest,
                              deadline, (group_room,), rng.randint(4, 10), 15, priority)
        else:
            names = tuple(rng.sample(pool, min(len(pool), rng.randint(1, 6))))
            room_ids = (tuple(rng.sample(team_rooms[t], min(2, len(team_rooms[t]))))
                        if rng.random() < POOLED_ROOM_FRACTION else ())
            meeting = Meeting(f"m{len(meeting_list) + 1}", t, "individual", names, rng.choice([30, 45]), earliest,
                              deadline, room_ids, 1, rng.choice([10, 15]), priority)
        meeting_list.append(meeting)
        share = 1 if meeting.kind == "group" else len(names)
        for c in names:
            demand[c] += meeting.occupied_minutes / share
    return meeting_list, demand
