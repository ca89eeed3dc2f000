"""Lists as CSV and Excel files (R-6.11): Danish dates, no CPR numbers in clear, no formulas.

One way to turn a list into a file, for the admin lists and the workspace's waiting list alike.
A cell is written as text the way the screens show it; a text a spreadsheet would read as a
formula is made plain text (OWASP "CSV injection"), and a CPR-looking number is masked, so a
file on a shared drive holds no more than the screen it came from.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import tablib

from webapp.domain.cpr import redact_cprs
from webapp.domain.errors import DomainError

# The formats offered, by the name in the URL.
EXPORT_TYPE_UNKNOWN = DomainError.of("bad_export_type", code="bad_export_type")
EXPORT_TYPES = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and carriage
# return, as the start of one after trimming).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Danish spreadsheets split CSV on semicolons; the byte order mark makes Excel read UTF-8.
CSV_DELIMITER = ";"
CSV_BOM = "\ufeff"
# The longest text a cell holds in Excel; longer is cut rather than refused by the file.
CELL_MAX = 32_767


def plain_cell(value: Any) -> str:
    """The text of one cell: dates dd.mm.yyyy, Ja/Nej, lists joined, CPR numbers masked,
    and a leading formula character neutralised with an apostrophe."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "Ja" if value else "Nej"
    elif isinstance(value, datetime):
        text = value.strftime("%d.%m.%Y %H:%M")
    elif isinstance(value, date):
        text = value.strftime("%d.%m.%Y")
    elif isinstance(value, enum.Enum):
        text = str(value.value)
    elif isinstance(value, list | tuple | set | frozenset):
        text = ", ".join(plain_cell(item) for item in value)
    else:
        text = str(value)
    text = redact_cprs(text)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return text[:CELL_MAX]


def render(export_type: str, headers: Sequence[str], rows: Iterable[Sequence[Any]],
           title: str = "Eksport") -> bytes:
    """The file of `export_type` ("csv" or "xlsx") with one header row and the given rows."""
    if export_type not in EXPORT_TYPES:
        raise ValueError(f"unknown export type {export_type!r}")
    # A sheet's name is at most 31 characters, none of them []:*?/ or a backslash.
    sheet = "".join(ch for ch in str(title) if ch not in "[]:*?/\\")[:31] or "Eksport"
    dataset = tablib.Dataset(headers=[plain_cell(h) for h in headers], title=sheet)
    for row in rows:
        dataset.append([plain_cell(value) for value in row])
    if export_type == "csv":
        text = dataset.export("csv", delimiter=CSV_DELIMITER, lineterminator="\r\n")
        return (CSV_BOM + text).encode("utf-8")
    return dataset.export("xlsx")
