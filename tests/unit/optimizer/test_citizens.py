"""Citizens in the exchange format (instance version 2): the solver and the checker never put a
call-in over the citizen's own meeting, nor two of a citizen's call-ins at once (R-3.6)."""

from __future__ import annotations

import json
import random
from datetime import datetime

import pytest

from optimizer.check import check
from optimizer.generate import generate
from optimizer.model import (
    Citizen,
    FormatError,
    Placement,
    ReasonCode,
    Solution,
    instance_to_json,
    parse_instance,
)
from optimizer.solve import solve

from .factories import caseworker_doc, instance_doc, meeting_doc

ONE_HOUR = {"0": ["09:00", "10:00"]}  # Monday 1 March 2027 only


def _doc(citizens: list[dict], meetings: list[dict], **overrides) -> dict:
    return instance_doc(format=2, citizens=citizens, meetings=meetings, **overrides)


def test_version_2_reads_citizens_and_round_trips_R_3_6() -> None:
    """R-3.6: a version 2 instance names each meeting's citizens and their busy time."""
    doc = _doc([{"id": "z1", "busy": [["2027-03-01T09:00", "2027-03-01T10:00"]]}],
               [meeting_doc("m1", citizens=["z1"])])
    instance = parse_instance(doc)
    assert instance.format == 2
    assert instance.citizens["z1"] == Citizen("z1", ((datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 10)),))
    assert instance.meetings[0].citizens == ("z1",)
    assert parse_instance(json.loads(json.dumps(instance_to_json(instance)))) == instance


def test_version_1_stays_valid_without_citizens_R_3_6() -> None:
    """R-3.6: a version 1 instance is still read; it has no citizens, so no citizen constraint."""
    instance = parse_instance(instance_doc(citizens=[{"id": "z1"}], meetings=[meeting_doc(citizens=["z1"])]))
    assert instance.format == 1
    assert instance.citizens == {}
    assert instance.meetings[0].citizens == ()
    assert instance_to_json(instance)["format"] == 1
    assert "citizens" not in instance_to_json(instance)


@pytest.mark.parametrize(
    ("citizens", "meeting", "key"),
    [
        ([{"id": "z1"}], meeting_doc(citizens=["z9"]), "meetings[0].citizens[0]"),
        ([{"id": "z1"}], meeting_doc(citizens=["z1", "z1"]), "meetings[0].citizens"),
        ([{"id": "z1"}, {"id": "z1"}], meeting_doc(), "citizens[1].id"),
        ([{"id": "z1", "busy": [["2027-03-01T10:00", "2027-03-01T09:00"]]}], meeting_doc(), "citizens[0].busy[0]"),
        ([{"busy": []}], meeting_doc(), "citizens[0].id"),
    ],
)
def test_bad_citizen_is_named_R_3_6(citizens: list, meeting: dict, key: str) -> None:
    """R-3.6: a bad citizen or citizen reference raises an error naming its key."""
    with pytest.raises(FormatError) as error:
        parse_instance(_doc(citizens, [meeting]))
    assert error.value.key == key


def test_solver_never_places_over_the_citizens_own_meeting_R_3_6() -> None:
    """R-3.6: the caseworker is free 09:00-10:00 but the citizen has a meeting 09:00-09:30: the
    call-in goes after it."""
    doc = _doc([{"id": "z1", "busy": [["2027-03-01T09:00", "2027-03-01T09:30"]]}],
               [meeting_doc("m1", citizens=["z1"], duration_minutes=30, reporting_minutes=0)],
               caseworkers=[caseworker_doc("cw1", working_time=ONE_HOUR, breaks={})])
    instance = parse_instance(doc)
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert [p.start for p in solution.placements] == [datetime(2027, 3, 1, 9, 30)]


def test_solver_never_places_two_of_a_citizens_callins_at_once_R_3_6() -> None:
    """R-3.6: two caseworkers are each free only 09:00-09:30 on Monday; both call-ins are for
    one citizen, so only one is placed and the other says the citizen is busy."""
    caseworkers = [caseworker_doc(c, working_time={"0": ["09:00", "09:30"]}, breaks={}) for c in ("cw1", "cw2")]
    meetings = [meeting_doc("m1", caseworkers=["cw1"], citizens=["z1"], reporting_minutes=0, priority=2),
                meeting_doc("m2", caseworkers=["cw2"], citizens=["z1"], reporting_minutes=0)]
    instance = parse_instance(_doc([{"id": "z1"}], meetings, caseworkers=caseworkers))
    solution = solve(instance, workers=1)
    assert check(instance, solution).feasible
    assert [p.meeting for p in solution.placements] == ["m1"]
    assert solution.unplaced[0].reason.code == ReasonCode.TAKEN
    # Without the citizen both fit.
    both = parse_instance(_doc([{"id": "z1"}, {"id": "z2"}],
                               [meetings[0], dict(meetings[1], citizens=["z2"])], caseworkers=caseworkers))
    assert len(solve(both, workers=1).placements) == 2


def test_reason_names_the_busy_citizen_R_3_6() -> None:
    """R-3.6, R-3.4: when the citizen's own meetings cover every free time, the reason says so."""
    doc = _doc([{"id": "z1", "busy": [["2027-03-01T00:00", "2027-03-06T00:00"]]}],
               [meeting_doc("m1", citizens=["z1"])])
    instance = parse_instance(doc)
    solution = solve(instance, workers=1)
    assert not solution.placements
    reason = solution.unplaced[0].reason
    assert reason.code == ReasonCode.CITIZEN_BUSY
    assert reason.params["citizens"] == ["z1"]
    assert check(instance, solution).feasible


def _placed(meeting: str, start: str, cw: str = "cw1") -> Placement:
    return Placement(meeting, datetime.fromisoformat(start), (cw,), None)


def test_check_catches_a_callin_over_the_citizens_meeting_R_3_6() -> None:
    """R-3.6: `check` reports a placement over the citizen's own meeting (meeting time only: the
    caseworker's reporting time does not keep the citizen)."""
    doc = _doc([{"id": "z1", "busy": [["2027-03-01T09:30", "2027-03-01T10:00"]]}],
               [meeting_doc("m1", citizens=["z1"], duration_minutes=30, reporting_minutes=10)])
    instance = parse_instance(doc)
    assert check(instance, Solution([_placed("m1", "2027-03-01T09:00")], [])).feasible
    report = check(instance, Solution([_placed("m1", "2027-03-01T09:05")], []))
    assert report.codes() == {"citizen"}


def test_check_catches_two_callins_of_a_citizen_at_once_R_3_6() -> None:
    """R-3.6: `check` reports two placements of one citizen that overlap, on any caseworkers."""
    meetings = [meeting_doc("m1", citizens=["z1"]), meeting_doc("m2", caseworkers=["cw2"], citizens=["z1"])]
    instance = parse_instance(_doc([{"id": "z1"}], meetings))
    clash = Solution([_placed("m1", "2027-03-01T09:00"), _placed("m2", "2027-03-01T09:15", "cw2")], [])
    assert check(instance, clash).codes() == {"overlap"}
    apart = Solution([_placed("m1", "2027-03-01T09:00"), _placed("m2", "2027-03-01T09:30", "cw2")], [])
    assert check(instance, apart).feasible


def _with_citizens(seed: int, load: str) -> tuple:
    """A generated instance whose meetings share a few citizens, some with busy time."""
    instance = generate(meetings=40, caseworkers=8, days=5, seed=seed, load=load)
    rng = random.Random(seed)
    ids = [f"z{k}" for k in range(12)]
    citizens = {}
    for ident in ids:
        day = rng.randrange(5)
        busy = ((datetime(2027, 3, 1 + day, 9), datetime(2027, 3, 1 + day, 12)),) if rng.random() < 0.5 else ()
        citizens[ident] = Citizen(ident, busy)
    document = instance_to_json(instance)
    document["format"] = 2
    start = instance.start_date
    for c in citizens.values():
        shift = start - datetime(2027, 3, 1).date()
        citizens[c.id] = Citizen(c.id, tuple((a + shift, b + shift) for a, b in c.busy))
    document["citizens"] = [{"id": c.id, "busy": [[a.isoformat(timespec="minutes"), b.isoformat(timespec="minutes")]
                                                   for a, b in c.busy]} for c in citizens.values()]
    for entry in document["meetings"]:
        entry["citizens"] = [rng.choice(ids)]
    return parse_instance(document)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("load", ["tight", "normal"])
def test_solver_with_citizens_always_passes_check_R_3_6(seed: int, load: str) -> None:
    """R-3.6, R-3.2: with citizens shared between meetings (and some busy), every phase of the
    solver (LP, rounding, repairs, exact models) keeps to them: the result passes `check` and
    stays within its bound."""
    instance = _with_citizens(seed, load)
    solution = solve(instance, workers=1)
    report = check(instance, solution)
    assert report.feasible, report.violations[:5]
    assert solution.stats["weighted_placed"] <= solution.stats["upper_bound"]
