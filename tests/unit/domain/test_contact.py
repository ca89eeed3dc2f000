"""Contact fields: e-mail, phone (R-1.1.2), RID and FASIT GUID (R-1.2.2), time and date ranges."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from webapp.domain.contact import (
    check_date_range,
    check_guid,
    check_rid,
    check_time_range,
    display_phone,
    normalise_email,
    normalise_phone,
)
from webapp.domain.errors import DomainError


@pytest.mark.parametrize(("text", "email"), [
    ("anna.holm@demo-jobcenter.dk", "anna.holm@demo-jobcenter.dk"),
    ("  Anna.Holm@Demo-Jobcenter.DK ", "anna.holm@demo-jobcenter.dk"),
    ("jobcenter+team@kommune.dk", "jobcenter+team@kommune.dk"),
    ("søren@københavn.dk", "søren@københavn.dk"),
])
def test_r_1_1_2_normalise_email(text: str, email: str) -> None:
    assert normalise_email(text) == email


@pytest.mark.parametrize(("text", "hint"), [
    ("anna.holm", "mangler et @"),
    ("anna.holm.demo-jobcenter.dk", "mangler et @"),
    ("anna@@demo-jobcenter.dk", "kun have ét @"),
    ("anna@holm@demo-jobcenter.dk", "kun have ét @"),
    ("anna holm@demo-jobcenter.dk", "mellemrum"),
    ("anna@demo-jobcenter", "punktum"),
    ("anna@localhost", "punktum"),
    ("@demo-jobcenter.dk", "før @"),
    ("anna@", "efter @"),
    ("anna..holm@demo-jobcenter.dk", "to punktummer"),
    ("anna@demo-jobcenter..dk", "to punktummer"),
    ("anna@demo_jobcenter.dk", "skriv den som"),
    ("anna@-demo.dk", "skriv den som"),
])
def test_r_1_1_2_bad_email_is_refused_in_danish(text: str, hint: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_email(text)
    assert info.value.field == "email"
    assert info.value.code == "email_invalid"
    assert info.value.message_da.startswith(f"E-mailadressen »{text.strip()}« er ikke gyldig")
    assert hint in info.value.message_da
    assert text.strip() in info.value.message_en


@pytest.mark.parametrize("text", ["", "  ", None])
def test_missing_email_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_email(text)
    assert (info.value.field, info.value.code) == ("email", "email_missing")


@pytest.mark.parametrize(("text", "e164"), [
    ("20304050", "+4520304050"),
    ("20 30 40 50", "+4520304050"),
    ("2030 4050", "+4520304050"),
    ("+45 20 30 40 50", "+4520304050"),
    ("+4520304050", "+4520304050"),
    ("0045 20304050", "+4520304050"),
    ("(+45) 20-30-40-50", "+4520304050"),
    ("33 12 34 56", "+4533123456"),
    ("70 20 30 40", "+4570203040"),
    ("+46 8 123 456 78", "+46812345678"),
])
def test_r_1_1_2_normalise_phone_to_e164(text: str, e164: str) -> None:
    assert normalise_phone(text) == e164


@pytest.mark.parametrize("text", [
    "1234",
    "2030405",
    "203040506",
    "12345678",  # Danish numbers do not start with 1
    "112",
    "abcdefgh",
    "tlf. ukendt",
    "+45",
    "+999 20304050",
    "20 30 40 50 60",
])
def test_r_1_1_2_bad_phone_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_phone(text)
    assert info.value.field == "phone"
    assert info.value.code == "phone_invalid"
    assert f"Telefonnummeret »{text}« er ikke gyldigt" in info.value.message_da


@pytest.mark.parametrize("text", ["", "   ", None])
def test_missing_phone_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        normalise_phone(text)
    assert (info.value.field, info.value.code) == ("phone", "phone_missing")


@pytest.mark.parametrize(("e164", "shown"), [
    ("+4520304050", "+45 20 30 40 50"),
    ("+46812345678", "+46 8 123 456 78"),
])
def test_display_phone(e164: str, shown: str) -> None:
    assert display_phone(e164) == shown


@pytest.mark.parametrize(("text", "rid"), [
    ("12345678", "12345678"),
    (" 12345678 ", "12345678"),
    ("RID:12345678", "12345678"),
    ("rid-12345678", "12345678"),
    ("RID 1234", "1234"),
    ("1266929285378", "1266929285378"),
    ("00012345", "00012345"),  # an identifier: leading zeros are kept
])
def test_r_1_2_2_check_rid(text: str, rid: str) -> None:
    assert check_rid(text) == rid


@pytest.mark.parametrize("text", [
    "", "   ", None, "123", "RID:", "RID:123", "ASH", "12 345 678", "1234-5678", "12345678a",
    "CVR:12345678-RID:87654321", "1" * 21, "١٢٣٤٥٦٧٨", "-12345678", "12345678.0",
])
def test_r_1_2_2_bad_rid_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        check_rid(text)
    assert (info.value.field, info.value.code) == ("rid", "rid_invalid")
    assert "RID-nummeret" in info.value.message_da


GUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


@pytest.mark.parametrize("text", [
    GUID,
    GUID.upper(),
    f"{{{GUID}}}",
    f"{{{GUID.upper()}}}",
    f"  {GUID}  ",
    "3F2504e0-4F89-11d3-9A0C-0305e82c3301",
])
def test_r_1_2_2_check_guid_normalises_to_lower_case(text: str) -> None:
    assert check_guid(text) == GUID


@pytest.mark.parametrize("text", [
    "", None, "   ",
    GUID.replace("-", ""),  # 32 hex digits without dashes
    f"{{{GUID}",  # brace not closed
    f"{GUID}}}",
    f"({GUID})",
    GUID[:-1],
    GUID + "0",
    GUID.replace("3f", "3g", 1),
    "3f2504e0-4f8911d3-9a0c-0305e82c3301",
    "3f2504e04-f89-11d3-9a0c-0305e82c3301",
    f"urn:uuid:{GUID}",
    "12345678",  # a RID in the GUID field
])
def test_r_1_2_2_bad_guid_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as info:
        check_guid(text)
    assert (info.value.field, info.value.code) == ("guid", "guid_invalid")
    assert "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" in info.value.message_da


@pytest.mark.parametrize(("start", "end"), [
    (time(7, 30), time(16, 0)),
    (time(0, 0), time(0, 1)),
    (datetime(2027, 3, 1, 9), datetime(2027, 3, 1, 9, 15)),
    (datetime(2027, 3, 1, 23), datetime(2027, 3, 2, 1)),
])
def test_time_range_with_end_after_start_passes(start: time, end: time) -> None:
    check_time_range(start, end, "end_time")


@pytest.mark.parametrize(("start", "end", "shown"), [
    (time(16, 0), time(7, 30), "(07:30) skal ligge efter starttidspunktet (16:00)"),
    (time(9, 0), time(9, 0), "(09:00) skal ligge efter starttidspunktet (09:00)"),
    (datetime(2027, 3, 2, 9), datetime(2027, 3, 1, 10),
     "(01.03.2027 10:00) skal ligge efter starttidspunktet (02.03.2027 09:00)"),
])
def test_time_range_with_end_not_after_start_is_refused(start: time, end: time,
                                                         shown: str) -> None:
    with pytest.raises(DomainError) as info:
        check_time_range(start, end, "end_time")
    assert info.value.field == "end_time"
    assert info.value.code == "time_range"
    assert info.value.message_da == f"Sluttidspunktet {shown}."


def test_time_range_field_defaults_to_end() -> None:
    with pytest.raises(DomainError) as info:
        check_time_range(time(10), time(9))
    assert info.value.field == "end"


@pytest.mark.parametrize(("start", "end"), [
    (date(2027, 3, 1), date(2027, 3, 1)),
    (date(2027, 3, 1), date(2027, 3, 2)),
    (date(2027, 12, 31), date(2028, 1, 1)),
])
def test_date_range_on_or_after_start_passes(start: date, end: date) -> None:
    check_date_range(start, end, "to_date")


def test_date_range_ending_before_start_is_refused() -> None:
    with pytest.raises(DomainError) as info:
        check_date_range(date(2027, 3, 2), date(2027, 3, 1), "to_date")
    assert (info.value.field, info.value.code) == ("to_date", "date_range")
    assert info.value.message_da == (
        "Slutdatoen (01.03.2027) må ikke ligge før startdatoen (02.03.2027).")
