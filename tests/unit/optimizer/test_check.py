"""The independent checker catches every kind of violation of the feasibility rules."""

from __future__ import annotations

from datetime import datetime

import pytest

from optimizer.check import check
from optimizer.model import Placement, Reason, ReasonCode, Solution, Unplaced

from .factories import TAKEN, caseworker_doc, create_instance, meeting_doc


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _solution(*placements: Placement, unplaced: tuple[Unplaced, ...] = ()) -> Solution:
    return Solution(list(placements), list(unplaced), {})


def _place(meeting: str = "m1", start: str = "2027-03-01T09:00", cws: tuple[str, ...] = ("cw1",), room=None) -> Placement:
    return Placement(meeting, _at(start), cws, room)


def test_valid_solution_passes() -> None:
    """R-3.2: a correct placement has no violations and the figures count it."""
    report = check(create_instance(), _solution(_place()))
    assert report.feasible, report.violations
    assert report.figures["placed"] == 1


@pytest.mark.parametrize(
    ("name", "overrides", "solution", "code"),
    [
        ("R-2.1 overlap of two meetings of one caseworker",
         {"meetings": [meeting_doc("m1"), meeting_doc("m2")]},
         _solution(_place("m1", "2027-03-01T09:00"), _place("m2", "2027-03-01T09:35")), "overlap"),
        ("R-2.1 reporting time counts in the overlap",
         {"meetings": [meeting_doc("m1"), meeting_doc("m2")]},
         _solution(_place("m1", "2027-03-01T09:00"), _place("m2", "2027-03-01T09:30")), "overlap"),
        ("R-1.2.5 outside working time", {}, _solution(_place(start="2027-03-01T15:30")), "working-time"),
        ("R-1.2.5 before working time", {}, _solution(_place(start="2027-03-01T07:45")), "working-time"),
        ("R-1.2.5 weekend has no working time",
         {"end_date": "2027-03-07", "meetings": [meeting_doc(deadline_date="2027-03-07")]},
         _solution(_place(start="2027-03-06T09:00")), "working-time"),
        ("R-1.2.6 break", {}, _solution(_place(start="2027-03-01T11:40")), "break"),
        ("R-2.1 busy time of the caseworker",
         {"caseworkers": [caseworker_doc(busy=[["2027-03-01T09:30", "2027-03-01T10:00"]])]},
         _solution(_place()), "busy"),
        ("R-1.3.4 closed date", {"teams": [{"id": "t1", "closed_dates": ["2027-03-01"]}]},
         _solution(_place()), "closed"),
        ("R-3.2 after deadline", {"meetings": [meeting_doc(deadline_date="2027-03-02")]},
         _solution(_place(start="2027-03-03T09:00")), "deadline"),
        ("R-3.2 before earliest", {"meetings": [meeting_doc(earliest_date="2027-03-02")]},
         _solution(_place()), "earliest"),
        ("R-3.2 off the grid", {}, _solution(_place(start="2027-03-01T09:02")), "grid"),
        ("R-1.5.1 individual needs exactly one caseworker",
         {"meetings": [meeting_doc(caseworkers=["cw1", "cw2"])]},
         _solution(_place(cws=("cw1", "cw2"))), "caseworkers"),
        ("R-1.5.1 individual needs an allowed caseworker", {}, _solution(_place(cws=("cw2",))), "caseworkers"),
        ("R-1.5.1 group needs all caseworkers",
         {"meetings": [meeting_doc(kind="group", caseworkers=["cw1", "cw2"])]},
         _solution(_place(cws=("cw1",))), "caseworkers"),
        ("R-1.4.3 room seats",
         {"rooms": [{"id": "r1", "seats": 8}], "meetings": [meeting_doc(kind="group", rooms=["r1"], participants=12)]},
         _solution(_place(room="r1")), "seats"),
        ("R-1.4.3 room missing", {"meetings": [meeting_doc(rooms=["r1"])]}, _solution(_place()), "room"),
        ("R-1.4.3 room not asked for", {}, _solution(_place(room="r1")), "room"),
        ("R-1.4.3 room busy",
         {"rooms": [{"id": "r1", "seats": 4, "busy": [["2027-03-01T09:20", "2027-03-01T09:25"]]}],
          "meetings": [meeting_doc(rooms=["r1"])]},
         _solution(_place(room="r1")), "busy"),
        ("R-1.4.3 one meeting at a time in a room",
         {"meetings": [meeting_doc("m1", rooms=["r1"]), meeting_doc("m2", caseworkers=["cw2"], rooms=["r1"])]},
         _solution(_place("m1", room="r1"), _place("m2", "2027-03-01T09:15", ("cw2",), "r1")), "overlap"),
        ("R-3.4 missing meeting", {"meetings": [meeting_doc("m1"), meeting_doc("m2")]}, _solution(_place()), "missing"),
        ("R-3.4 unplaced needs a reason", {}, _solution(unplaced=(Unplaced("m1", Reason(" ")),)), "reason"),
        ("R-3.4 a reason has its parameters", {},
         _solution(unplaced=(Unplaced("m1", Reason(ReasonCode.CLOSED, {"earliest_date": "2027-03-01"})),)), "reason"),
        ("R-3.2 placed twice", {}, _solution(_place(), _place(start="2027-03-02T09:00")), "duplicate"),
        ("R-3.2 placed and unplaced", {}, _solution(_place(), unplaced=(Unplaced("m1", TAKEN),)), "duplicate"),
    ],
)
def test_check_catches(name: str, overrides: dict, solution: Solution, code: str) -> None:
    report = check(create_instance(**overrides), solution)
    assert code in report.codes(), (name, report.violations)
    assert not report.feasible


def test_room_free_after_meeting_while_caseworker_reports() -> None:
    """R-1.4.3: the room is taken for the meeting only, the caseworker also for reporting."""
    instance = create_instance(
        meetings=[meeting_doc("m1", rooms=["r1"]), meeting_doc("m2", caseworkers=["cw2"], rooms=["r1"])]
    )
    solution = _solution(_place("m1", room="r1"), _place("m2", "2027-03-01T09:30", ("cw2",), "r1"))
    assert check(instance, solution).feasible


def test_stated_bound_below_placed_is_reported() -> None:
    """R-3.2: the upper bound must not be below what the solution places."""
    solution = _solution(_place())
    solution.stats["upper_bound"] = 0
    assert "bound" in check(create_instance(), solution).codes()
