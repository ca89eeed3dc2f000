"""No function in the optimiser is longer than 80 lines: long functions become named phases."""

from __future__ import annotations

import ast
from pathlib import Path

import optimizer

LIMIT = 80
PACKAGE = Path(optimizer.__file__).parent


def function_lengths(source: str) -> dict[str, int]:
    """Name -> lines from the `def` line (decorators aside) to the last line of its body, nested
    functions included; a nested function is also counted on its own."""
    return {
        f"{node.lineno} {node.name}": node.end_lineno - node.lineno + 1
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def test_no_optimizer_function_is_longer_than_the_limit() -> None:
    too_long = [
        f"{path.name}:{name} ({length} lines)"
        for path in sorted(PACKAGE.glob("*.py"))
        for name, length in function_lengths(path.read_text(encoding="utf-8")).items()
        if length > LIMIT
    ]
    assert too_long == []


def test_the_length_runs_from_def_to_the_end_of_the_body() -> None:
    source = "@decorator\ndef outer(\n    a,\n):\n    def inner():\n        return 1\n\n    return inner\n\nx = 1\n"
    assert function_lengths(source) == {"2 outer": 7, "5 inner": 2}
