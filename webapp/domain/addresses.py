"""Danish address rules: postal code to city, and upper-case house-number letters."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from webapp.domain.errors import DomainError

POSTAL_CODES_CSV = Path(__file__).resolve().parents[2] / "seed" / "data" / "postal_codes_dk.csv"

_POSTAL_CODE = re.compile(r"[0-9]{4}")

# A house number is 1-3 digits; its letter follows directly or after one space and
# stands alone (so "12 st." or "12 th" are floor/side words, not letters). Only the
# part before the first comma is searched: after it come floor and side ("2. tv.",
# "1 t.v."), where a lone letter means something else.
_LOWER_HOUSE_LETTER = re.compile(r"(?<!\d)(\d{1,3})[ ]?([a-zæøå])(?=$|[\s,\-])", re.ASCII)


class HouseLetterError(DomainError):
    """A house-number letter is lower case; `suggestion` holds the corrected address."""

    code = "house_letter_case"

    def __init__(self, address: str, suggestion: str) -> None:
        super().__init__(
            f"Husnummerets bogstav skal være stort: skriv »{suggestion}«.",
            f"The house-number letter must be upper case: write '{suggestion}'.",
            field="address")
        self.address = address
        self.suggestion = suggestion


@lru_cache(maxsize=4)
def load_postal_codes(path: Path = POSTAL_CODES_CSV) -> Mapping[str, str]:
    """Postal code -> city from the seeded CSV (read once per path)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {row["postal_code"]: row["city"] for row in csv.DictReader(handle)}
    return MappingProxyType(rows)


def normalise_postal_code(code: str) -> str:
    """The four digits of a Danish postal code; "DK-8000" and " 8000 " are accepted."""
    text = (code or "").strip()
    if text[:3].upper() in ("DK-", "DK "):
        text = text[3:].strip()
    if not text:
        raise DomainError("Skriv et postnummer (fire cifre, fx 8000).",
                          "Enter a postal code (four digits, e.g. 8000).",
                          field="postal_code", code="postal_code_missing")
    if not _POSTAL_CODE.fullmatch(text):
        raise DomainError(
            f"Postnummeret »{code.strip()}« er ugyldigt: et dansk postnummer er fire cifre, fx 8000.",
            f"The postal code '{code.strip()}' is invalid: a Danish postal code is four digits, "
            "e.g. 8000.",
            field="postal_code", code="postal_code_format")
    return text


def postal_city(code: str) -> str:
    """The city of a Danish postal code (R-1.1.3)."""
    digits = normalise_postal_code(code)
    city = load_postal_codes().get(digits)
    if city is None:
        raise DomainError(
            f"Postnummeret {digits} findes ikke. Tjek det, og skriv et dansk postnummer, fx 8000.",
            f"The postal code {digits} does not exist. Check it and enter a Danish postal code, "
            "e.g. 8000.",
            field="postal_code", code="postal_code_unknown")
    return city


def _first_segment(address: str) -> tuple[str, str]:
    head, sep, tail = address.partition(",")
    return head, sep + tail


def fix_house_letter(address: str) -> str:
    """The address with its house-number letter upper-cased: "12b" and "12 b" -> "12B"."""
    head, tail = _first_segment(address)
    fixed = _LOWER_HOUSE_LETTER.sub(lambda m: m.group(1) + m.group(2).upper(), head)
    return fixed + tail


def check_house_letter(address: str) -> None:
    """Refuse a lower-case house-number letter and offer the fix (R-1.1.2)."""
    if not address:
        return
    head, _ = _first_segment(address)
    if _LOWER_HOUSE_LETTER.search(head):
        raise HouseLetterError(address, fix_house_letter(address))
