"""Addresses: postal code to city (R-1.1.3) and upper-case house letters (R-1.1.2)."""

from __future__ import annotations

import csv

import pytest

from webapp.domain.addresses import (
    POSTAL_CODES_CSV,
    HouseLetterError,
    check_house_letter,
    fix_house_letter,
    load_postal_codes,
    normalise_postal_code,
    postal_city,
)
from webapp.domain.errors import DomainError


def test_r_1_1_3_csv_has_every_danish_postal_code_once() -> None:
    with POSTAL_CODES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["postal_code", "city"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 1089
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    # Greenland (39xx) and the Faroe Islands (3 digits) are other postal territories.
    assert not [code for code in codes if code.startswith("39")]
    assert all(row[1].strip() == row[1] and row[1] for row in rows[1:])


@pytest.mark.parametrize(("code", "city"), [
    ("8000", "Aarhus C"),
    ("2100", "København Ø"),
    ("5000", "Odense C"),
    ("9000", "Aalborg"),
    ("1050", "København K"),
    ("3700", "Rønne"),
    ("2000", "Frederiksberg"),
    (" 8000 ", "Aarhus C"),
    ("DK-8000", "Aarhus C"),
])
def test_r_1_1_3_postal_city(code: str, city: str) -> None:
    assert postal_city(code) == city


def test_r_1_1_3_danish_letters_survive_the_csv() -> None:
    cities = set(load_postal_codes().values())
    assert {"København Ø", "Rønne", "Aabenraa", "Ærøskøbing"} <= cities
    assert any("å" in city for city in cities)


@pytest.mark.parametrize("code", ["9999", "0000", "1000", "3900", "0800"])
def test_r_1_1_3_unknown_postal_code_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as info:
        postal_city(code)
    assert info.value.field == "postal_code"
    assert info.value.code == "postal_code_unknown"
    assert f"Postnummeret {code} findes ikke." in info.value.message_da


@pytest.mark.parametrize("code", [
    "800", "80000", "8OOO", "8 000", "8000 Aarhus C", "Aarhus", "8000.0", "-8000", "٨٠٠٠",
    "DK-", "SE-8000",
])
def test_r_1_1_3_malformed_postal_code_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as info:
        postal_city(code)
    assert info.value.field == "postal_code"
    assert info.value.code in ("postal_code_format", "postal_code_missing")
    assert "fire cifre" in info.value.message_da


@pytest.mark.parametrize("code", ["", "   ", None])
def test_r_1_1_3_missing_postal_code_is_refused(code: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_postal_code(code)
    assert info.value.code == "postal_code_missing"
    assert info.value.field == "postal_code"


@pytest.mark.parametrize(("address", "fixed"), [
    ("Vestergade 12b", "Vestergade 12B"),
    ("Vestergade 12 b", "Vestergade 12B"),
    ("Vestergade 12b, 2. tv.", "Vestergade 12B, 2. tv."),
    ("Vestergade 12 b, st. th.", "Vestergade 12B, st. th."),
    ("Vestergade 12b st tv", "Vestergade 12B st tv"),
    ("Østergade 3æ", "Østergade 3Æ"),
    ("H.C. Andersens Boulevard 1a", "H.C. Andersens Boulevard 1A"),
    ("Vestergade 12b-14", "Vestergade 12B-14"),
])
def test_r_1_1_2_lower_case_house_letter_is_refused_with_the_fix(
        address: str, fixed: str) -> None:
    with pytest.raises(HouseLetterError) as info:
        check_house_letter(address)
    error = info.value
    assert isinstance(error, DomainError)
    assert error.field == "address"
    assert error.suggestion == fixed
    assert error.message_da == f"Husnummerets bogstav skal være stort: skriv »{fixed}«."
    assert fixed in error.message_en
    assert fix_house_letter(address) == fixed
    check_house_letter(fixed)


@pytest.mark.parametrize("address", [
    "Vestergade 12B",
    "Vestergade 12",
    "Vestergade 12B, 2. tv.",
    "Vestergade 12, 2. tv.",
    "Vestergade 12, st. th.",
    "Vestergade 12 st. th.",
    "Vestergade 12, 1 t.v.",
    "Vestergade 12, 1 tv",
    "Vestergade 12 2 tv",
    "Vestergade 12 B",
    "Vestergade 12-14",
    "Nørre Allé 3, 4. mf.",
    "",
])
def test_r_1_1_2_correct_addresses_pass_unchanged(address: str) -> None:
    check_house_letter(address)
    assert fix_house_letter(address) == address


def test_r_1_1_3_csv_matches_a_fresh_extraction() -> None:
    """The committed CSV is what seed/extract_postal_codes.py makes (needs its pin)."""
    pytest.importorskip("countrystatecity_postal_codes")
    from seed.extract_postal_codes import extract

    cities, notes = extract()
    assert notes == []
    assert dict(load_postal_codes()) == cities
