"""The user directory adapter (R-1.2.1): look-up by e-mail, file-backed demo directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.domain.contact import check_rid
from webapp.domain.directory import (
    DEMO_DIRECTORY_JSON,
    Directory,
    DirectoryEntry,
    DirectoryFileError,
    FileDirectory,
)

PERSON = {
    "email": "Anna.Holm@Demo-Jobcenter.dk",
    "name": "Anna Holm",
    "rid": "RID:12345678",
    "phone": "20 30 40 50",
    "initials": "ANH",
    "certificate_valid": True,
}


def write_directory(tmp_path: Path, people: list[dict]) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps({"people": people}, ensure_ascii=False), encoding="utf-8")
    return path


def test_r_1_2_1_file_directory_is_a_directory() -> None:
    assert isinstance(FileDirectory(DEMO_DIRECTORY_JSON), Directory)


def test_r_1_2_1_lookup_returns_the_normalised_entry(tmp_path: Path) -> None:
    directory = FileDirectory(write_directory(tmp_path, [PERSON]))
    assert directory.lookup("anna.holm@demo-jobcenter.dk") == DirectoryEntry(
        email="anna.holm@demo-jobcenter.dk", name="Anna Holm", rid="12345678",
        phone="+4520304050", initials="ANH", certificate_valid=True)


@pytest.mark.parametrize("email", [
    "anna.holm@demo-jobcenter.dk",
    "ANNA.HOLM@DEMO-JOBCENTER.DK",
    "  anna.holm@demo-jobcenter.dk ",
])
def test_r_1_2_1_lookup_ignores_case_and_spaces(tmp_path: Path, email: str) -> None:
    directory = FileDirectory(write_directory(tmp_path, [PERSON]))
    entry = directory.lookup(email)
    assert entry is not None and entry.name == "Anna Holm"


@pytest.mark.parametrize("email", ["", "nobody@demo-jobcenter.dk", "anna.holm@demo-jobcenter",
                                   "anna.holm", None])
def test_r_1_2_1_unknown_person_is_none(tmp_path: Path, email: str) -> None:
    assert FileDirectory(write_directory(tmp_path, [PERSON])).lookup(email) is None


def test_r_1_2_1_invalid_certificate_is_returned_for_the_service_to_refuse(
        tmp_path: Path) -> None:
    directory = FileDirectory(write_directory(
        tmp_path, [{**PERSON, "certificate_valid": False}]))
    entry = directory.lookup(PERSON["email"])
    assert entry is not None
    assert entry.certificate_valid is False


def test_r_1_2_1_demo_directory_content() -> None:
    directory = FileDirectory(DEMO_DIRECTORY_JSON)
    entries = directory.entries()
    assert 20 <= len(entries) <= 30
    assert all(entry.email.endswith("@demo-jobcenter.dk") for entry in entries)
    assert len({entry.email for entry in entries}) == len(entries)
    assert len({entry.initials for entry in entries}) == len(entries)
    assert len({entry.rid for entry in entries}) == len(entries)
    assert sum(not entry.certificate_valid for entry in entries) == 2
    for entry in entries:
        assert check_rid(entry.rid) == entry.rid
        assert entry.phone.startswith("+45") and len(entry.phone) == 11
        assert directory.lookup(entry.email) is entry


def test_r_1_2_1_demo_directory_reads_danish_letters() -> None:
    names = {entry.name for entry in FileDirectory().entries()}
    assert any(ch in name for name in names for ch in "æøåÆØÅ")


def test_file_is_read_once(tmp_path: Path) -> None:
    path = write_directory(tmp_path, [PERSON])
    directory = FileDirectory(path)
    assert directory.lookup(PERSON["email"]) is not None
    path.unlink()
    assert directory.lookup(PERSON["email"]) is not None


@pytest.mark.parametrize(("people", "complaint"), [
    ([{**PERSON, "email": "anna.holm"}], "e-mail"),
    ([{**PERSON, "rid": "ANH"}], "RID"),
    ([{**PERSON, "phone": "1234"}], "phone"),
    ([{**PERSON, "certificate_valid": "yes"}], "certificate_valid"),
    ([{**PERSON, "name": " "}], "name and initials"),
    ([{k: v for k, v in PERSON.items() if k != "initials"}], "initials"),
    ([PERSON, {**PERSON, "email": "ANNA.HOLM@demo-jobcenter.dk"}], "twice"),
])
def test_malformed_directory_file_is_a_set_up_error(tmp_path: Path, people: list[dict],
                                                    complaint: str) -> None:
    directory = FileDirectory(write_directory(tmp_path, people))
    with pytest.raises(DirectoryFileError, match=complaint):
        directory.lookup(PERSON["email"])


@pytest.mark.parametrize("content", ["", "{", "[]", '{"persons": []}', '{"people": 3}'])
def test_unreadable_directory_file_is_a_set_up_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "directory.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DirectoryFileError):
        FileDirectory(path).lookup(PERSON["email"])


def test_missing_directory_file_is_a_set_up_error(tmp_path: Path) -> None:
    with pytest.raises(DirectoryFileError):
        FileDirectory(tmp_path / "missing.json").lookup(PERSON["email"])
