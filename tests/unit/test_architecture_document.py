"""docs/architecture.md's picture of the packages is the one the imports draw today."""

from __future__ import annotations

from scripts.import_graph import ROOT, mermaid, replace_block


def test_architecture_document_shows_the_current_imports():
    document = (ROOT / "docs" / "architecture.md").read_text()
    assert replace_block(document, mermaid()) == document, (
        "The imports changed: run `python -m scripts.import_graph --write docs/architecture.md` "
        "and read the new arrows; one pointing up or out of the base is one the wrong way.")


def test_relative_from_and_local_imports_count_type_checking_ones_do_not(tmp_path):
    from scripts.import_graph import imported
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text("from typing import TYPE_CHECKING\nfrom . import sibling\nfrom .other import name\n"
                      "from webapp import models\nif TYPE_CHECKING:\n    import seed\n"
                      "def f():\n    import jobs.cli\n")
    known = {"pkg.sibling", "pkg.other", "webapp", "webapp.models", "jobs.cli"}
    assert list(imported("pkg.mod", module, known)) == [
        "typing", "pkg.sibling", "pkg.other", "webapp.models", "jobs.cli"]
