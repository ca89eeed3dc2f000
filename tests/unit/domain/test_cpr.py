"""CPR numbers: normalising, masking, birth dates, demo numbers and log redaction."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from stdnum.dk import cpr as stdnum_cpr

from webapp.domain import cpr
from webapp.domain.cpr import (
    CprRedactingFilter,
    birth_date,
    format_cpr,
    mask_cpr,
    normalise_cpr,
    redact_cprs,
)
from webapp.domain.errors import DomainError

TODAY = date(2027, 3, 1)


@pytest.mark.parametrize(("text", "digits"), [
    ("010190-1234", "0101901234"),
    ("0101901234", "0101901234"),
    (" 010190-1234 ", "0101901234"),
    ("010190 1234", "0101901234"),
    ("010190 - 1234", "0101901234"),
    ("3112991235", "3112991235"),
    # Fails modulus 11: numbers issued since 2007 need not pass it.
    ("2110625628", "2110625628"),
    ("290200-4321", "2902004321"),  # 29 Feb 2000 (seventh digit 4, year < 37)
])
def test_normalise_cpr_accepts_the_usual_forms(text: str, digits: str) -> None:
    assert normalise_cpr(text, today=TODAY) == digits


@pytest.mark.parametrize(("text", "code"), [
    ("", "cpr_missing"),
    ("   ", "cpr_missing"),
    (None, "cpr_missing"),
    ("010190-123", "cpr_length"),
    ("01019012345", "cpr_length"),
    ("0101901", "cpr_length"),
    ("010190-12345", "cpr_length"),
    ("01019-01234", "cpr_format"),
    ("0101-901234", "cpr_format"),
    ("010190--1234", "cpr_format"),
    ("010190/1234", "cpr_format"),
    ("010190.1234", "cpr_format"),
    ("O10190-1234", "cpr_format"),  # letter O for zero
    ("01019O-1234", "cpr_format"),
    ("abcdefghij", "cpr_format"),
    ("٠١٠١٩٠١٢٣٤", "cpr_format"),  # Arabic-Indic digits
    ("320190-1234", "cpr_date"),
    ("001290-1234", "cpr_date"),
    ("011390-1234", "cpr_date"),
    ("010090-1234", "cpr_date"),
    ("290201-1234", "cpr_date"),  # 2001 is no leap year
    ("010130-4234", "cpr_future"),  # seventh digit 4, year 30: born 2030
    ("020327-4234", "cpr_future"),  # the day after TODAY
])
def test_normalise_cpr_refuses_what_people_mistype(text: str, code: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_cpr(text, today=TODAY)
    assert info.value.field == "cpr"
    assert info.value.code == code
    assert info.value.message_da and info.value.message_en


def test_normalise_cpr_accepts_a_birth_today() -> None:
    assert normalise_cpr("010327-4234", today=TODAY) == "0103274234"


def test_cpr_messages_are_specific() -> None:
    with pytest.raises(DomainError) as info:
        normalise_cpr("010190-123", today=TODAY)
    assert info.value.message_da == (
        "Et CPR-nummer har 10 cifre; du har skrevet 9. Skriv fx 010190-1234.")
    with pytest.raises(DomainError) as info:
        normalise_cpr("320190-1234", today=TODAY)
    assert "320190" in info.value.message_da and "ikke en gyldig dato" in info.value.message_da


@pytest.mark.parametrize(("number", "born"), [
    ("0101901234", date(1990, 1, 1)),
    ("010190-4234", date(1990, 1, 1)),
    ("0101104234", date(2010, 1, 1)),
    ("0101105234", date(2010, 1, 1)),
    ("0101605234", date(1860, 1, 1)),
    ("2902009876", date(2000, 2, 29)),
])
def test_birth_date_reads_the_century_from_the_seventh_digit(number: str, born: date) -> None:
    assert birth_date(number) == born


@pytest.mark.parametrize("number", ["", "12345", "3201901234", "abcdefghij"])
def test_birth_date_of_a_bad_number_is_a_domain_error(number: str) -> None:
    with pytest.raises(DomainError) as info:
        birth_date(number)
    assert info.value.field == "cpr"


@pytest.mark.parametrize("number", ["0101901234", "010190-1234", " 010190-1234"])
def test_mask_cpr_keeps_the_birth_date_only(number: str) -> None:
    assert mask_cpr(number) == "010190-****"


def test_format_cpr() -> None:
    assert format_cpr("0101901234") == "010190-1234"


@pytest.mark.parametrize("n", [0, 1, 25, 500])
def test_test_cprs_are_valid_distinct_and_deterministic(n: int) -> None:
    numbers = cpr.test_cprs(n, seed=7)
    assert len(numbers) == n
    assert len(set(numbers)) == n
    assert numbers == cpr.test_cprs(n, seed=7)
    for number in numbers:
        assert normalise_cpr(number, today=TODAY) == number
        assert stdnum_cpr.is_valid(number)
        assert stdnum_cpr.checksum(number) != 0
        assert date(1960, 1, 1) <= birth_date(number) <= date(1999, 12, 31)


def test_test_cprs_differ_by_seed() -> None:
    assert cpr.test_cprs(10, seed=1) != cpr.test_cprs(10, seed=2)
    assert cpr.test_cprs(10, seed=1)[:5] == cpr.test_cprs(5, seed=1)


def test_test_cprs_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        cpr.test_cprs(-1)


@pytest.mark.parametrize(("text", "redacted"), [
    ("citizen 0101901234 booked", "citizen 010190-**** booked"),
    ("citizen 010190-1234 booked", "citizen 010190-**** booked"),
    ("citizen 010190 1234 booked", "citizen 010190-**** booked"),
    ("cpr=0101901234;", "cpr=010190-****;"),
    ("a 0101901234 and b 3112991235", "a 010190-**** and b 311299-****"),
    ("epoch 1700000000", "epoch 1700000000"),  # month 00: not a date
    ("order 123456789012", "order 123456789012"),  # 12 digits
    ("phone +4520304050", "phone +4520304050"),
    ("nothing here", "nothing here"),
])
def test_redact_cprs(text: str, redacted: str) -> None:
    assert redact_cprs(text) == redacted


def _capture(logger_name: str) -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    logger = logging.getLogger(logger_name)
    logger.handlers.clear()
    handler = ListHandler()
    handler.addFilter(CprRedactingFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, lines


@pytest.mark.parametrize(("msg", "args", "expected"), [
    ("booked %s", ("0101901234",), "booked 010190-****"),
    ("booked %s for %s", ("010190-1234", "Anna"), "booked 010190-**** for Anna"),
    ("booked 0101901234", (), "booked 010190-****"),
    ("booked %(cpr)s", ({"cpr": "0101901234"},), "booked 010190-****"),
    ("id %d", (3112991235,), "id 311299-****"),
    ("100%% of %s", ("0101901234",), "100% of 010190-****"),
])
def test_cpr_redacting_filter_masks_message_and_args(
        msg: str, args: tuple, expected: str) -> None:
    logger, lines = _capture("test.cpr.args")
    logger.info(msg, *args)
    assert lines == [expected]


def test_cpr_redacting_filter_masks_exception_text() -> None:
    logger, lines = _capture("test.cpr.exc")
    try:
        raise ValueError("unknown citizen 0101901234")
    except ValueError:
        logger.exception("lookup failed for %s", "0101901234")
    assert "0101901234" not in lines[0]
    assert "lookup failed for 010190-****" in lines[0]
    assert "unknown citizen 010190-****" in lines[0]


def test_cpr_redacting_filter_on_a_logger_and_handler_twice_is_harmless() -> None:
    logger, lines = _capture("test.cpr.twice")
    logger.addFilter(CprRedactingFilter())
    try:
        logger.info("%s %s", "0101901234", "50%")
    finally:
        logger.filters.clear()
    assert lines == ["010190-**** 50%"]


def test_cpr_redacting_filter_survives_a_broken_format() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s %s 0101901234",
                               ("0101901234",), None)
    assert CprRedactingFilter().filter(record) is True
    assert "0101901234" not in str(record.msg)
    assert record.args == ("010190-****",)
