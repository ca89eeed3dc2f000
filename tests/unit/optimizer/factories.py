"""Small instance documents for the optimiser tests, built by keyword overrides."""

from __future__ import annotations

import copy
from typing import Any

from optimizer.model import Instance, Reason, ReasonCode, parse_instance

WEEK = {str(d): ["08:00", "16:00"] for d in range(5)}
# A well-formed reason for solutions built by hand in the tests.
TAKEN = Reason(ReasonCode.TAKEN, {"caseworkers": ["cw1"], "rooms": [], "earliest_date": "2027-03-01",
                                  "deadline_date": "2027-03-05"})


def caseworker_doc(ident: str = "cw1", **overrides: Any) -> dict[str, Any]:
    doc = {"id": ident, "working_time": dict(WEEK), "breaks": {"0": [["12:00", "12:30"]]}, "busy": []}
    doc.update(overrides)
    return doc


def meeting_doc(ident: str = "m1", **overrides: Any) -> dict[str, Any]:
    doc = {
        "id": ident,
        "team": "t1",
        "kind": "individual",
        "caseworkers": ["cw1"],
        "rooms": [],
        "participants": 1,
        "duration_minutes": 30,
        "reporting_minutes": 10,
        "earliest_date": "2027-03-01",
        "deadline_date": "2027-03-05",
        "priority": 1,
    }
    doc.update(overrides)
    return doc


def instance_doc(**overrides: Any) -> dict[str, Any]:
    """One team, two caseworkers, one room, one meeting, Monday 1 to Friday 5 March 2027."""
    doc = {
        "format": 1,
        "start_date": "2027-03-01",
        "end_date": "2027-03-05",
        "granularity_minutes": 5,
        "teams": [{"id": "t1", "closed_dates": []}],
        "caseworkers": [caseworker_doc("cw1"), caseworker_doc("cw2")],
        "rooms": [{"id": "r1", "seats": 12, "busy": []}],
        "meetings": [meeting_doc("m1")],
    }
    doc.update(copy.deepcopy(overrides))
    return doc


def create_instance(**overrides: Any) -> Instance:
    return parse_instance(instance_doc(**overrides))
