"""The pooled family of `python -m optimizer generate --profile pooled` (issue 18, R-3.2)."""

from __future__ import annotations

import json

from optimizer.__main__ import main
from optimizer.check import check
from optimizer.generate import generate_pooled
from optimizer.greedy import build_problem
from optimizer.model import instance_to_json, load_instance
from optimizer.solve import components, solve


def test_pooled_instances_have_the_familys_shape() -> None:
    """Pools of 1-6 caseworkers across a team and the next (one component), priorities 1-3,
    windows of a few days, 30-45 minutes plus reporting, rooms and group meetings, a 15-minute grid."""
    instance = generate_pooled(meetings=400, caseworkers=16, days=10, seed=3)
    assert instance.granularity_minutes == 15
    individual = [m for m in instance.meetings if m.kind == "individual"]
    assert {len(m.caseworkers) for m in individual} == set(range(1, 7))
    assert {m.duration_minutes for m in individual} == {30, 45}
    assert {m.priority for m in instance.meetings} == {1, 2, 3}
    assert all(0 <= (m.deadline_date - m.earliest_date).days <= 6 for m in instance.meetings)
    assert any(m.kind == "group" and m.rooms for m in instance.meetings)
    assert any(m.kind == "individual" and m.rooms for m in instance.meetings)
    assert len(components(build_problem(instance))) == 1


def test_pooled_is_deterministic_by_seed_and_solves_feasibly() -> None:
    first = instance_to_json(generate_pooled(meetings=80, caseworkers=6, days=4, seed=5))
    assert first == instance_to_json(generate_pooled(meetings=80, caseworkers=6, days=4, seed=5))
    assert first != instance_to_json(generate_pooled(meetings=80, caseworkers=6, days=4, seed=6))
    instance = generate_pooled(meetings=80, caseworkers=6, days=4, seed=5)
    solution = solve(instance, time_limit=5, workers=1)
    assert check(instance, solution).feasible


def test_generate_command_takes_the_pooled_profile(tmp_path) -> None:
    out = tmp_path / "pooled.json"
    code = main(["generate", "--profile", "pooled", "--meetings", "50", "--caseworkers", "6", "--days", "3",
                 "--seed", "2", "-o", str(out)])
    assert code == 0
    assert json.loads(out.read_text())["granularity_minutes"] == 15
    assert len(load_instance(out).meetings) == 50
