"""Parsing and validation of the exchange format; bad input names the key and exits with 2."""

from __future__ import annotations

import json

import pytest

from optimizer.__main__ import main
from optimizer.model import FormatError, instance_to_json, parse_instance, parse_solution, solution_to_json
from optimizer.solve import solve

from .factories import caseworker_doc, instance_doc, meeting_doc


def _without(doc: dict, path: list) -> dict:
    target = doc
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return doc


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (["format"], "format"),
        (["start_date"], "start_date"),
        (["teams"], "teams"),
        (["meetings"], "meetings"),
        (["caseworkers", 0, "id"], "caseworkers[0].id"),
        (["meetings", 0, "deadline_date"], "meetings[0].deadline_date"),
        (["meetings", 0, "duration_minutes"], "meetings[0].duration_minutes"),
        (["meetings", 0, "kind"], "meetings[0].kind"),
        (["rooms", 0, "seats"], "rooms[0].seats"),
    ],
)
def test_missing_required_key_is_named(path: list, key: str) -> None:
    """R-3.2 exchange format: a missing required key raises an error naming it."""
    with pytest.raises(FormatError) as error:
        parse_instance(_without(instance_doc(), path))
    assert error.value.key == key
    assert key in str(error.value)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"format": 3}, "format"),
        ({"granularity_minutes": 7}, "granularity_minutes"),
        ({"end_date": "2027-02-01"}, "end_date"),
        ({"start_date": "1 March"}, "start_date"),
        ({"meetings": [meeting_doc(kind="pair")]}, "meetings[0].kind"),
        ({"meetings": [meeting_doc(priority=-1)]}, "meetings[0].priority"),
        ({"meetings": [meeting_doc(caseworkers=["nobody"])]}, "meetings[0].caseworkers[0]"),
        ({"meetings": [meeting_doc(rooms=["r9"])]}, "meetings[0].rooms[0]"),
        ({"meetings": [meeting_doc(team="t9")]}, "meetings[0].team"),
        ({"meetings": [meeting_doc(duration_minutes=0)]}, "meetings[0].duration_minutes"),
        ({"meetings": [meeting_doc(), meeting_doc()]}, "meetings[1].id"),
        ({"caseworkers": [caseworker_doc(working_time={"0": ["25:00", "26:00"]})]}, "caseworkers[0].working_time.0[0]"),
        ({"caseworkers": [caseworker_doc(working_time={"7": ["08:00", "16:00"]})]}, "caseworkers[0].working_time.7"),
        ({"caseworkers": [caseworker_doc(busy=[["2027-03-01T10:00", "2027-03-01T09:00"]])]}, "caseworkers[0].busy[0]"),
    ],
)
def test_bad_value_is_named(overrides: dict, key: str) -> None:
    """R-3.2 exchange format: a bad value raises an error naming its key."""
    with pytest.raises(FormatError) as error:
        parse_instance(instance_doc(**overrides))
    assert error.value.key == key


def test_zero_length_working_time_means_day_off() -> None:
    """R-1.2.5: 00:00-00:00 means no working time that day."""
    instance = parse_instance(instance_doc(caseworkers=[caseworker_doc(working_time={"0": ["00:00", "00:00"]})],
                                           meetings=[]))
    assert instance.caseworkers["cw1"].working_time == {}


def test_round_trip_keeps_the_instance() -> None:
    """R-3.2 exchange format: writing and reading an instance gives the same instance."""
    instance = parse_instance(instance_doc())
    assert parse_instance(json.loads(json.dumps(instance_to_json(instance)))) == instance


def test_solution_missing_start_is_named() -> None:
    """R-3.2 exchange format: solutions are validated the same way."""
    with pytest.raises(FormatError) as error:
        parse_solution({"format": 2, "placements": [{"meeting": "m1", "caseworkers": []}], "unplaced": []})
    assert error.value.key == "placements[0].start"


def test_solution_reasons_are_codes_that_survive_json() -> None:
    """R-3.4, exchange format 2: an unplaced meeting's reason is a code with parameters, not text."""
    instance = parse_instance(instance_doc(caseworkers=[caseworker_doc(working_time={})]))
    solution = solve(instance, workers=1)
    document = json.loads(json.dumps(solution_to_json(solution)))
    assert document["format"] == 2
    assert document["unplaced"][0]["reason"] == {
        "code": "no_free_time",
        "params": {"caseworkers": ["cw1"], "minutes": 40, "common": False, "earliest_date": "2027-03-01",
                   "deadline_date": "2027-03-05"},
    }
    assert parse_solution(document).unplaced == solution.unplaced


@pytest.mark.parametrize(
    ("document", "key"),
    [
        ({"format": 1, "placements": [], "unplaced": []}, "format"),
        ({"format": 2, "placements": [], "unplaced": [{"meeting": "m1", "reason": "no free time"}]},
         "unplaced[0].reason"),
        ({"format": 2, "placements": [], "unplaced": [{"meeting": "m1", "reason": {"code": "busy"}}]},
         "unplaced[0].reason.code"),
        ({"format": 2, "placements": [],
          "unplaced": [{"meeting": "m1", "reason": {"code": "closed", "params": {"earliest_date": "2027-03-01"}}}]},
         "unplaced[0].reason.params.deadline_date"),
    ],
)
def test_solution_reason_is_validated(document: dict, key: str) -> None:
    """Exchange format 2: a reason needs a known code and that code's parameters."""
    with pytest.raises(FormatError) as error:
        parse_solution(document)
    assert error.value.key == key


@pytest.mark.parametrize("command", ["solve", "check"])
def test_cli_bad_input_exits_2_naming_key(tmp_path, capsys, command: str) -> None:
    """R-3.2 CLI: bad input gives exit status 2 and the key in the message."""
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(_without(instance_doc(), ["meetings", 0, "earliest_date"])))
    solution = tmp_path / "solution.json"
    solution.write_text(json.dumps({"format": 2, "placements": [], "unplaced": []}))
    args = ["solve", str(path), "-o", str(tmp_path / "out.json")] if command == "solve" else ["check", str(path), str(solution)]
    assert main(args) == 2
    assert "meetings[0].earliest_date" in capsys.readouterr().err


def test_cli_bad_json_exits_2(tmp_path, capsys) -> None:
    """R-3.2 CLI: a file that is not JSON gives exit status 2."""
    path = tmp_path / "instance.json"
    path.write_text("{not json")
    assert main(["solve", str(path), "-o", str(tmp_path / "out.json")]) == 2
    assert "instance.json" in capsys.readouterr().err
