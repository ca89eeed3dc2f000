"""The packages of the code base and the imports between them, as a mermaid diagram."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each package (or lone module) of webapp/ is one box; these stand beside it as one box each.
OUTSIDE = ("optimizer", "jobs", "seed")
# Boxes drawn in layers; arrows should point down. The base is what every layer above may
# use: arrows into it would cover the picture, so they are left out, and so are those
# inside it. An arrow out of it is drawn: it would be one the wrong way.
LAYERS = {
    "pages": ("webapp.admin", "webapp.api", "webapp.auth", "webapp.caseworker", "webapp.cli",
              "webapp.integration", "webapp.offers_staff", "webapp.portal"),
    "features": ("webapp.administration", "webapp.booking", "webapp.calendar", "webapp.callins",
                 "webapp.citizens",
                 "webapp.messaging", "webapp.overview", "webapp.planning", "webapp.selfbooking"),
    "base": ("webapp.models", "webapp.domain", "webapp.extensions", "webapp.config", "webapp.clock",
             "webapp.errors", "webapp.storage", "webapp.messages", "webapp.language"),
}
BEGIN, END = "```mermaid", "```"


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the packages drawn, by dotted name."""
    for top in ("webapp", *OUTSIDE):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _is_type_checking(node: ast.AST) -> bool:
    """`if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`): imports for the type checker, never run."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree except the bodies of `if TYPE_CHECKING:` blocks (their `else` runs)."""
    for node in ast.iter_child_nodes(tree):
        if _is_type_checking(node):
            for other in node.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield node
        yield from _runtime_nodes(node)


def imports(name: str, path: Path, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for every import a module runs, function-local ones too; the one reader
    of imports for this diagram and for tests/unit/test_architecture.py.

    `from package import name` imports the module `package.name` when there is one, else
    `package`. Importing a module also runs its packages' `__init__`, but that is no arrow
    the module draws, so it is left out. Imports under `if TYPE_CHECKING:` never run, so
    they draw no arrow either: that is how a model names its partner for the type checker.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}".rstrip(".")
            for alias in node.names:
                child = f"{base}.{alias.name}"
                yield node.lineno, child if child in known else base


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The modules a module imports (see `imports`)."""
    return (target for _, target in imports(name, path, known))


def box(name: str) -> str | None:
    """The box a module belongs to: `webapp.<part>`, or one of OUTSIDE; None for others."""
    parts = name.split(".")
    if parts[0] in OUTSIDE:
        return parts[0]
    if parts[0] != "webapp":
        return None
    return "webapp" if len(parts) == 1 else f"webapp.{parts[1]}"


def arrows() -> set[tuple[str, str]]:
    """(importer, imported) boxes, without the arrows into the base."""
    found = dict(modules())
    known = set(found)
    base = set(LAYERS["base"])
    edges = set()
    for name, path in found.items():
        source = box(name)
        for target in map(box, imported(name, path, known)):
            if source and target and target != source and target not in base:
                edges.add((source, target))
    return edges


def _node(name: str) -> str:
    label = "webapp: create_app" if name == "webapp" else name.removeprefix("webapp.")
    return f'{name.replace(".", "_")}["{label}"]'


def mermaid() -> str:
    """The diagram, written the same way each time so the document can be checked against it."""
    boxes = sorted({box(name) for name, _ in modules()} - {None})
    layered = {b for members in LAYERS.values() for b in members}
    lines = [BEGIN, "flowchart TD"]
    lines += [f"    {_node(b)}" for b in boxes if b not in layered]
    for layer, members in LAYERS.items():
        lines.append(f"    subgraph {layer}")
        lines += [f"        {_node(b)}" for b in sorted(members) if b in boxes]
        lines.append("    end")
    lines += [f"    {a.replace('.', '_')} --> {b.replace('.', '_')}" for a, b in sorted(arrows())]
    lines.append(END)
    return "\n".join(lines)


def replace_block(document: str, block: str) -> str:
    """The document with its mermaid block replaced by `block`."""
    start = document.index(BEGIN)
    end = document.index(END, start + len(BEGIN)) + len(END)
    return document[:start] + block + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", type=Path, help="replace the mermaid block of this document")
    args = parser.parse_args(argv)
    if args.write is None:
        print(mermaid())
    else:
        args.write.write_text(replace_block(args.write.read_text(), mermaid()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
