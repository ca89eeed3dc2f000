"""Which national user directory the caseworker look-up asks (R-1.2.1), chosen by PLANNER_DIRECTORY.

- `file`: the file-backed directory (`webapp.domain.directory.FileDirectory`, the JSON file
  PLANNER_DIRECTORY_FILE), for the demo and the tests.
- `http`: a directory service answering JSON over HTTP(S) at PLANNER_DIRECTORY_URL, for
  example a small gateway in front of AM-portalen's look-up. The planner POSTs
  `{"email": "<address>"}` (the address stays out of URLs and access logs) and expects
  200 with `{"email", "name", "rid", "phone", "initials", "certificate_valid"}`, or 404
  when the directory holds no such person. Anything else reads as "the directory cannot
  be asked" (`DirectoryUnavailable`), never as "unknown".
- `none`: no directory. Caseworkers that exist can be edited; no new one can be created,
  and the page says so.

No LDAP library is installed, so there is no LDAP adapter; one answers `lookup(email)` as
the `Directory` protocol says and is added here by name.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from flask import current_app

from webapp.config import setting
from webapp.domain.contact import check_rid, normalise_email, normalise_phone
from webapp.domain.directory import Directory, DirectoryEntry, FileDirectory
from webapp.domain.errors import DomainError

TIMEOUT_SECONDS = 10
MAX_BYTES = 64 * 1024


class DirectoryUnavailable(DomainError):
    """The directory could not be asked (network, status, an answer that is no person)."""

    code = "directory_unavailable"

    def __init__(self) -> None:
        super().__init__("AM-portalen svarer ikke lige nu. Prøv igen om lidt; vejlederen er ikke oprettet.",
                         "The national user directory does not answer just now. Try again "
                         "shortly; the caseworker has not been created.", field="email")


class HttpDirectory:
    """The directory as a JSON service over HTTP(S) (see the module's text for the exchange)."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url, self.timeout = url, timeout

    def lookup(self, email: str) -> DirectoryEntry | None:
        body = json.dumps({"email": (email or "").strip().lower()}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the operator's URL
                answer = response.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                return None
            raise DirectoryUnavailable() from error
        except (OSError, ValueError) as error:
            raise DirectoryUnavailable() from error
        if len(answer) > MAX_BYTES:
            raise DirectoryUnavailable()
        try:
            return _entry(json.loads(answer))
        except (ValueError, KeyError, TypeError, DomainError) as error:
            raise DirectoryUnavailable() from error


def _entry(person: Any) -> DirectoryEntry:
    if not isinstance(person, dict) or not isinstance(person["certificate_valid"], bool):
        raise TypeError("not a person")
    entry = DirectoryEntry(email=normalise_email(person["email"]), name=str(person["name"]).strip(),
                           rid=check_rid(str(person["rid"])),
                           phone=normalise_phone(str(person["phone"])),
                           initials=str(person["initials"]).strip(),
                           certificate_valid=person["certificate_valid"])
    if not entry.name or not entry.initials:
        raise ValueError("name and initials are required")
    return entry


ADAPTERS = ("file", "http", "none")


def get_directory() -> Directory | None:
    """The directory PLANNER_DIRECTORY names, kept for the life of the app; None for `none`."""
    kind = setting("PLANNER_DIRECTORY")
    if kind == "none":
        return None
    key = (kind, setting("PLANNER_DIRECTORY_FILE") if kind == "file" else setting("PLANNER_DIRECTORY_URL"))
    cache = current_app.extensions.setdefault("planner_directory", {})
    if key not in cache:
        cache[key] = FileDirectory(key[1]) if kind == "file" else HttpDirectory(key[1])
    return cache[key]
