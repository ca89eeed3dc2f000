"""The solver: always feasible, never below the greedy, optimal where brute force can tell, clear reasons."""

from __future__ import annotations

import importlib
import itertools
import json
import random
from datetime import date, datetime, timedelta

import pytest

from optimizer.__main__ import main
from optimizer.check import check
from optimizer.generate import generate
from optimizer.greedy import Schedule, build_problem, greedy, priority_edf_key
from optimizer.model import Instance, Reason, ReasonCode, instance_to_json, parse_instance
from optimizer.solve import solve

from .factories import caseworker_doc, create_instance, instance_doc, meeting_doc

solve_module = importlib.import_module("optimizer.solve")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("load", ["tight", "normal"])
def test_solution_passes_check_and_beats_greedy(seed: int, load: str) -> None:
    """R-3.2, R-2.1: on random instances the solution passes the independent check and places
    at least as much (by priority) as the earliest-deadline-first greedy, within the bound."""
    instance = generate(meetings=40, caseworkers=8, days=5, seed=seed, load=load)
    solution = solve(instance, workers=1)
    report = check(instance, solution)
    assert report.feasible, report.violations[:5]
    floor = greedy(build_problem(instance))
    weights = {m.index: m.priority for m in build_problem(instance).meetings}
    assert solution.stats["weighted_placed"] >= sum(weights[i] for i in floor.placed)
    assert solution.stats["weighted_placed"] <= solution.stats["upper_bound"]
    # The floor is the best of the cheap orders: at least the priority-aware greedy, per component
    # and so over the instance (components share nothing).
    priority_floor = greedy(build_problem(instance), key=priority_edf_key)
    assert solution.stats["greedy_weighted_placed"] >= sum(weights[i] for i in priority_floor.placed)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("load", ["tight", "normal"])
def test_days_are_compact(seed: int, load: str) -> None:
    """R-3.2, the last goal (compact days): no placed meeting could start earlier on its own
    day with its own caseworkers and room, so a day has no gap the solver could close."""
    instance = generate(meetings=40, caseworkers=8, days=5, seed=seed, load=load)
    solution = solve(instance, workers=1)
    problem = build_problem(instance)
    by_id = {m.id: m for m in problem.meetings}
    cw_row = {c: i for i, c in enumerate(problem.cw_ids)}
    room_row = {r: i for i, r in enumerate(problem.room_ids)}
    first_day = datetime.combine(problem.start_date, datetime.min.time())
    schedule = Schedule(problem)
    spots = []
    for placement in solution.placements:
        m = by_id[placement.meeting]
        day, minute = divmod(int((placement.start - first_day).total_seconds()) // 60, 24 * 60)
        team = tuple(cw_row[c] for c in placement.caseworkers)
        team = next(t for t, _ in m.options() if sorted(t) == sorted(team))
        room = room_row[placement.room] if placement.room else -1
        schedule.place(m, team, room, day, minute)
        spots.append((m, team, room, day, minute))
    assert spots
    for m, team, room, day, minute in spots:
        schedule.remove(m)
        earlier = [int(t) for t in schedule.grid(m.length)
                   if t < minute and schedule.is_free(team, room, day, int(t), m)]
        assert not earlier, (m.id, day, minute, earlier[:3])
        schedule.place(m, team, room, day, minute)


def _tiny_instance(rng: random.Random) -> Instance:
    """Two short days, two caseworkers, one room: small enough to enumerate every schedule."""
    caseworkers = []
    for ident in ("cw1", "cw2"):
        busy = []
        if rng.random() < 0.5:
            start = rng.choice(["09:15", "09:45", "10:15"])
            busy.append([f"2027-03-01T{start}", f"2027-03-01T{start[:3]}{int(start[3:]) + 10:02d}"])
        caseworkers.append(caseworker_doc(ident, working_time={"0": ["09:00", "11:00"], "1": ["09:00", "10:30"]},
                                          breaks={}, busy=busy))
    meetings = []
    for k in range(rng.randint(3, 5)):
        kind = "group" if rng.random() < 0.2 else "individual"
        names = ["cw1", "cw2"] if kind == "group" else rng.sample(["cw1", "cw2"], rng.randint(1, 2))
        meetings.append(meeting_doc(
            f"m{k + 1}", kind=kind, caseworkers=names, rooms=["r1"] if rng.random() < 0.4 else [],
            duration_minutes=rng.choice([30, 45, 60]), reporting_minutes=rng.choice([0, 15]),
            earliest_date="2027-03-01", deadline_date=rng.choice(["2027-03-01", "2027-03-02"]),
            priority=rng.choice([1, 1, 2]),
        ))
    doc = instance_doc(end_date="2027-03-02", granularity_minutes=15, caseworkers=caseworkers,
                       rooms=[{"id": "r1", "seats": 4, "busy": []}], meetings=meetings)
    return parse_instance(doc)


def _brute_force(instance: Instance) -> float:
    """Best weighted count over all schedules, by plain enumeration of starts and caseworkers."""
    options = []
    for m in instance.meetings:
        choices = [None]
        day = m.earliest_date
        while day <= min(m.deadline_date, instance.end_date):
            teams = [(c,) for c in m.caseworkers] if m.kind == "individual" else [m.caseworkers]
            for team, room in itertools.product(teams, m.rooms or [None]):
                for minute in range(0, 24 * 60, instance.granularity_minutes):
                    start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
                    choices.append((team, room, start))
            day += timedelta(days=1)
        options.append(choices)

    def fits(m, choice) -> bool:
        team, room, start = choice
        end = start + timedelta(minutes=m.occupied_minutes)
        for c in team:
            hours = instance.caseworkers[c].working_time.get(start.weekday())
            if hours is None:
                return False
            day = datetime.combine(start.date(), datetime.min.time())
            if start < day + timedelta(minutes=hours[0]) or end > day + timedelta(minutes=hours[1]):
                return False
            if any(a < end and start < b for a, b in instance.caseworkers[c].busy):
                return False
        return True

    options = [[ch for ch in chs if ch is None or fits(m, ch)] for m, chs in zip(instance.meetings, options)]
    best = 0.0

    def search(k: int, chosen: list, value: float) -> None:
        nonlocal best
        best = max(best, value)
        if k == len(options) or value + sum(m.priority for m in instance.meetings[k:]) <= best:
            return
        m = instance.meetings[k]
        for choice in options[k]:
            if choice is None:
                search(k + 1, chosen, value)
                continue
            team, room, start = choice
            end = start + timedelta(minutes=m.occupied_minutes)
            room_end = start + timedelta(minutes=m.duration_minutes)
            clash = False
            for other, (o_team, o_room, o_start) in chosen:
                o_end = o_start + timedelta(minutes=other.occupied_minutes)
                if set(team) & set(o_team) and start < o_end and o_start < end:
                    clash = True
                o_room_end = o_start + timedelta(minutes=other.duration_minutes)
                if room is not None and room == o_room and start < o_room_end and o_start < room_end:
                    clash = True
            if not clash:
                search(k + 1, chosen + [(m, choice)], value + m.priority)

    search(0, [], 0.0)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_optimal_on_tiny_instances(seed: int) -> None:
    """R-3.2: on instances small enough to enumerate, the solver places the optimum and the
    bound is never below it."""
    instance = _tiny_instance(random.Random(seed))
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    optimum = _brute_force(instance)
    assert solution.stats["weighted_placed"] == optimum
    assert solution.stats["upper_bound"] >= optimum


def test_time_limit_returns_best_valid_solution() -> None:
    """R-3.2: with almost no time the solver still returns a feasible solution, at least the greedy."""
    instance = generate(meetings=300, caseworkers=20, days=10, seed=3, load="tight")
    solution = solve(instance, time_limit=0.001, workers=1)
    assert check(instance, solution).feasible
    assert solution.stats["placed"] >= solution.stats["greedy_placed"]
    assert solution.stats["weighted_placed"] <= solution.stats["upper_bound"]


def test_never_after_deadline_or_before_earliest() -> None:
    """R-3.2: a meeting is never placed outside [earliest date, deadline], even if that leaves it unplaced."""
    instance = create_instance(
        caseworkers=[caseworker_doc(busy=[["2027-03-02T00:00", "2027-03-05T23:59"]])],
        meetings=[meeting_doc("m1", earliest_date="2027-03-02", deadline_date="2027-03-03")],
    )
    solution = solve(instance, workers=1)
    assert solution.placements == []
    assert solution.unplaced[0].reason.code == ReasonCode.NO_FREE_TIME


def test_group_meeting_takes_all_caseworkers_and_a_room() -> None:
    """R-1.5.1, R-1.4.3: a group meeting gets all its caseworkers and a large enough room."""
    instance = create_instance(
        rooms=[{"id": "r1", "seats": 4}, {"id": "r2", "seats": 12}],
        meetings=[meeting_doc(kind="group", caseworkers=["cw1", "cw2"], rooms=["r1", "r2"], participants=10)],
    )
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    (placement,) = solution.placements
    assert set(placement.caseworkers) == {"cw1", "cw2"} and placement.room == "r2"


def _window(earliest: str = "2027-03-01", deadline: str = "2027-03-05") -> dict[str, str]:
    return {"earliest_date": earliest, "deadline_date": deadline}


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"rooms": [{"id": "r1", "seats": 8}], "meetings": [meeting_doc(rooms=["r1"], participants=12)]},
         Reason(ReasonCode.ROOM_TOO_SMALL, {"rooms": [{"id": "r1", "seats": 8}], "participants": 12})),
        ({"teams": [{"id": "t1", "closed_dates": ["2027-03-01", "2027-03-02"]}],
          "meetings": [meeting_doc(deadline_date="2027-03-02")]},
         Reason(ReasonCode.CLOSED, _window(deadline="2027-03-02"))),
        ({"caseworkers": [caseworker_doc(working_time={})]},
         Reason(ReasonCode.NO_FREE_TIME, {"caseworkers": ["cw1"], "minutes": 40, "common": False, **_window()})),
        ({"meetings": [meeting_doc(earliest_date="2027-03-04", deadline_date="2027-03-02")]},
         Reason(ReasonCode.WINDOW, _window("2027-03-04", "2027-03-02"))),
        ({"meetings": [meeting_doc(earliest_date="2027-04-04", deadline_date="2027-04-09")]},
         Reason(ReasonCode.OUTSIDE_PERIOD,
                {**_window("2027-04-04", "2027-04-09"), "start_date": "2027-03-01", "end_date": "2027-03-05"})),
    ],
)
def test_unplaced_reason_is_clear(overrides: dict, reason: Reason) -> None:
    """R-3.4: what cannot be placed stays on the waiting list with a reason a caseworker understands:
    a code with the parameters its text needs."""
    solution = solve(create_instance(**overrides), workers=1)
    assert [u.reason for u in solution.unplaced] == [reason]
    assert solution.stats["upper_bound"] == 0


def test_taken_time_reason() -> None:
    """R-3.4: when others took the only free time, the reason says so."""
    instance = create_instance(
        end_date="2027-03-01",
        caseworkers=[caseworker_doc(working_time={"0": ["09:00", "09:40"]}, breaks={})],
        meetings=[meeting_doc("m1", priority=2), meeting_doc("m2")],
    )
    solution = solve(instance, workers=1)
    assert [p.meeting for p in solution.placements] == ["m1"]
    assert solution.unplaced[0].reason == Reason(ReasonCode.TAKEN, {"caseworkers": ["cw1"], "rooms": [], **_window()})


def test_balance_between_caseworkers() -> None:
    """R-3.2: with room for all, individual meetings on the same day spread over the caseworkers."""
    meetings = [meeting_doc(f"m{k}", caseworkers=["cw1", "cw2"], deadline_date="2027-03-01") for k in range(4)]
    solution = solve(create_instance(meetings=meetings), workers=1)
    counts = {c: sum(p.caseworkers == (c,) for p in solution.placements) for c in ("cw1", "cw2")}
    assert counts == {"cw1": 2, "cw2": 2}


def test_components_in_a_process_pool(monkeypatch) -> None:
    """R-3.2: splitting by independent teams over a process pool gives a feasible result too."""
    monkeypatch.setattr(solve_module, "POOL_MIN_MEETINGS", 1)
    instance = generate(meetings=60, caseworkers=30, days=5, seed=5, load="tight")
    solution = solve(instance, workers=2)
    assert solution.stats["components"] > 1
    assert check(instance, solution).feasible


def test_cli_solve_then_check(tmp_path, capsys) -> None:
    """R-3.2 CLI: generate, solve and check round trip; check exits 0 on a feasible file."""
    instance_path, solution_path = tmp_path / "i.json", tmp_path / "s.json"
    assert main(["generate", "--meetings", "30", "--caseworkers", "6", "--days", "5", "--seed", "1",
                 "-o", str(instance_path)]) == 0
    assert main(["solve", str(instance_path), "-o", str(solution_path), "--workers", "1"]) == 0
    assert main(["check", str(instance_path), str(solution_path)]) == 0
    assert "feasible" in capsys.readouterr().out
    document = json.loads(solution_path.read_text())
    document["placements"][0]["start"] = document["placements"][0]["start"][:-1] + "1"
    solution_path.write_text(json.dumps(document))
    assert main(["check", str(instance_path), str(solution_path)]) == 1


def test_generator_is_deterministic() -> None:
    """Benchmarks rely on the same seed giving the same instance."""
    first = instance_to_json(generate(50, 10, 5, seed=9, load="tight"))
    assert first == instance_to_json(generate(50, 10, 5, seed=9, load="tight"))
    assert first["start_date"] == date(2027, 3, 1).isoformat()


def test_the_command_line_prints_its_summary_and_no_solver_banner(tmp_path) -> None:
    """`solve` tells what it did in one line; HiGHS's licence banner stays off the terminal
    (and off `flask allocate`'s progress and summary)."""
    import subprocess
    import sys
    instance, solution = tmp_path / "instance.json", tmp_path / "solution.json"
    instance.write_text(json.dumps(instance_to_json(generate(30, 3, 3, seed=1))), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(instance), "-o",
                          str(solution)], capture_output=True, text=True, check=True, timeout=120)
    assert run.stdout.startswith("placed ") and "HiGHS" not in run.stdout + run.stderr
    assert json.loads(solution.read_text(encoding="utf-8"))["placements"]
