"""One owner per idea (issue #15): error texts, the user's language and each setting live in one place."""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from pathlib import Path

import pytest

from webapp.config import Config, setting, settings
from webapp.messages import MESSAGES, text, texts

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
CATALOGUE = WEBAPP / "messages.py"
CONFIG = WEBAPP / "config.py"
LANGUAGE = WEBAPP / "language.py"


def _modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string literal of a module; Python joins adjacent literals, so a sentence split
    over two lines is one string here. An f-string gives its literal pieces."""
    return [(node.lineno, node.value) for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _shared_fields(template: str, language: str) -> set[str]:
    """A text's fields, where `how_da` in the Danish text and `how_en` in the English one are one
    field with a value per language (a date or a contact written each language's way)."""
    other = "en" if language == "da" else "da"
    fields = _fields(template)
    assert not any(name.endswith(f"_{other}") for name in fields), (template, fields)
    return {name.removesuffix(f"_{language}") for name in fields}


def _literal_pieces(template: str) -> list[str]:
    """The parts of a text around its {fields} that are long enough to recognise."""
    return [piece.strip() for piece in re.split(r"\{[^}]*\}", template) if len(piece.strip()) >= 15]


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_has_both_languages_with_the_same_fields(code: str) -> None:
    """One owner per idea: a code has a Danish and an English text that take the same parameters."""
    da, en = MESSAGES[code]
    assert da.strip() and en.strip(), code
    assert da != en, f"{code}: the Danish text is the English one"
    assert _shared_fields(da, "da") == _shared_fields(en, "en"), code
    params = {name: 7 for name in _fields(da) | _fields(en)}
    assert "{" not in text(code, "da", **params) and "{" not in text(code, "en", **params)
    assert texts(code, **params) == (text(code, "da", **params), text(code, "en", **params))


def test_no_danish_error_sentence_is_typed_outside_the_catalogue() -> None:
    """One owner per idea: a catalogued sentence is written once, in webapp/messages.py."""
    found = []
    for path in _modules(WEBAPP):
        if path == CATALOGUE:
            continue
        for line, literal in _strings(path):
            for code, (da, _) in MESSAGES.items():
                if any(piece in literal for piece in _literal_pieces(da) or [da]):
                    found.append(f"{path.relative_to(ROOT)}:{line} types {code!r}: {da!r}")
    assert not found, "\n".join(found)


def test_no_catalogued_sentence_appears_twice_in_the_catalogue() -> None:
    danish = [da for da, _ in MESSAGES.values()]
    english = [en for _, en in MESSAGES.values()]
    assert len(set(danish)) == len(danish) and len(set(english)) == len(english)


# ---------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------

_PICKS_LANGUAGE = re.compile(r"""session\.get\(\s*["']lang["']\s*\)|\bget_locale\(|["']da["'],\s*["']en["']""")


def test_the_language_is_picked_in_one_place() -> None:
    """One owner per idea: only webapp/language.py reads the session's language or Babel's locale."""
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in _modules(WEBAPP) + sorted((WEBAPP / "templates").rglob("*.html"))
             if path != LANGUAGE
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if _PICKS_LANGUAGE.search(line)]
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

# Each setting has one reader outside webapp/config.py and no second default; both lists were
# emptied when the last two-owner settings (PLANNER_SMTP_FROM, PLANNER_ALLOCATION_TIME) got
# theirs, and stay empty: a new entry is a second owner.
NOT_YET_ONE_OWNER: dict[str, list[str]] = {}
SECOND_DEFAULT_NOT_YET_REMOVED: set[str] = set()


def _config_keys() -> set[str]:
    return set(settings(Config)) | {key for key in vars(Config) if key.isupper()}


def test_each_setting_is_read_in_one_module() -> None:
    """One owner per idea: outside webapp/config.py a setting is named by one module, which
    gives the others a function (e.g. the reservation hold, `selfbooking.reservation_hold`)."""
    keys = _config_keys()
    readers: dict[str, set[str]] = defaultdict(set)
    for path in _modules(WEBAPP, ROOT / "jobs"):
        if path == CONFIG:
            continue
        for _, literal in _strings(path):
            if literal in keys:
                readers[literal].add(str(path.relative_to(ROOT)))
    shared = {key: sorted(paths) for key, paths in readers.items() if len(paths) > 1}
    assert shared == {key: paths for key, paths in NOT_YET_ONE_OWNER.items() if key in shared}, shared


def test_no_setting_has_a_second_default() -> None:
    """One owner per idea: a default lives in Config; `config.get(KEY, default)` would be a second one."""
    keys = _config_keys()
    found = []
    for path in _modules(WEBAPP, ROOT / "jobs"):
        if path == CONFIG or str(path.relative_to(ROOT)) in SECOND_DEFAULT_NOT_YET_REMOVED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get" and len(node.args) == 2
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in keys):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.args[0].value}")
    assert not found, "\n".join(found)


def test_outside_an_app_a_setting_is_configs_default() -> None:
    """A script or a unit test without an app gets the one default, the one in Config."""
    assert setting("PLANNER_RESERVATION_MINUTES") == settings(Config)["PLANNER_RESERVATION_MINUTES"].default
    assert setting("PLANNER_TIMEZONE") == "Europe/Copenhagen"
