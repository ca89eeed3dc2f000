"""The national user directory (R-1.2.1) as a pluggable adapter, plus a file-backed one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from webapp.domain.contact import check_rid, normalise_email, normalise_phone
from webapp.domain.errors import DomainError

DEMO_DIRECTORY_JSON = Path(__file__).resolve().parents[2] / "seed" / "data" / "directory.json"


@dataclass(frozen=True)
class DirectoryEntry:
    """What the directory knows of a person; RID, phone and initials stay editable."""

    email: str
    name: str
    rid: str
    phone: str  # E.164
    initials: str
    certificate_valid: bool


@runtime_checkable
class Directory(Protocol):
    def lookup(self, email: str) -> DirectoryEntry | None:
        """The person with this e-mail address, or None if the directory has none.

        A person whose certificate is not valid is returned all the same, with
        `certificate_valid=False`: refusing them is the caller's rule.
        """
        ...

    def search_name(self, text: str, limit: int = 20) -> list[DirectoryEntry]:
        """People whose name holds every word of `text`, whatever the case: of every job
        centre, for the directory has no job centres (manual §1.2.1)."""
        ...


class DirectoryFileError(ValueError):
    """The directory file is malformed: a set-up fault, not a user's input error."""


class FileDirectory:
    """A directory read from a JSON file: {"people": [{email, name, rid, phone,
    initials, certificate_valid}, ...]}. The file is read on first use and kept."""

    def __init__(self, path: Path | str = DEMO_DIRECTORY_JSON) -> None:
        self.path = Path(path)
        self._entries: dict[str, DirectoryEntry] | None = None

    def lookup(self, email: str) -> DirectoryEntry | None:
        return self._load().get(_key(email))

    def search_name(self, text: str, limit: int = 20) -> list[DirectoryEntry]:
        words = (text or "").casefold().split()
        if not words:
            return []
        found = [e for e in self._load().values() if all(w in e.name.casefold() for w in words)]
        return sorted(found, key=lambda e: (e.name.casefold(), e.email))[:limit]

    def entries(self) -> list[DirectoryEntry]:
        """Everyone in the file, in file order (for seeding demo data)."""
        return list(self._load().values())

    def _load(self) -> dict[str, DirectoryEntry]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, DirectoryEntry]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            people = document["people"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DirectoryFileError(f"{self.path}: cannot read directory: {exc}") from exc
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise DirectoryFileError(f"{self.path}: 'people' must be a list of objects")
        entries: dict[str, DirectoryEntry] = {}
        for index, person in enumerate(people):
            where = f"{self.path}: person {index + 1}"
            try:
                entry = DirectoryEntry(
                    email=normalise_email(person["email"]),
                    name=str(person["name"]).strip(),
                    rid=check_rid(str(person["rid"])),
                    phone=normalise_phone(str(person["phone"])),
                    initials=str(person["initials"]).strip(),
                    certificate_valid=_bool(person["certificate_valid"]),
                )
            except (KeyError, TypeError) as exc:
                raise DirectoryFileError(f"{where}: missing or bad field {exc}") from exc
            except DomainError as exc:
                raise DirectoryFileError(f"{where}: {exc.message_en}") from exc
            if not entry.name or not entry.initials:
                raise DirectoryFileError(f"{where}: name and initials are required")
            if entry.email in entries:
                raise DirectoryFileError(f"{where}: {entry.email} appears twice")
            entries[entry.email] = entry
        return entries


def _key(email: str) -> str:
    # Look-ups are by address, whatever the case or surrounding spaces typed.
    return (email or "").strip().lower()


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("certificate_valid must be true or false")
    return value
