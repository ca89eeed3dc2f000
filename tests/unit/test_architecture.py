"""Arrows one way (issue #15): webapp never imports jobs or seed, no import cycles, small feature modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.import_graph import box, imports, modules

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
# The feature packages: use cases on the database, each module of them a service module.
FEATURES = ("administration", "booking", "calendar", "callins", "citizens", "messaging", "planning",
            "selfbooking",
            "storage")
MAX_SERVICE_LINES = 500
# Not yet split or untangled (issue #15 is worked in steps); each entry goes when its step lands,
# and nothing new may join. A blueprint package keeps `bp` in its blueprint.py: routes importing
# `bp` from the package that imports them would be a cycle.
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_LONG: set[str] = set()
# Packages (the boxes of docs/architecture.md) that import each other. The citizen's login is
# still shared by two pages: auth's OpenID Connect callback finds the citizen through
# portal.authn and its logout message comes from portal.helpers, while the portal uses auth's
# forms and sessions. Remove the entry when it is untangled; nothing new may join.
KNOWN_PACKAGE_CYCLES: set[frozenset[str]] = {frozenset({"webapp.auth", "webapp.portal"})}


def _modules() -> dict[str, Path]:
    """Every module under webapp/, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(WEBAPP.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: {target for _, target in imports(name, path, known) if target in known}
            for name, path in modules.items()}


def _package_graph() -> dict[str, set[str]]:
    """The imports between packages: every module of webapp/, optimizer/, jobs/ and seed/ in its
    box (`webapp.<package>`, `optimizer`, `jobs`, `seed`), arrows into the base included."""
    found = dict(modules())
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        source = box(name)
        if source is None:
            continue
        targets = graph.setdefault(source, set())
        for _, target in imports(name, path, known):
            if (target_box := box(target)) is not None and target_box != source:
                targets.add(target_box)
    for targets in list(graph.values()):
        for target in targets:
            graph.setdefault(target, set())
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle for each group of modules that import each other (Tarjan's strongly connected
    components, each shown as a shortest way round from its first module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_way_round(graph, group) for group in groups]


def _way_round(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """The shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & group):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return sorted(group)


def test_webapp_never_imports_jobs_or_seed() -> None:
    """Arrows one way: jobs and seed use the web application, never the reverse."""
    modules = _modules()
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {target}"
             for name, path in modules.items() for line, target in imports(name, path, set(modules))
             if target.split(".")[0] in ("jobs", "seed")]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_webapp_modules() -> None:
    """Arrows one way: no two modules of webapp/ import each other, however indirectly."""
    cycles = [cycle for cycle in _cycles(_graph()) if frozenset(cycle) not in KNOWN_CYCLES]
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_import_cycle_between_packages() -> None:
    """Arrows one way between the product's parts too: booking never imports messaging (messaging
    listens to booking's event), calendar never imports administration (administration reads the
    calendar), however indirectly; a cycle of packages hides no module cycle the test above sees."""
    cycles = [cycle for cycle in _cycles(_package_graph()) if frozenset(cycle) not in KNOWN_PACKAGE_CYCLES]
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_type_checking_imports_draw_no_arrow(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nimport a\nif TYPE_CHECKING:\n    import b\n"
                      "else:\n    import c\ndef f():\n    import d\n")
    assert [target for _, target in imports("m", module, set())] == ["typing", "a", "c", "d"]


def test_cycles_are_found_and_reported() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c", "a"], ["e", "e"]]


def test_the_not_yet_lists_hold_only_what_is_still_true() -> None:
    """An entry of KNOWN_CYCLES, KNOWN_PACKAGE_CYCLES or KNOWN_LONG that no longer applies must be removed."""
    cycles = {frozenset(cycle) for cycle in _cycles(_graph())}
    assert KNOWN_CYCLES <= cycles, f"fixed, remove from KNOWN_CYCLES: {KNOWN_CYCLES - cycles}"
    package_cycles = {frozenset(cycle) for cycle in _cycles(_package_graph())}
    assert KNOWN_PACKAGE_CYCLES <= package_cycles, (
        f"fixed, remove from KNOWN_PACKAGE_CYCLES: {KNOWN_PACKAGE_CYCLES - package_cycles}")
    short = {name for name in KNOWN_LONG if len((ROOT / name).read_text().splitlines()) <= MAX_SERVICE_LINES}
    assert not short, f"now short enough, remove from KNOWN_LONG: {short}"


@pytest.mark.parametrize("package", FEATURES)
def test_service_modules_are_small(package: str) -> None:
    """A module of a feature package holds one idea; past 500 lines it holds several."""
    long = {str(path.relative_to(ROOT)): lines for path in sorted((WEBAPP / package).rglob("*.py"))
            if (lines := len(path.read_text().splitlines())) > MAX_SERVICE_LINES
            and str(path.relative_to(ROOT)) not in KNOWN_LONG}
    assert not long, f"over {MAX_SERVICE_LINES} lines: {long}"
