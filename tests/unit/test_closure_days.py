"""Seeded reference data: national closure days (R-1.3.1) and central lists (R-1.6.1, R-1.6.2)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from webapp.administration.reference_data import (
    CONTACT_GROUPS,
    CONTACT_GROUPS_BY_CODE,
    CONVERSATION_TYPES,
    CONVERSATION_TYPES_BY_CODE,
    HOLDING_FORMS,
    HOLDING_FORMS_BY_CODE,
)
from webapp.domain.closure_days import national_closure_days

CLOSURE_DAYS_2027 = [
    (date(2027, 1, 1), "Nytårsdag"),
    (date(2027, 3, 25), "Skærtorsdag"),
    (date(2027, 3, 26), "Langfredag"),
    (date(2027, 3, 28), "Påskedag"),
    (date(2027, 3, 29), "Anden påskedag"),
    (date(2027, 5, 6), "Kristi himmelfartsdag"),
    (date(2027, 5, 16), "Pinsedag"),
    (date(2027, 5, 17), "Anden pinsedag"),
    (date(2027, 6, 5), "Grundlovsdag"),
    (date(2027, 12, 24), "Juleaftensdag"),
    (date(2027, 12, 25), "Juledag"),
    (date(2027, 12, 26), "Anden juledag"),
    (date(2027, 12, 31), "Nytårsaften"),
]


def test_r_1_3_1_closure_days_2027_exactly() -> None:
    assert national_closure_days(2027, 2027) == CLOSURE_DAYS_2027


def test_r_1_3_1_closure_days_2027_with_may_first() -> None:
    expected = sorted([*CLOSURE_DAYS_2027, (date(2027, 5, 1), "Arbejdernes kampdag")])
    assert national_closure_days(2027, 2027, include_may_first=True) == expected


def test_r_1_3_1_great_prayer_day_is_gone_from_2024() -> None:
    names_2023 = {name for _, name in national_closure_days(2023, 2023)}
    names_2024 = {name for _, name in national_closure_days(2024, 2024)}
    assert "Store bededag" in names_2023
    assert "Store bededag" not in names_2024


def test_r_1_3_1_ascension_on_may_first_is_kept_without_may_first() -> None:
    # In 2008 Ascension Day fell on 1 May.
    days = dict(national_closure_days(2008, 2008))
    assert days[date(2008, 5, 1)] == "Kristi himmelfartsdag"
    with_may = dict(national_closure_days(2008, 2008, include_may_first=True))
    assert with_may[date(2008, 5, 1)] == "Kristi himmelfartsdag; Arbejdernes kampdag"


def test_r_1_3_1_two_holidays_on_one_day_are_one_closure_day() -> None:
    # In 2028 Whit Monday falls on Constitution Day.
    days = national_closure_days(2028, 2028)
    assert len(days) == 12
    assert dict(days)[date(2028, 6, 5)] == "Anden pinsedag; Grundlovsdag"


@pytest.mark.parametrize(("year", "easter_sunday"), [
    (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)),
    (2028, date(2028, 4, 16)),
    (2030, date(2030, 4, 21)),
])
def test_r_1_3_1_easter_comes_from_the_library(year: int, easter_sunday: date) -> None:
    assert (easter_sunday, "Påskedag") in national_closure_days(year, year)


def test_r_1_3_1_a_range_of_years_is_sorted_and_complete() -> None:
    days = national_closure_days(2026, 2030)
    assert [d for d, _ in days] == sorted({d for d, _ in days})
    assert {d.year for d, _ in days} == set(range(2026, 2031))
    for year in range(2026, 2031):
        in_year = [(d, n) for d, n in days if d.year == year]
        assert in_year == national_closure_days(year, year)
        assert "Grundlovsdag" in dict(in_year)[date(year, 6, 5)]
        assert all(d != date(year, 5, 1) for d, _ in in_year)


def test_r_1_3_1_years_in_the_wrong_order_are_refused() -> None:
    with pytest.raises(ValueError):
        national_closure_days(2028, 2027)


def test_r_1_6_1_the_eleven_conversation_types() -> None:
    assert [(t.code, t.name_da) for t in CONVERSATION_TYPES] == [
        (4, "Opfølgningssamtale"),
        (7, "Jobsamtale"),
        (8, "Henvisning"),
        (9, "Informationsmøde"),
        (10, "CV-samtale"),
        (11, "Formidlingssamtale"),
        (12, "Anden samtale"),
        (13, "Informationsmøde uden mødepligt"),
        (15, "Rådighedssamtale"),
        (17, "Fælles jobsamtale med a-kasse"),
        (19, "Fælles jobsamtale med dagpengemodtager"),
    ]
    assert set(CONVERSATION_TYPES_BY_CODE) == {4, 7, 8, 9, 10, 11, 12, 13, 15, 17, 19}
    assert all(t.name_en for t in CONVERSATION_TYPES)


@pytest.mark.parametrize(("refs", "by_code", "danish"), [
    (HOLDING_FORMS, HOLDING_FORMS_BY_CODE,
     ["Personligt fremmøde", "Telefonisk", "Video (digitalt)", "Brev"]),
    (CONTACT_GROUPS, CONTACT_GROUPS_BY_CODE,
     ["Dagpengemodtager", "Jobparat kontanthjælpsmodtager",
      "Aktivitetsparat kontanthjælpsmodtager", "Sygedagpengemodtager",
      "Jobafklaringsforløb", "Ressourceforløb", "Uddannelsesparat"]),
])
def test_r_1_6_2_holding_forms_and_contact_groups(refs: tuple, by_code: dict,
                                                  danish: list[str]) -> None:
    assert [r.name_da for r in refs] == danish
    assert len(by_code) == len(refs)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", r.code) for r in refs)
    assert all(r.name_en for r in refs)


def test_every_stored_vocabulary_has_a_danish_label():
    """The screens never show a raw stored value such as BOOKED (SPEC: Danish UI)."""
    from webapp.admin.labels import ENUM_LABELS_DA
    from webapp.models import enums
    for cls in (enums.Role, enums.SyncMode, enums.MembershipState, enums.MeetingForm,
                enums.DeadlineMode, enums.Distribution, enums.LetterActivity,
                enums.CallInStatus, enums.BookingStatus, enums.BookingOrigin,
                enums.DeadlineStatus, enums.OutboxStatus, enums.LogLevel, enums.AuditEvent):
        assert set(cls) <= set(ENUM_LABELS_DA), cls
