"""The citizen register (R-6.1) as a pluggable adapter, plus a file-backed one for demo and tests.

`PLANNER_CITIZEN_REGISTER` names the adapter as "module:Class"; the class is made with no
arguments and answers `lookup(cpr)`. The planner asks the register only for a CPR number it
does not know yet; from then on the citizen lives in the database, and the register remains
the source of name and address.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from webapp.config import setting

DEMO_REGISTER_JSON = Path(__file__).resolve().parents[2] / "seed" / "data" / "citizens.json"
FILE_REGISTER = "webapp.citizens.register:FileCitizenRegister"


@dataclass(frozen=True)
class RegisterEntry:
    """What the register knows of a citizen. Contact details and the contact group only
    where the register holds them; the job centre may correct contact details later."""

    cpr: str  # 10 digits
    name: str
    address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    contact_group: str | None = None  # a ContactGroup code


@runtime_checkable
class CitizenRegister(Protocol):
    """The interface a citizen register answers, e.g. an adapter for the national CPR service.

    An adapter for the CPR service (CPR-registerets opslagsservice, "PNR-opslag" through
    Serviceplatformen) turns its answer into a `RegisterEntry`: the name as "first middle
    last", the address as street, number, floor and door on one line, the postal code and
    city; e-mail and phone are not held by CPR and stay None. It must:

    - be made with no arguments (settings of its own come from `PLANNER_*` settings or its
      own configuration file), and be safe to keep for the life of a process;
    - answer `lookup(cpr)` with the entry, or None when the register holds no person with
      that number (also for a person who is dead, emigrated or has name and address
      protection, which the planner may not contact by letter);
    - raise `RegisterUnavailable` when the register cannot answer (network, certificate,
      time-out), never None: "unknown" and "could not ask" are different answers;
    - never log the CPR number in clear.
    """

    def lookup(self, cpr: str) -> RegisterEntry | None:
        """The person with this CPR number (10 digits, already checked), or None."""
        ...


class RegisterUnavailable(RuntimeError):
    """The register could not be asked; the caller refuses and saves nothing."""


class RegisterFileError(ValueError):
    """The register file is malformed: a set-up fault, not a user's input error."""


class FileCitizenRegister:
    """A register read from a JSON file: {"citizens": [{cpr, name, address, postal_code,
    city, email, phone, contact_group}, ...]}. The file is `PLANNER_CITIZEN_REGISTER_FILE`
    (default seed/data/citizens.json), read on first use and kept."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path if path is not None else setting("PLANNER_CITIZEN_REGISTER_FILE"))
        self._entries: dict[str, RegisterEntry] | None = None

    def lookup(self, cpr: str) -> RegisterEntry | None:
        return self._load().get(cpr)

    def entries(self) -> list[RegisterEntry]:
        """Everyone in the file, in file order."""
        return list(self._load().values())

    def _load(self) -> dict[str, RegisterEntry]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, RegisterEntry]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            people = document["citizens"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise RegisterFileError(f"{self.path}: cannot read citizen register: {exc}") from exc
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            raise RegisterFileError(f"{self.path}: 'citizens' must be a list of objects")
        entries: dict[str, RegisterEntry] = {}
        for index, person in enumerate(people):
            entry = _entry(person, f"{self.path}: citizen {index + 1}")
            if entry.cpr in entries:
                # Only the position: the file's CPR numbers are not for logs either.
                raise RegisterFileError(f"{self.path}: citizen {index + 1}: CPR number appears twice")
            entries[entry.cpr] = entry
        return entries


def _entry(person: dict, where: str) -> RegisterEntry:
    try:
        cpr = str(person["cpr"])
        name = str(person["name"]).strip()
        # Contact details as the register holds them: the job centre corrects them, not the file.
        entry = RegisterEntry(
            cpr=cpr, name=name, address=_optional(person, "address"),
            postal_code=_optional(person, "postal_code"), city=_optional(person, "city"),
            email=_optional(person, "email"), phone=_optional(person, "phone"),
            contact_group=_optional(person, "contact_group"))
    except (KeyError, TypeError) as exc:
        raise RegisterFileError(f"{where}: missing or bad field {exc}") from exc
    if len(cpr) != 10 or not cpr.isascii() or not cpr.isdigit():
        raise RegisterFileError(f"{where}: 'cpr' must be 10 digits")
    if not name:
        raise RegisterFileError(f"{where}: 'name' is required")
    return entry


def _optional(person: dict, key: str) -> str | None:
    value = person.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"'{key}' must be text")
    return value.strip() or None


_REGISTERS: dict[tuple[str, str], CitizenRegister] = {}


def citizen_register() -> CitizenRegister:
    """The configured register, made once per (adapter, file) and kept."""
    target = str(setting("PLANNER_CITIZEN_REGISTER")).strip()
    key = (target, str(setting("PLANNER_CITIZEN_REGISTER_FILE")))
    if key not in _REGISTERS:
        module_name, _, class_name = target.partition(":")
        register = getattr(importlib.import_module(module_name), class_name)()
        if not isinstance(register, CitizenRegister):
            raise TypeError(f"PLANNER_CITIZEN_REGISTER {target} has no lookup(cpr)")
        _REGISTERS[key] = register
    return _REGISTERS[key]
