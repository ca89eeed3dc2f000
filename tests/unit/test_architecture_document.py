"""docs/architecture.md's picture of the packages is the one the imports draw today."""

from __future__ import annotations

from scripts.import_graph import ROOT, mermaid, replace_block


def test_architecture_document_shows_the_current_imports():
    document = (ROOT / "docs" / "architecture.md").read_text()
    assert replace_block(document, mermaid()) == document, (
        "The imports changed: run `python -m scripts.import_graph --write docs/architecture.md` "
        "and read the new arrows; one pointing up or out of the base is one the wrong way.")


def test_relative_and_from_imports_count_as_imports_of_the_module(tmp_path):
    from scripts.import_graph import imported
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text("from . import sibling\nfrom .other import name\nfrom webapp import models\n"
                      "def f():\n    import jobs.cli\n")
    known = {"pkg.sibling", "pkg.other", "webapp", "webapp.models", "jobs.cli"}
    assert list(imported("pkg.mod", module, known)) == [
        "pkg.sibling", "pkg.other", "webapp.models", "jobs.cli"]
