"""Batch solver per connected component: greedy floor, LP rounding, ejection chains, exact re-solves (R-3.2, R-3.4)."""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from optimizer.bound import (
    Cancelled,
    Columns,
    LpResult,
    Matrix,
    build_matrix,
    enumerate_columns,
    meeting_classes,
    solve_lp,
    solve_mip,
)
from optimizer.exact import apply, build_and_solve, solve_component_mip, spots_from_counts
from optimizer.check import check
from optimizer.cuts import tighten
from optimizer.greedy import (
    TRUNCATED,
    MeetingData,
    Problem,
    Schedule,
    build_problem,
    priority_edf_key,
    weighted_floor,
)
from optimizer.model import Instance, Placement, Solution
from optimizer.reasons import unplaced_reasons

# Beyond this many columns a component's LP is skipped (its bound falls back to the count of
# placeable meetings) to keep memory and time in check.
COLUMN_LIMIT = 3_000_000
# The whole component's MIP (in PuLP) only when its model is this small: PuLP builds a model at
# roughly 10 µs per entry.
MIP_COLUMN_LIMIT = 4_000
# Up to this many columns the whole component's MIP goes to HiGHS directly (the LP's matrix),
# when at least MATRIX_MIP_MIN_SECONDS are left: on 1,000-meeting components HiGHS needs 1 to 3 s
# for its root cuts, and its heuristics find better schedules only after them.
MATRIX_MIP_COLUMN_LIMIT = 20_000
MATRIX_MIP_MIN_SECONDS = 3.0
# Share of the search time the ejection chains after rounding may take.
REPAIR_SHARE = 0.2
# Share of the time left after the support models that rounding restarts may take, and the
# relative noise put on the LP values for them.
RESTART_SHARE = 0.5
RESTART_NOISE = 0.5
# Restarts end after this many in a row that found no better weighted count: on the pooled family
# 2 of 10 (900 meetings) and 2 of 32 (3,000) restarts gained, each a meeting or two, while the
# neighbourhood models waited for their time.
RESTART_PATIENCE = 4
# The MIPs over the LP's support: columns above this LP value, and the LP values from which
# columns are fixed, one level after the other while HiGHS closes them (above 1: none fixed).
SUPPORT_THRESHOLD = 1e-6
# A support model is only solved when it has at most this many columns per meeting left to
# place: at normal load the LP's optimal face is wide, its support large, and HiGHS seldom
# closes it in the time (the neighbourhoods do better there).
SUPPORT_COLUMNS_PER_MEETING = 12
FIX_LEVELS = (0.5, 0.75, 0.9, 0.99, 2.0)
# Gomory cuts on the component's LP (optimizer/cuts.py) come before the ejection chains under
# tight load, recognised by a narrow LP support: at most this many support columns per meeting
# (measured: 1.4 to 4.9 on the tight benchmark components, 10 to 24 on the normal ones but for one
# small component at 3.2). The rounds may take this share of the component's search time, which
# is then extended by the time they took (up to the instance's search end).
CUT_SUPPORT_PER_MEETING = 6.0
CUT_SHARE = 0.6
CUT_ROUNDS = 8
# Elsewhere (normal load) the cuts only run on models up to this many columns, and may take the
# component's whole search time before it is extended: one round took 0.3 to 0.5 s on the largest
# 1,000-normal component (10,564 columns, 838 -> 837, its optimum) and 0.5 s on a 14,678-column
# 5,000-normal one (890.3 -> 889), but 1.6 to 5.5 s on the 20,000 to 28,000-column ones, whose
# bounds it did not lower.
NORMAL_CUT_COLUMNS = 15_000
NORMAL_CUT_SHARE = 1.0
# One round there: a second changed neither bound (837.000001 and 889.0 after one and after three).
NORMAL_CUT_ROUNDS = 1
# Below a cut round's vertex, the LP's own support enters that round's support model at this
# value: only the fixing levels tell them apart.
CUT_SUPPORT_FLOOR = 1e-5
# Fixing levels for the cut vertices' support models: fixing at 0.5 there found fewer meetings
# than at 0.75 on every component measured (1,000 and 5,000 tight, every round's vertex).
CUT_FIX_LEVELS = (0.75, 0.9, 0.99, 2.0)
# The search of the whole instance ends this long after the start (a base plus a share per
# meeting), whatever the components' own shares: it evens out components that run late on an
# unevenly loaded process.
SEARCH_SECONDS = 0.2
SEARCH_SECONDS_PER_MEETING = 0.0015
# Search time of a component past its LP and rounding when no time limit is given: a base plus
# a share per meeting and per process solving components (see `_effort`).
EFFORT_SECONDS = 0.05
EFFORT_SECONDS_PER_MEETING = 0.0007
# A pool process takes a few tenths of a second to start (more when the cores are shared): it
# pays only when at least this many meetings lie outside the largest component, which this
# process solves meanwhile.
POOL_MIN_MEETINGS = 500
REPAIR_BLOCKERS = 40
# Under a time limit: kept back for merging the components, the check and writing the file.
FINISH_SECONDS = 0.5
FINISH_SECONDS_PER_MEETING = 0.0001
REPAIR_DEPTH = 2
# Under a time limit a component follows one plan whatever the limit, and the limit only cuts it
# (never worse as the limit grows, see `ComponentSearch`): its search past rounding is planned
# at this many seconds per meeting (measured on the pooled 900-meeting instance: 1,194 with the
# default search time, 1,229 with 17 s more, bound 1,242), so a limit up to the plan's length
# is used to its end.
ANYTIME_SECONDS_PER_MEETING = 0.03
# Without a limit, the share of the component's own search time in which the floor may try its
# further greedy orders (optimizer/greedy.py, FLOOR_ORDERS); under a limit all of them run.
FLOOR_SHARE = 0.1
# Under a limit the component's LP may take this share of its planned search time: when it
# cannot finish, the rest goes to ejection chains and neighbourhoods from the floor. On the
# pooled family the LP is what makes the result (900 at 30 s: 1,219 with the LP, 1,163 from the
# floor when 80 %, 21.6 s, was too little for the LP at load 14), so it may take all of it.
LP_SHARE = 1.0
# Under a limit the columns, the matrix and the LP are built and solved on a second thread (HiGHS
# lets go of the GIL while it solves), so that the run can end at the deadline while they are
# still under way (building the pooled 3,000-meeting matrix alone took 4 s).
LP_ON_THREAD = True
# How long a run cut at its deadline waits for the LP's thread to stop (one HiGHS iteration: about
# 0.2 s at 900 pooled meetings, 1.5 s at 20,000).
LP_CANCEL_SECONDS = 5.0
# The ejection chains beside the LP make one pass over the waiting meetings, at most this many
# of them per meeting of the component: on a shared machine they take CPU time from the LP
# (measured: the pooled 3,000-meeting LP no longer finished in a 60 s limit at load 9 with chains
# beside it all along), and they find most of their gain early. Counted in meetings, not
# seconds, and not stopped when the LP is done: what they do depends neither on the limit nor
# on how fast the machine was (a pass cut by wall time differed from run to run and made 10 s
# worse than 5 s on pooled 900).
BESIDE_TRIES_PER_MEETING = 0.2
# Neighbourhood re-solves: days per neighbourhood, seconds and columns per model, and the
# time they may take in all per component (a base plus a share per meeting).
NEIGHBOURHOOD_DAYS = 3
# 0.25 s each: on pooled 900 at 30 s (seeds 1 to 3) 0.5 s placed 1,230 / 1,284 / 1,231, 0.25 s
# 1,231 / 1,285 / 1,232 (more models in the time; those that do not close seldom gain), 1.0 s
# 1,229 / 1,284 / 1,232.
NEIGHBOURHOOD_SECONDS = 0.25
NEIGHBOURHOOD_COLUMNS = 6_000
# Even out the caseworkers' booked shares after the search under a time limit (`_balance`).
BALANCE = True
# Passes over the waiting meetings, each with the blocks of days shifted by one.
NEIGHBOURHOOD_PASSES = 3

Spot = tuple[tuple[int, ...], int, int, int]


@dataclass
class ComponentResult:
    greedy: dict[int, Spot]
    best: dict[int, Spot]
    bound: float
    method: str
    lp_optimal: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.time(), 0.0)


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.time() >= deadline


def _score(problem: Problem, placed: dict[int, Spot]) -> tuple[float, int, int, int]:
    """Weighted count first, then the plain count, then earlier days, then earlier in the day
    (days packed from their start: compact days) (R-3.2)."""
    weight = sum(problem.meetings[i].priority for i in placed)
    return (round(weight, 9), len(placed), -sum(spot[2] for spot in placed.values()),
            -sum(spot[3] for spot in placed.values()))


def _fill(schedule: Schedule, meetings: list[MeetingData], deadline: float | None) -> None:
    for m in sorted(meetings, key=priority_edf_key):
        if m.index not in schedule.placed:
            if _expired(deadline):
                return
            schedule.fit(m, balance=True)


def _one_blocker_starts(schedule: Schedule, static: Schedule, m: MeetingData) -> list[tuple[int, Spot]]:
    """Statically free starts of a meeting where exactly one placed meeting is in the way, the
    first such start for each blocking meeting (computed over whole days at once)."""
    grid = static.grid(m.length)
    found: dict[int, Spot] = {}
    for team, room, mask in static.masks(m):
        rows = np.flatnonzero(mask.any(axis=1))
        for row in rows.tolist():
            day = int(m.days[row])
            cols = np.flatnonzero(mask[row])
            starts = grid[cols]
            low = np.full(starts.size, np.iinfo(np.int32).max, dtype=np.int64)
            high = np.full(starts.size, -1, dtype=np.int64)
            owners = [(schedule.cw_owner[c, day], m.length) for c in team]
            if room >= 0:
                owners.append((schedule.room_owner[room, day], m.duration))
            owners.extend((schedule.cz_owner[z, day], m.duration) for z in m.citizens)
            for owner, length in owners:
                windows = np.lib.stride_tricks.sliding_window_view(owner, length)[starts]
                high = np.maximum(high, windows.max(axis=1))
                low = np.minimum(low, np.where(windows < 0, np.iinfo(np.int32).max, windows).min(axis=1))
            single = np.flatnonzero((high >= 0) & (low == high))
            for k in single.tolist():
                b = int(high[k])
                if b not in found:
                    found[b] = (team, room, day, int(starts[k]))
    return list(found.items())


def _relocate(schedule: Schedule, static: Schedule, problem: Problem, m: MeetingData, depth: int,
              chain: set[int]) -> bool:
    """Place a meeting that was taken out: at a free start, or (depth > 0) by moving the one
    meeting in the way of a start further along, an ejection chain."""
    if schedule.fit(m, balance=True):
        return True
    if depth <= 0:
        return False
    tried = 0
    for b, (team, room, day, minute) in _one_blocker_starts(schedule, static, m):
        if b in chain:
            continue
        chain.add(b)
        tried += 1
        other = problem.meetings[b]
        where = schedule.remove(other)
        if schedule.is_free(team, room, day, minute, m):
            schedule.place(m, team, room, day, minute)
            if _relocate(schedule, static, problem, other, depth - 1, chain):
                return True
            schedule.remove(m)
        schedule.place(other, *where)
        if tried >= REPAIR_BLOCKERS // (2 ** (REPAIR_DEPTH - depth)):
            break
    return False


def _repair(schedule: Schedule, static: Schedule, problem: Problem, deadline: float | None,
            tries: int | None = None) -> None:
    """Place each waiting meeting by ejection chains: move the meeting in its way elsewhere, that
    one possibly moving another; or swap it out when it weighs less. One pass, in a fixed order,
    over at most `tries` waiting meetings; ends sooner at `deadline`."""
    unplaced = [m for m in problem.meetings if m.index not in schedule.placed and m.index not in problem.unusable]
    unplaced.sort(key=lambda m: (-m.priority, m.deadline, m.index))
    for m in unplaced[:tries]:
        if _expired(deadline):
            return
        if m.index in schedule.placed or schedule.fit(m, balance=True):
            continue
        chain = {m.index}
        swap = None
        tried = 0
        for b, (team, room, day, minute) in _one_blocker_starts(schedule, static, m):
            if b in chain:
                continue
            chain.add(b)
            tried += 1
            other = problem.meetings[b]
            if other.priority > m.priority:
                continue
            where = schedule.remove(other)
            if schedule.is_free(team, room, day, minute, m):
                schedule.place(m, team, room, day, minute)
                if _relocate(schedule, static, problem, other, REPAIR_DEPTH - 1, chain):
                    swap = None
                    break
                schedule.remove(m)
                if other.priority < m.priority and swap is None:
                    swap = (other, (team, room, day, minute))
            schedule.place(other, *where)
            if tried >= REPAIR_BLOCKERS:
                break
        if m.index not in schedule.placed and swap is not None:
            other, spot = swap
            schedule.remove(other)
            schedule.place(m, *spot)


def _shift_earlier(schedule: Schedule, problem: Problem, deadline: float | None) -> None:
    """Move each meeting to its earliest free day; its own spot stays available, so nothing is lost."""
    for index in sorted(schedule.placed, key=lambda i: -schedule.placed[i][2]):
        if _expired(deadline):
            return
        m = problem.meetings[index]
        where = schedule.remove(m)
        spot = schedule.first_fit(m, balance=True)
        if spot is None or spot[2] > where[2]:
            spot = where
        schedule.place(m, *spot)


class _Shares:
    """Booked shares (booked over free minutes) of the caseworkers, with each team's sum and sum of
    squares, so that how uneven a team is (the squared deviations from its mean share) changes
    by a few multiplications when a meeting moves."""

    def __init__(self, schedule: Schedule, problem: Problem, teams: list[np.ndarray]) -> None:
        self.free = problem.cw_free.sum(axis=1).astype(float)
        self.share = np.divide(schedule.cw_load, self.free, out=np.zeros(self.free.size), where=self.free > 0)
        self.size = np.array([t.size for t in teams], dtype=float)
        self.sum = np.array([self.share[t].sum() for t in teams])
        self.squares = np.array([(self.share[t] ** 2).sum() for t in teams])
        self.of: list[list[int]] = [[] for _ in range(self.free.size)]
        for k, t in enumerate(teams):
            for c in t.tolist():
                self.of[c].append(k)

    def fall(self, changes: dict[int, float]) -> float:
        """How much more even the teams get when caseworkers' booked minutes change by `changes`."""
        rise = 0.0
        for k in {k for c in changes for k in self.of[c]}:
            d_sum = d_squares = 0.0
            for c, minutes in changes.items():
                if k in self.of[c]:
                    d = minutes / self.free[c]
                    d_sum += d
                    d_squares += 2 * self.share[c] * d + d * d
            rise += d_squares - ((self.sum[k] + d_sum) ** 2 - self.sum[k] ** 2) / self.size[k]
        return -rise

    def change(self, changes: dict[int, float]) -> None:
        for c, minutes in changes.items():
            d = minutes / self.free[c]
            for k in self.of[c]:
                self.sum[k] += d
                self.squares[k] += 2 * self.share[c] * d + d * d
            self.share[c] += d


def _balance(schedule: Schedule, problem: Problem, teams: list[np.ndarray], deadline: float | None) -> int:
    """Even out the booked shares of each team's caseworkers (R-3.2): an individual meeting moves
    to another of its caseworkers on the same day with the same room (at their first free start,
    which keeps their day packed), or trades places with a shorter meeting of theirs, when the shares within the teams become more even (`_Shares.fall`). Count and days
    stay; each move makes the teams more even, so the passes end. Returns the number of moves."""
    shares = _Shares(schedule, problem, teams)
    moves = 0
    moved = True
    while moved:
        moved = False
        for index in sorted(schedule.placed, key=lambda i: (-shares.share[schedule.placed[i][0][0]], i)):
            if _expired(deadline):
                return moves
            m = problem.meetings[index]
            a = schedule.placed[index][0][0]
            if m.kind != "individual" or len(m.cws) < 2 or not shares.of[a]:
                continue
            if _move_or_swap(schedule, problem, m, shares):
                moves += 1
                moved = True
    return moves


def _move_or_swap(schedule: Schedule, problem: Problem, m: MeetingData, shares: _Shares) -> bool:
    """One step of `_balance` for meeting `m` of caseworker a: to another of its caseworkers b on
    the same day, or, where that evens nothing out or b has no room for it, in exchange for a
    shorter meeting of b's that a may take, each at its own start. True when something moved
    (`shares` then follows)."""
    team, room, day, minute = schedule.placed[m.index]
    a = team[0]
    others = [b for b in m.cws if b != a and shares.free[b] > 0]
    gains = {b: fall for b in others if (fall := shares.fall({a: -m.length, b: m.length})) > 1e-12}
    if gains:
        schedule.remove(m)
        spots = {}
        for t, r, mask in schedule.masks(m, np.array([day])):
            if r == room and t[0] in gains and mask[0].any():
                starts = schedule.grid(m.length)[mask[0]]
                spots[t[0]] = int(starts[0])
        best = max(spots, key=lambda b: (gains[b], -b), default=a)
        schedule.place(m, (best,), room, day, spots.get(best, minute))
        if best != a:
            shares.change({a: -m.length, best: m.length})
            return True
    # An exchange: y of b's, shorter, that a may take; each keeps its start and room.
    for b in others:
        for y_index in sorted({int(i) for i in np.unique(schedule.cw_owner[b, day]) if i >= 0}):
            y = problem.meetings[y_index]
            y_team, y_room, _day, y_minute = schedule.placed[y_index]
            if y.kind != "individual" or a not in y.cws or y.length >= m.length:
                continue
            changes = {a: y.length - m.length, b: m.length - y.length}
            if shares.fall(changes) <= 1e-12:
                continue
            schedule.remove(m)
            schedule.remove(y)
            if schedule.is_free((b,), room, day, minute, m):
                schedule.place(m, (b,), room, day, minute)
                if schedule.is_free((a,), y_room, day, y_minute, y):
                    schedule.place(y, (a,), y_room, day, y_minute)
                    shares.change(changes)
                    return True
                schedule.remove(m)
            schedule.place(m, team, room, day, minute)
            schedule.place(y, y_team, y_room, day, y_minute)
    return False


def _compact_days(schedule: Schedule, problem: Problem, deadline: float | None) -> None:
    """Slide each meeting to the first free start of its own day with its own caseworkers and
    room, until nothing moves: count, days and caseworkers stay, the days close up (R-3.2)."""
    moved = True
    while moved:
        moved = False
        for index in sorted(schedule.placed, key=lambda i: schedule.placed[i][2:]):
            if _expired(deadline):
                return
            m = problem.meetings[index]
            team, room, day, minute = schedule.remove(m)
            option = next(mask for t, r, mask in schedule.masks(m, np.array([day]))
                          if t == team and r == room)[0]
            grid = schedule.grid(m.length)
            first = int(grid[int(option.argmax())]) if option.any() else minute
            if first < minute:
                minute, moved = first, True
            schedule.place(m, team, room, day, minute)


def _round(schedule: Schedule, columns: Columns, values: np.ndarray) -> None:
    """Take columns by decreasing LP value, skipping any that clash with what is already placed."""
    chosen = np.flatnonzero(values > 1e-6)
    order = chosen[np.lexsort((-columns.cost[chosen], -values[chosen]))]
    waiting = [list(c.members) for c in columns.classes]
    for j in order.tolist():
        k = int(columns.cls[j])
        if not waiting[k]:
            continue
        meeting_class = columns.classes[k]
        team, room = meeting_class.options[int(columns.option[j])]
        day, minute = int(columns.day[j]), int(columns.minute[j])
        m = schedule.problem.meetings[waiting[k][-1]]
        if schedule.is_free(team, room, day, minute, m):
            schedule.place(m, team, room, day, minute)
            waiting[k].pop()


def _support_mip(problem: Problem, columns: Columns, values: np.ndarray, fix_at: float, seconds: float,
                 threads: int) -> tuple[dict[int, Spot] | None, bool] | None:
    """Columns at LP value `fix_at` or more are placed first (highest first, where still free);
    the exact model over the rest of the LP's support that is still free then completes the
    schedule. Returns the schedule (re-checked, None when nothing checks) and whether HiGHS
    proved that model optimal; None when the model is too large to be worth solving."""
    schedule = Schedule(problem)
    waiting = [list(c.members) for c in columns.classes]
    fixed = np.flatnonzero(values >= fix_at)
    for j in fixed[np.argsort(-values[fixed], kind="stable")].tolist():
        k = int(columns.cls[j])
        if waiting[k]:
            team, room = columns.classes[k].options[int(columns.option[j])]
            m = problem.meetings[waiting[k][-1]]
            if schedule.is_free(team, room, int(columns.day[j]), int(columns.minute[j]), m):
                schedule.place(m, team, room, int(columns.day[j]), int(columns.minute[j]))
                waiting[k].pop()
    free = np.zeros(columns.size, dtype=bool)
    for j in np.flatnonzero(values > SUPPORT_THRESHOLD).tolist():
        k = int(columns.cls[j])
        if waiting[k]:
            team, room = columns.classes[k].options[int(columns.option[j])]
            free[j] = schedule.is_free(team, room, int(columns.day[j]), int(columns.minute[j]),
                                       columns.classes[k].sample)
    restricted = columns.subset(free)
    if not restricted.size:
        return dict(schedule.placed), True
    if restricted.size > SUPPORT_COLUMNS_PER_MEETING * sum(len(w) for w in waiting):
        return None
    size = np.array([len(w) for w in waiting], dtype=float)
    result, _bound, proven = solve_mip(restricted, build_matrix(problem, restricted, size), None, seconds, threads)
    if result is None:
        return None, False
    placed = dict(schedule.placed)
    for j in np.flatnonzero(result > 0.5).tolist():
        k = int(restricted.cls[j])
        team, room = restricted.classes[k].options[int(restricted.option[j])]
        for _ in range(int(round(float(result[j])))):
            if not waiting[k]:
                return None, proven
            placed[waiting[k].pop()] = (team, room, int(restricted.day[j]), int(restricted.minute[j]))
    checked = Schedule(problem)
    return (dict(checked.placed) if apply(checked, problem, placed) else None), proven


def _neighbourhood(problem: Problem, schedule: Schedule, m: MeetingData, days: set[int]) -> tuple[set[int], set[int], list[int]]:
    """Caseworkers and rooms of a waiting meeting over some days, and the meetings placed on them."""
    cws = set(m.cws)
    rooms = set(m.rooms)
    freed = [
        i for i, (team, room, day, _minute) in schedule.placed.items()
        if day in days and (cws.intersection(team) or room in rooms)
    ]
    return cws, rooms, freed


def _improve(problem: Problem, schedule: Schedule, static: Schedule, deadline: float | None, budget: float,
             threads: int, stats: dict[str, int], target: float | None = None) -> None:
    """Exact re-solves (PuLP + HiGHS) of small neighbourhoods around the meetings still waiting,
    until the schedule reaches `target` or the time is up. Pass after pass, each with the blocks
    of days shifted by one, while a pass still finds a neighbourhood not tried before."""
    stop = time.time() + budget
    if deadline is not None:
        stop = min(stop, deadline)
    waiting = [
        m for m in problem.meetings
        if m.index not in schedule.placed and m.index not in problem.unusable
        and any(mask.any() for _t, _r, mask in static.masks(m))
    ]
    waiting.sort(key=lambda m: (-m.priority, m.deadline, m.index))
    seen: set[tuple] = set()
    for shift in range(NEIGHBOURHOOD_PASSES):
        tried = _improve_pass(problem, schedule, waiting, seen, shift, stop, threads, stats, target)
        if tried is None or not tried:
            return


def _improve_pass(problem: Problem, schedule: Schedule, waiting: list[MeetingData], seen: set[tuple], shift: int,
                  stop: float, threads: int, stats: dict[str, int], target: float | None) -> int | None:
    """One pass of `_improve` over the waiting meetings, their open days in blocks of
    NEIGHBOURHOOD_DAYS starting `shift` days in: the number of new neighbourhoods tried, None
    when the target or the stop was reached."""
    tried = 0
    for m in waiting:
        if target is not None and _score(problem, schedule.placed)[0] >= target - 1e-9:
            return None
        if m.index in schedule.placed:
            continue
        open_days = m.days.tolist()
        if shift and len(open_days) <= NEIGHBOURHOOD_DAYS:
            continue
        for first in range(-(shift % NEIGHBOURHOOD_DAYS), len(open_days), NEIGHBOURHOOD_DAYS):
            left = stop - time.time()
            if left <= 0.02:
                return None
            days = set(open_days[max(first, 0) : first + NEIGHBOURHOOD_DAYS])
            cws, rooms, freed = _neighbourhood(problem, schedule, m, days)
            key = (tuple(sorted(cws)), tuple(sorted(rooms)), tuple(sorted(days)), tuple(sorted(freed)))
            if key in seen:
                continue
            seen.add(key)
            tried += 1
            incumbent = {i: schedule.placed[i] for i in freed}
            others = [
                w for w in waiting
                if w.index not in schedule.placed and cws.intersection(w.cws) and days.intersection(w.days.tolist())
            ]
            members = [problem.meetings[i] for i in freed] + others
            for i in freed:
                schedule.remove(problem.meetings[i])
            # The meetings taken out may move to any of their caseworkers and rooms on these days.
            result = build_and_solve(problem, schedule, members, incumbent, None, None, days,
                                     min(NEIGHBOURHOOD_SECONDS, left), threads, NEIGHBOURHOOD_COLUMNS)
            stats["neighbourhoods"] = stats.get("neighbourhoods", 0) + 1
            if result is not None:
                stats["columns"] = stats.get("columns", 0) + result.columns
                stats["proven"] = stats.get("proven", 0) + int(result.proven_optimal)
            else:
                stats["too_big"] = stats.get("too_big", 0) + 1
            better = (
                result is not None and result.placed is not None
                and _score(problem, result.placed)[0] > _score(problem, incumbent)[0] + 1e-9
            )
            if better and apply(schedule, problem, result.placed):
                stats["improved"] = stats.get("improved", 0) + 1
            else:
                for i, spot in incumbent.items():
                    schedule.place(problem.meetings[i], *spot)
            if m.index in schedule.placed:
                break
    return tried


def _placeable_weight(problem: Problem, static: Schedule, indices: list[int]) -> float:
    total = 0.0
    for meeting_class in meeting_classes(problem, indices):
        if any(mask.any() for _t, _r, mask in static.masks(meeting_class.sample)):
            total += meeting_class.sample.priority * len(meeting_class.members)
    return total


def _target(problem: Problem, bound: float) -> float:
    """The best weighted count still possible: the bound, rounded down when the priorities are whole."""
    if all(float(m.priority).is_integer() for m in problem.meetings):
        return float(math.floor(bound + 1e-6 * (1.0 + abs(bound))))
    return bound


def _left_justify(schedule: Schedule) -> None:
    """Move each meeting, in order of start, as far left on its day as it stays free, one grid
    step at a time: the schedule keeps its meetings and every start becomes one of the model's
    columns (see `anchored_masks`)."""
    g = schedule.problem.granularity
    for index in sorted(schedule.placed, key=lambda i: (schedule.placed[i][2], schedule.placed[i][3], i)):
        m = schedule.problem.meetings[index]
        team, room, day, minute = schedule.remove(m)
        while minute - g >= 0 and schedule.is_free(team, room, day, minute - g, m):
            minute -= g
        schedule.place(m, team, room, day, minute)


def _effort(meetings: int, processes: int = 1) -> float:
    """Seconds a component may spend searching past its LP and rounding: the MIPs, restarts and
    neighbourhoods stop then, and earlier when the bound is reached. Every meeting of the
    instance is given the same share of wall time, so a component may spend `processes` times
    as much when that many processes share the components."""
    return EFFORT_SECONDS + EFFORT_SECONDS_PER_MEETING * meetings * max(processes, 1)


class HighsThread:
    """One daemon thread that does everything with the component LP's HiGHS object: build, solve,
    cuts and release. HiGHS keeps state per thread, and cuts on this process's main thread from an
    LP solved on another ended the process (a segmentation fault in the crossover, on small tight
    pooled instances under a time limit). A daemon, so that a run cut at its deadline can end
    while the thread still builds the matrix."""

    def __init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        # Set when the run is cut at its deadline: the model builders stop at their next step
        # instead of taking CPU time from the merge, the check and the writing.
        self.cancelled = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True, name="component-lp")
        self.thread.start()

    def _serve(self) -> None:
        while True:
            job, future = self.jobs.get()
            if job is None:
                return
            try:
                future.set_result(job())
            except BaseException as error:  # handed to the waiting caller
                future.set_exception(error)

    def submit(self, job: Callable[[], object]) -> Future:
        future: Future = Future()
        self.jobs.put((job, future))
        return future

    def close(self, cancel: bool = False) -> None:
        """The thread ends after the job under way (`cancel`: which stops at its next step, the LP
        at its next iteration, and is waited for up to LP_CANCEL_SECONDS). A process that ended
        while HiGHS still solved on this thread was aborted at its exit ("terminate called
        without an active exception", exit 134) in about half the runs cut in their LP."""
        if cancel:
            self.cancelled.set()
        self.jobs.put((None, None))
        if cancel:
            self.thread.join(LP_CANCEL_SECONDS)


class ComponentSearch:
    """The search of one connected component, one method per phase.

    The phases share the best schedule so far (`best`, found by `method`), the proven `bound`,
    the component's LP and the clock: `plan_stop` ends the search past rounding, `deadline`
    (time.time()) everything but the first greedy order.

    Never worse as the limit grows (R-3.2): every choice of what to run and for how long comes
    from the component's plan (`effort`, its meetings), never from the time left before the
    deadline; the deadline only cuts the plan, and what runs after a cut is nothing but the
    merge. `keep` never takes a worse schedule, and each phase's own best only grows as it runs
    longer, so a longer limit runs a longer stretch of the same plan and ends at least as well
    (on a machine of the same speed; `tests/unit/optimizer/test_anytime.py` checks it with a
    clock that counts work instead of seconds)."""

    def __init__(self, problem: Problem, deadline: float | None, threads: int = 1,
                 search_end: float | None = None) -> None:
        self.problem = problem
        self.deadline = deadline
        self.threads = threads
        self.search_end = search_end
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.indices = [m.index for m in problem.meetings if m.index not in problem.unusable]
        self.greedy_placed: dict[int, Spot] = {}
        self.best: dict[int, Spot] = {}
        self.method = "greedy"
        self.bound = 0.0
        self.lp_optimal = False
        self.static: Schedule | None = None
        self.columns: Columns | None = None
        self.matrix: Matrix | None = None
        self.lp: LpResult | None = None
        self.lp_values: np.ndarray | None = None
        self.cut_vertices: list[np.ndarray] = []
        # The rounded schedule, which the ejection chains then continue.
        self.schedule: Schedule | None = None
        self.rounded_by = "greedy+repair"
        self.own = 0.0  # the component's own search time past rounding
        self.planned: float | None = None  # the same, planned before the greedy (None: the default)
        self.processes = 1
        self.plan_stop = math.inf  # the search past rounding ends here by the plan
        self.stop = math.inf  # ... and here, cut at the deadline
        self.truncated = False  # the deadline cut the plan before the search
        self.highs_thread: HighsThread | None = None  # where the LP's HiGHS object lives, if not here

    def run(self, effort: float | None = None, processes: int = 1) -> ComponentResult:
        self.processes = processes
        self.planned = effort
        if self.greedy_floor():
            return ComponentResult(self.greedy_placed, self.best, self.bound, self.method, False,
                                   self.timings)
        try:
            self.relax_and_round()
            if self.truncated:
                return ComponentResult(self.greedy_placed, self.best, self.bound, self.method, self.lp_optimal,
                                       self.timings, self.counts)
            self.start_clock(effort, processes)
            self.cuts_and_repair()
        finally:
            if self.highs_thread is not None:
                self.highs_thread.close(cancel=self.truncated)
        self.support_models()
        self.restarts()
        self.component_mip()
        self.neighbourhoods()
        self.finish()
        return ComponentResult(self.greedy_placed, self.best, self.bound, self.method, self.lp_optimal,
                               self.timings, self.counts)

    # --- shared state ---------------------------------------------------------------

    def keep(self, name: str, placed: dict[int, Spot]) -> None:
        """Take a schedule that scores better than the best so far."""
        if _score(self.problem, placed) > _score(self.problem, self.best):
            self.best, self.method = placed, name

    def short(self) -> bool:
        """The best schedule is still below the best weighted count the bound allows."""
        return _score(self.problem, self.best)[0] < _target(self.problem, self.bound) - 1e-9

    def time_left(self) -> float:
        """Seconds to the end of the search, cut at the deadline: the hard stop of a phase."""
        return self.stop - time.time()

    def plan_left(self) -> float:
        """Seconds to the end of the search by the plan alone: what a phase's share is taken of."""
        return self.plan_stop - time.time()

    def _set_stop(self, plan_stop: float) -> None:
        self.plan_stop = plan_stop
        self.stop = plan_stop if self.deadline is None else min(plan_stop, self.deadline)

    def _time(self, phase: str, since: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - since

    def _count(self, key: str, value: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + value

    def floor_until(self) -> float:
        """Without a limit the floor's further orders end by a share of the component's own
        search time (see `_effort`)."""
        return time.time() + FLOOR_SHARE * _effort(len(self.indices), self.processes)

    # --- phases ---------------------------------------------------------------------

    def greedy_floor(self) -> bool:
        """The best of the cheap greedy orders is the floor; the bound starts at the weight of the
        placeable meetings. True when the floor already reaches it (or the time is up): nothing
        more to search."""
        clock = time.perf_counter()
        # Under a limit every order runs (cut only by the deadline): how many the pace allowed
        # differed from run to run on a shared machine, and so did everything after.
        until = None if self.deadline is not None else self.floor_until()
        floor, order = weighted_floor(self.problem, until=until, deadline=self.deadline)
        self.timings["greedy"] = time.perf_counter() - clock
        truncated = order.endswith(TRUNCATED)
        self.greedy_placed = dict(floor.placed)
        self.best = self.greedy_placed
        self.method = f"greedy ({order})"
        self.static = Schedule(self.problem)
        placeable = _placeable_weight(self.problem, self.static, self.indices)
        self.bound = placeable
        return _score(self.problem, self.best)[0] >= placeable - 1e-9 or truncated or _expired(self.deadline)

    def relax_and_round(self) -> None:
        """The component's LP (its bound), rounded by decreasing LP value and filled greedily.

        Under a limit the LP may take LP_SHARE of the planned search time and is built and solved
        on a second thread beside ejection chains on the floor's schedule (`lp_beside_chains`).
        When the deadline comes before the LP is done, the plan is cut there (`truncated`): the
        run keeps the best so far and does nothing more."""
        problem = self.problem
        self.schedule = Schedule(problem)
        if self.deadline is not None and LP_ON_THREAD:
            outcome = self.lp_beside_chains()
        else:
            outcome = self.build_and_solve_lp()
        if self.deadline is not None and (outcome is None or _expired(self.deadline)):
            # Cut at the deadline: a half-solved LP would round differently at every limit.
            self.truncated = True
            return
        self.columns, self.matrix, self.lp, timings = outcome
        self.timings.update(timings)
        if self.lp is not None:
            self.lp_optimal = self.lp.optimal
            if self.lp.bound is not None:
                self.bound = min(self.bound, self.lp.bound)
            if self.lp.values is not None:
                self.lp_values = self.lp.values
                _round(self.schedule, self.columns, self.lp.values)
                self.rounded_by = "lp-rounding"
                self._count("lp_rounding")
        else:
            self.rounded_by = "floor"
        clock = time.perf_counter()
        if self.lp_values is None:
            # No LP solution (its time ran out): the ejection chains continue from the floor.
            apply(self.schedule, problem, self.best)
        _fill(self.schedule, problem.meetings, self.deadline)
        self.timings["rounding"] = time.perf_counter() - clock
        self.keep(self.rounded_by, dict(self.schedule.placed))

    def lp_seconds(self) -> float | None:
        """The LP's time: LP_SHARE of the planned search time, cut at the deadline; no limit: None."""
        if self.deadline is None:
            return None
        planned = LP_SHARE * (self.planned if self.planned is not None else _effort(len(self.indices)))
        return max(min(planned, self.deadline - time.time()), 0.0)

    def build_and_solve_lp(self, stop: Callable[[], bool] | None = None
                           ) -> tuple[Columns | None, Matrix | None, LpResult | None, dict[str, float]] | None:
        """Columns, matrix and LP of the component (no LP when it has too many columns). Touches
        nothing of the search, so that it can run on a thread of its own; None when `stop()`
        said so while the model was built."""
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        try:
            columns = enumerate_columns(self.problem, self.static, self.indices, COLUMN_LIMIT, stop=stop)
            timings["columns"] = time.perf_counter() - clock
            if columns is None or not columns.size:
                return columns, None, None, timings
            clock = time.perf_counter()
            matrix = build_matrix(self.problem, columns, stop=stop)
        except Cancelled:
            return None
        timings["matrix"] = time.perf_counter() - clock
        clock = time.perf_counter()
        lp = solve_lp(columns, matrix, self.lp_seconds(), self.threads, stop)
        timings["lp"] = time.perf_counter() - clock
        return columns, matrix, lp, timings

    def lp_beside_chains(self) -> tuple[Columns | None, Matrix | None, LpResult | None, dict[str, float]] | None:
        """Under a limit the columns, the matrix and the LP are made on a second thread. In a process
        solving components alone, ejection chains improve the floor's schedule on this one
        meanwhile (one pass over at most BESIDE_TRIES_PER_MEETING waiting meetings per meeting):
        something better than
        the floor arrives before the LP is solved, or when it is not solved in its time (anytime).
        None when the deadline comes first."""
        self.highs_thread = HighsThread()
        lp = self.highs_thread.submit(lambda: self.build_and_solve_lp(self.highs_thread.cancelled.is_set))
        if self.processes == 1 and self.short():
            clock = time.perf_counter()
            schedule = Schedule(self.problem)
            apply(schedule, self.problem, self.best)
            _repair(schedule, self.static, self.problem, self.deadline,
                    tries=math.ceil(BESIDE_TRIES_PER_MEETING * len(self.indices)))
            self._count("chains_beside_lp")
            self.keep("greedy+repair (beside the lp)", dict(schedule.placed))
            self._time("beside", clock)
        try:
            return lp.result(max(self.deadline - time.time(), 0.0))
        except TimeoutError:
            return None

    def start_clock(self, effort: float | None, processes: int) -> None:
        """The search past rounding stops after the component's own time, cut at the end of the
        instance's search (no limit) and at the deadline."""
        self.own = _effort(len(self.indices), processes) if effort is None else effort
        plan_stop = time.time() + self.own
        if self.search_end is not None:
            plan_stop = min(plan_stop, self.search_end)
        self._set_stop(plan_stop)

    def cuts_and_repair(self) -> None:
        """Gomory cuts on the LP and ejection chains, in the order the load asks for.

        The LP's bound lies up to a few meetings per component above the optimum, and a cut LP's
        lower bound both ends the search sooner and is the proof the ratio to the bound needs
        (measured: 876 -> 875 on 1,000 tight, 4,619 -> 4,614 to 4,616 on 5,000 tight, 838 -> 837
        on the largest 1,000-normal component: each the proven optimum or the sum of them). Under
        tight load (a narrow LP support) the cuts come first, and each round's vertex gives a
        support model of its own (`support_models`); elsewhere they follow the ejection chains,
        for the bound alone."""
        lp, lp_values = self.lp, self.lp_values
        can_cut = lp is not None and lp.highs is not None and lp.optimal and lp_values is not None
        narrow = can_cut and (np.count_nonzero(lp_values > SUPPORT_THRESHOLD)
                              <= CUT_SUPPORT_PER_MEETING * len(self.indices))
        if narrow and self.short() and self.time_left() > 0.05:
            self.cut_vertices = self.cut(CUT_SHARE, CUT_ROUNDS)
        self.repair()
        if (can_cut and not narrow and self.columns.size <= NORMAL_CUT_COLUMNS and self.short()
                and self.time_left() > 0.05):
            self.cut(NORMAL_CUT_SHARE, NORMAL_CUT_ROUNDS)
        if lp is not None:
            self._on_highs_thread(lambda: setattr(lp, "highs", None))

    def _on_highs_thread(self, job: Callable[[], object]) -> object:
        """Run a job with the LP's HiGHS object on the thread it was solved on (see `HighsThread`)."""
        if self.highs_thread is None:
            return job()
        return self.highs_thread.submit(job).result()

    def cut(self, share: float, rounds: int) -> list[np.ndarray]:
        """Rounds of cuts on a share of the search time, which is then extended by the time they
        took; returns the vertices of the rounds that cut."""
        clock = time.perf_counter()
        score = _score(self.problem, self.best)[0]
        until = min(time.time() + share * self.plan_left(), self.stop)
        result = self._on_highs_thread(
            lambda: tighten(self.lp.highs, self.matrix, self.columns.cls, until, score, max_rounds=rounds))
        took = time.perf_counter() - clock
        self.timings["cuts"] = self.timings.get("cuts", 0.0) + took
        self._set_stop(min(self.plan_stop + took, self.search_end or math.inf))
        if result is None:
            return []
        self._count("cut_rounds", result.rounds)
        self._count("cuts", result.cuts)
        # A proven bound can never lie below a schedule that checks (see `component_mip`).
        if result.bound >= _score(self.problem, self.best)[0] - 1e-6:
            self.bound = min(self.bound, result.bound)
        return result.vertices if result.cuts else []

    def repair(self) -> None:
        """Ejection chains on a share of the component's own time (also past the instance's
        search end): at normal load they close most of the gap left by rounding in a tenth of a
        second; under tight load they gain less than the support models over the cut vertices
        do with the same time, and are left out while those have time left."""
        if not self.short() or (self.cut_vertices and self.time_left() > 0.05):
            return
        clock = time.perf_counter()
        until = time.time() + REPAIR_SHARE * self.own
        if self.deadline is not None:
            until = min(until, self.deadline)
        _repair(self.schedule, self.static, self.problem, until)
        self.timings["repair"] = time.perf_counter() - clock
        self.keep(self.rounded_by + "+repair", dict(self.schedule.placed))

    def support_models(self) -> None:
        """Exact models over the LP's support with its near-whole columns fixed (RENS steps).

        Loosest fixing first: the interior-point solution lies inside the optimal face, so its
        support holds every optimal LP vertex. Each is far smaller than the component's model; a
        level that HiGHS closes is followed by a larger one while time is left. After cuts, each
        round's vertex (latest first) is a support of its own, with the LP's support below it,
        each level going through all of them: the vertices differ from round to round, and so do
        the schedules their supports hold (on the largest 1,000-tight component the 742nd meeting
        lay in the supports of 3 of 9 rounds, in none of the LP's own). Their own bounds say
        nothing about the component and are not used."""
        if self.lp_values is None:
            return
        lp_values = self.lp_values
        supports = [lp_values] if not self.cut_vertices else [
            np.where(vertex > SUPPORT_THRESHOLD, vertex, np.minimum(lp_values, CUT_SUPPORT_FLOOR))
            for vertex in reversed(self.cut_vertices)
        ]
        open_supports = list(range(len(supports)))
        for level in CUT_FIX_LEVELS if self.cut_vertices else FIX_LEVELS:
            for k in list(open_supports):
                if not self.short() or self.time_left() <= 0.05:
                    break
                clock = time.perf_counter()
                outcome = _support_mip(self.problem, self.columns, supports[k], level, self.time_left(),
                                       self.threads)
                if outcome is not None:
                    found, proven = outcome
                    self._count("support_mip")
                    self._count("support_mip_proven", int(proven))
                    if found is not None:
                        self.keep("lp-support-mip", found)
                self._time("support_mip", clock)
                if outcome is None or not outcome[1]:
                    open_supports.remove(k)

    def restarts(self) -> None:
        """Rounding again from perturbed LP values, each followed by ejection chains, on a share
        of the time: at normal load one in three to six such restarts gained the last meeting
        that neither the first rounding nor the neighbourhoods found. Seeded, so runs repeat."""
        if self.lp_values is None or not self.short() or self.time_left() <= 0.05:
            return
        problem, lp_values = self.problem, self.lp_values
        clock = time.perf_counter()
        until = min(time.time() + RESTART_SHARE * self.plan_left(), self.stop)
        rng = np.random.default_rng(0)
        restarts = 0
        idle = 0
        while self.short() and time.time() < until and idle < RESTART_PATIENCE:
            restarts += 1
            current = Schedule(problem)
            _round(current, self.columns, lp_values * (1.0 + RESTART_NOISE * rng.random(lp_values.size)))
            _fill(current, problem.meetings, until)
            _repair(current, self.static, problem, until)
            before = _score(problem, self.best)
            self.keep("lp-rounding (restart)+repair", dict(current.placed))
            idle = idle + 1 if _score(problem, self.best)[0] <= before[0] else 0
        self._count("restarts", restarts)
        self.timings["restarts"] = time.perf_counter() - clock

    def component_mip(self) -> None:
        """The exact model of the whole component, started from the best so far: it may close
        the gap from either side (a better schedule, a lower bound through its cuts). Small ones
        are modelled in PuLP; larger ones go to HiGHS as the LP's matrix, which PuLP would take
        longer to build than HiGHS to solve. A time-out only keeps what checks."""
        size = 0 if self.columns is None else self.columns.size
        if not (self.short() and self.matrix is not None and 0 < size <= MATRIX_MIP_COLUMN_LIMIT
                and self.time_left() > 0.05
                and (size <= MIP_COLUMN_LIMIT or self.plan_left() >= MATRIX_MIP_MIN_SECONDS)):
            return
        problem, columns = self.problem, self.columns
        clock = time.perf_counter()
        justified = Schedule(problem)
        apply(justified, problem, self.best)
        _left_justify(justified)
        start = dict(justified.placed)
        seconds = self.time_left()
        if size <= MIP_COLUMN_LIMIT:
            model = solve_component_mip(problem, columns, self.matrix, start, seconds, self.threads)
            found, mip_bound, proven = model.placed, model.dual_bound, model.proven_optimal
            mip_name = "exact-mip (PuLP)"
        else:
            values, mip_bound, proven = solve_mip(columns, self.matrix, None, seconds, self.threads)
            found = None if values is None else spots_from_counts(columns, values)
            mip_name = "exact-mip (HiGHS)"
        self._count("component_mip")
        self._count("component_mip_proven", int(proven))
        # A proven bound can never lie below a schedule that checks; one that does is a
        # misread solver report and is ignored.
        if mip_bound is not None and mip_bound >= _score(problem, self.best)[0] - 1e-6:
            self.bound = min(self.bound, mip_bound)
        if found is not None:
            exact_schedule = Schedule(problem)
            if apply(exact_schedule, problem, found):
                self.keep(mip_name, dict(exact_schedule.placed))
        self.timings["mip"] = time.perf_counter() - clock

    def neighbourhoods(self) -> None:
        """Exact re-solves of neighbourhoods of the waiting meetings with the time that is left."""
        if not self.short() or self.time_left() <= 0.05:
            return
        problem = self.problem
        clock = time.perf_counter()
        current = Schedule(problem)
        apply(current, problem, self.best)
        _improve(problem, current, self.static, self.stop, self.time_left(), self.threads, self.counts,
                 _target(problem, self.bound))
        self.timings["neighbourhoods"] = time.perf_counter() - clock
        self.keep(self.method + "+exact-neighbourhoods", dict(current.placed))

    def finish(self) -> None:
        """Earlier days first, then compact days (R-3.2): neither changes what is placed."""
        clock = time.perf_counter()
        schedule = Schedule(self.problem)
        apply(schedule, self.problem, self.best)
        _shift_earlier(schedule, self.problem, self.deadline)
        _compact_days(schedule, self.problem, self.deadline)
        self.keep(self.method, dict(schedule.placed))
        self.timings["finish"] = time.perf_counter() - clock


# The methods a run may use, in the order they run, with the test of a component's timings and
# counts that says it ran there (for the honest `stats.solver`).
METHODS_RUN: tuple[tuple[str, Callable[[dict[str, float], dict[str, int]], bool]], ...] = (
    ("greedy", lambda t, c: "greedy" in t),
    ("lp", lambda t, c: "lp" in t),
    ("ejection chains beside the lp", lambda t, c: c.get("chains_beside_lp", 0) > 0),
    ("lp+rounding", lambda t, c: c.get("lp_rounding", 0) > 0),
    ("greedy fill", lambda t, c: "rounding" in t and not c.get("lp_rounding", 0)),
    ("gomory cuts", lambda t, c: c.get("cut_rounds", 0) > 0),
    ("ejection chains", lambda t, c: "repair" in t),
    ("support mips", lambda t, c: c.get("support_mip", 0) > 0),
    ("rounding restarts", lambda t, c: c.get("restarts", 0) > 0),
    ("component mip", lambda t, c: c.get("component_mip", 0) > 0),
    ("neighbourhood mips", lambda t, c: c.get("neighbourhoods", 0) > 0),
    ("shift and compact", lambda t, c: "finish" in t),
    # Over the whole instance after the components (`_even_out`), set by `solve` when it moved something.
    ("team balance", lambda t, c: False),
)


def methods_run(results: list[ComponentResult]) -> dict[str, int]:
    """Each method that ran, with the number of components it ran on, in the order they run."""
    found: dict[str, int] = {}
    for name, ran in METHODS_RUN:
        count = sum(1 for r in results if ran(r.seconds, r.counts))
        if count:
            found[name] = count
    return found


def solver_name(methods: dict[str, int]) -> str:
    """`stats.solver`: the methods that ran, e.g. "greedy, lp, lp+rounding, ejection chains"."""
    return ", ".join(methods) if methods else "none (nothing to place)"


def solve_component(problem: Problem, deadline: float | None, threads: int = 1,
                    effort: float | None = None, processes: int = 1, search_end: float | None = None) -> ComponentResult:
    """Best placement found for one connected component, with a proven bound on it.

    `deadline` (time.time()) is a hard stop for everything but the greedy and the matrix
    build; `effort` is the search time past rounding (default by size and by the number of
    `processes` that share the components, see `_effort`), cut at `search_end` (time.time()),
    the end of the search for the whole instance."""
    return ComponentSearch(problem, deadline, threads, search_end).run(effort, processes)


# --- components and the process pool ------------------------------------------------


def components(problem: Problem) -> list[list[int]]:
    """Meetings that share no caseworker, room or citizen (directly or through others) are independent."""
    n_cw = len(problem.cw_ids)
    n_cz_first = n_cw + len(problem.room_ids)
    parent = list(range(n_cz_first + len(problem.cz_ids)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    usable = [m for m in problem.meetings if m.index not in problem.unusable]
    for m in usable:
        nodes = list(m.cws) + [n_cw + r for r in m.rooms] + [n_cz_first + z for z in m.citizens]
        root = find(nodes[0])
        for node in nodes[1:]:
            other = find(node)
            if other != root:
                parent[other] = root
    groups: dict[int, list[int]] = {}
    for m in usable:
        groups.setdefault(find(m.cws[0]), []).append(m.index)
    return sorted(groups.values(), key=len, reverse=True)


def _run_component(problem: Problem, deadline: float | None, threads: int, processes: int,
                   search_end: float | None, effort: float | None = None) -> ComponentResult:
    return solve_component(problem, deadline, threads, effort, processes, search_end)


def _limit_effort(meetings: int, limited: bool, processes: int) -> float | None:
    """Under a time limit, a component's planned search past rounding: ANYTIME_SECONDS_PER_MEETING
    a meeting, never less than without a limit, whatever the limit (which only cuts the plan);
    it stops sooner once the bound is reached. None: no limit, the default."""
    if not limited:
        return None
    return max(_effort(meetings, processes), ANYTIME_SECONDS_PER_MEETING * meetings)


def _solve_all(problem: Problem, groups: list[list[int]], deadline: float | None, workers: int | None,
               search_end: float | None = None):
    """Solve the components, largest first. With several workers this process takes components
    too, next to `workers - 1` pool processes (spawned: they take a few tenths of a second to
    start, so this process begins with the largest); whoever is free takes the next one."""
    subs = [problem.subproblem(group) for group in groups]
    total = sum(len(g) for g in groups)
    if workers is None:
        workers = min(2, os.cpu_count() or 1)
    results: list[ComponentResult | None] = [None] * len(subs)
    pending = list(range(len(subs)))
    lock = threading.Lock()

    def take() -> int | None:
        with lock:
            return pending.pop(0) if pending else None

    def local(k: int) -> None:
        # One HiGHS thread: HiGHS keeps one thread pool per process, sized by its first run,
        # and refuses a later run that asks for another size.
        effort = _limit_effort(len(groups[k]), deadline is not None, processes)
        results[k] = solve_component(subs[k][0], deadline, 1, effort, processes, search_end)

    pool = None
    processes = 1
    if workers > 1 and len(subs) > 1 and total - len(groups[0]) >= POOL_MIN_MEETINGS:
        try:
            # spawn: safe for a library caller that may already hold solver threads.
            pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"))
            processes = workers
        except (OSError, RuntimeError):
            pool = None
    feeders = []
    if pool is not None:
        first = take()

        def feeder() -> None:
            # Hands one component at a time to a pool process and waits for it.
            while (k := take()) is not None:
                try:
                    effort = _limit_effort(len(groups[k]), deadline is not None, processes)
                    results[k] = pool.submit(_run_component, subs[k][0], deadline, 1, processes, search_end,
                                             effort).result()
                except Exception:  # a failed or broken worker: that component is solved here
                    with lock:
                        pending.insert(0, k)
                    return

        feeders = [threading.Thread(target=feeder, daemon=True) for _ in range(workers - 1)]
        for thread in feeders:
            thread.start()
        if first is not None:
            local(first)
    while (k := take()) is not None:
        local(k)
    for thread in feeders:
        thread.join()
    if pool is not None:
        pool.shutdown(wait=True)
    for k in range(len(subs)):
        if results[k] is None:
            local(k)
    return subs, results


# --- entry point --------------------------------------------------------------------


def _to_placements(problem: Problem, instance: Instance, placed: dict[int, Spot]) -> list[Placement]:
    result = []
    for index in sorted(placed):
        team, room, day, minute = placed[index]
        result.append(
            Placement(
                instance.meetings[index].id,
                problem.start_of(day, minute),
                tuple(problem.cw_ids[c] for c in team),
                problem.room_ids[room] if room >= 0 else None,
            )
        )
    return result


def _assemble(instance: Instance, problem: Problem, placed: dict[int, Spot], stats: dict) -> Solution:
    return Solution(_to_placements(problem, instance, placed), unplaced_reasons(instance, problem, placed), stats)


def balance_teams(instance: Instance, problem: Problem) -> list[np.ndarray]:
    """Each team's caseworkers as rows: those its meetings may take (as `optimizer.quality` counts them)."""
    row = {ident: k for k, ident in enumerate(problem.cw_ids)}
    teams: dict[str, set[int]] = {}
    for m in instance.meetings:
        teams.setdefault(m.team, set()).update(row[c] for c in m.caseworkers if c in row)
    return [np.array(sorted(t), dtype=np.int64) for t in teams.values() if len(t) > 1]


def _even_out(instance: Instance, problem: Problem, placed: dict[int, Spot],
              deadline: float | None) -> dict[int, Spot] | None:
    """The merged schedule with the teams' booked shares evened out and the days closed up again
    (`_balance`, `_compact_days`); None when nothing moved. Never changes what is placed or on
    which day, so it runs once over the whole instance, as the teams span components."""
    schedule = Schedule(problem)
    if not apply(schedule, problem, placed):
        return None
    if not _balance(schedule, problem, balance_teams(instance, problem), deadline):
        return None
    _compact_days(schedule, problem, deadline)
    return dict(schedule.placed)


def solve(instance: Instance, time_limit: float | None = None, workers: int | None = None) -> Solution:
    """Place as many waiting meetings as possible (R-3.2); the result always passes `check`."""
    started = time.perf_counter()
    deadline = None
    if time_limit is not None:
        # Keep back the time to merge, check and write the result, so the limit holds overall.
        reserve = min(FINISH_SECONDS + FINISH_SECONDS_PER_MEETING * len(instance.meetings), time_limit / 2)
        deadline = time.time() + time_limit - reserve
    # Without a time limit the search (not the LPs and rounding) ends after a time that grows
    # with the instance; each component also stops at its own share (`_effort`).
    search_end = time.time() + SEARCH_SECONDS + SEARCH_SECONDS_PER_MEETING * len(instance.meetings)
    if deadline is not None:
        # Under a limit each component follows its own plan (`_limit_effort`), cut at the
        # deadline: the same plan at every limit.
        search_end = None
    problem = build_problem(instance)
    groups = components(problem)
    subs, results = _solve_all(problem, groups, deadline, workers, search_end)

    best: dict[int, Spot] = {}
    floor: dict[int, Spot] = {}
    bound = 0.0
    methods: dict[str, int] = {}
    counts: dict[str, int] = {}
    for (sub, cws, rooms), group, result in zip(subs, groups, results):
        for source, target in ((result.best, best), (result.greedy, floor)):
            for local, (team, room, day, minute) in source.items():
                target[group[local]] = (tuple(cws[c] for c in team), rooms[room] if room >= 0 else -1, day, minute)
        # Whole priorities: each component's optimum is whole, so each bound rounds down on its own.
        bound += _target(sub, result.bound)
        methods[result.method] = methods.get(result.method, 0) + 1
        for key, value in result.counts.items():
            counts[key] = counts.get(key, 0) + value

    integral = all(float(m.priority).is_integer() for m in instance.meetings)
    margin = 1e-6 * (1.0 + abs(bound))
    upper_bound: float = math.floor(bound + margin) if integral else bound + margin

    def stats(placed: dict[int, Spot], solver: str) -> dict:
        weighted = sum(problem.meetings[i].priority for i in placed)
        return {
            "seconds": round(time.perf_counter() - started, 3),
            "placed": len(placed),
            "weighted_placed": weighted,
            "upper_bound": upper_bound,
            "greedy_placed": len(floor),
            "greedy_weighted_placed": sum(problem.meetings[i].priority for i in floor),
            "solver": solver,
            "components": len(groups),
            "methods": methods,
            "exact_models": counts,
        }

    ran = methods_run(results)
    # Under a limit (the planning job's runs) the time left evens out the teams' loads; without
    # one the run ends at its search end (`--time-limit` buys the evening out).
    if BALANCE and deadline is not None and not _expired(deadline):
        evened = _even_out(instance, problem, best, deadline)
        if evened is not None:
            best, ran["team balance"] = evened, 1
    solution = _assemble(instance, problem, best, stats(best, solver_name(ran)))
    solution.stats["methods_run"] = ran
    report = check(instance, solution)
    if not report.feasible:
        # Should not happen; the greedy floor is the safe answer then.
        solution = _assemble(instance, problem, floor, stats(floor, "greedy (solver result failed the check)"))
        first = report
        report = check(instance, solution)
        if not report.feasible:
            raise RuntimeError("no solution passed the feasibility check: " + "; ".join(map(str, first.violations[:5])))
    # The later goals of, measured by the check (optimizer/quality.py).
    solution.stats.update({key: report.figures[key] for key in ("load_balance", "compactness")})
    solution.stats["seconds"] = round(time.perf_counter() - started, 3)
    return solution
