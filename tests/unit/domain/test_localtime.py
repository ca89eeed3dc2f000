"""Wall-clock times on the daylight-saving nights: classified, refused or read by the rule (R-7.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.errors import DomainError
from webapp.domain.localtime import (WallClock, check_meeting_times, check_wall_clock, classify,
                                     meeting_utc)

SPRING = datetime(2028, 3, 26)     # last Sunday of March: 02:00-03:00 does not exist
AUTUMN = datetime(2027, 10, 31)    # last Sunday of October: 02:00-03:00 happens twice


def at(night: datetime, hh: int, mm: int = 0, *, fold: int = 0) -> datetime:
    return night.replace(hour=hh, minute=mm, fold=fold)


@pytest.mark.parametrize("moment, kind", [
    (at(SPRING, 1, 59), WallClock.NORMAL),
    (at(SPRING, 2, 0), WallClock.NONEXISTENT),
    (at(SPRING, 2, 30), WallClock.NONEXISTENT),
    (at(SPRING, 2, 59), WallClock.NONEXISTENT),
    (at(SPRING, 3, 0), WallClock.NORMAL),
    (at(AUTUMN, 1, 59), WallClock.NORMAL),
    (at(AUTUMN, 2, 0), WallClock.AMBIGUOUS),
    (at(AUTUMN, 2, 30), WallClock.AMBIGUOUS),
    (at(AUTUMN, 2, 30, fold=1), WallClock.AMBIGUOUS),
    (at(AUTUMN, 3, 0), WallClock.NORMAL),
    (datetime(2027, 7, 1, 2, 30), WallClock.NORMAL),
    (datetime(2027, 1, 1, 2, 30), WallClock.NORMAL),
])
def test_R_7_7_classify_finds_the_missing_and_the_doubled_hour(moment, kind):
    assert classify(moment) is kind


def test_R_7_7_a_time_that_does_not_exist_is_refused_in_danish_and_english():
    with pytest.raises(DomainError) as caught:
        check_wall_clock(at(SPRING, 2, 30), field="starts_at")
    error = caught.value
    assert error.code == "time_does_not_exist" and error.field == "starts_at"
    assert "26.03.2028 kl. 02:30 findes ikke på grund af overgang til sommertid" in error.message_da
    assert "2028-03-26 02:30 does not exist" in error.message_en


def test_R_7_7_a_doubled_time_is_its_first_occurrence_and_the_second_is_refused():
    check_wall_clock(at(AUTUMN, 2, 30))           # fold=0: the first, summer time
    with pytest.raises(DomainError) as caught:
        check_wall_clock(at(AUTUMN, 2, 30, fold=1))
    assert caught.value.code == "time_second_occurrence"
    assert "findes to gange" in caught.value.message_da
    start, _ = meeting_utc(at(AUTUMN, 2, 30), at(AUTUMN, 3, 0))
    assert start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize("start, minutes", [
    (at(SPRING, 2, 0), 30),      # starts in the gap
    (at(SPRING, 1, 45), 30),     # ends at 02:15
    (at(SPRING, 1, 30), 90),     # ends at 03:00 but runs through the gap
    (at(SPRING, 1, 0), 180),     # runs through the gap
])
def test_R_7_7_a_meeting_touching_the_missing_hour_is_refused(start, minutes):
    with pytest.raises(DomainError) as caught:
        check_meeting_times(start, start + timedelta(minutes=minutes))
    assert caught.value.code == "time_does_not_exist"


@pytest.mark.parametrize("start, minutes", [
    (at(SPRING, 1, 0), 60),      # ends as the clocks jump
    (at(SPRING, 3, 0), 30),
    (at(AUTUMN, 1, 30), 120),    # through the doubled hour
    (at(AUTUMN, 2, 30), 30),
    (at(AUTUMN, 2, 0), 60),
])
def test_R_7_7_meetings_next_to_or_through_the_doubled_hour_are_allowed(start, minutes):
    check_meeting_times(start, start + timedelta(minutes=minutes))


@pytest.mark.parametrize("start, minutes, utc_start", [
    (at(AUTUMN, 2, 30), 30, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    (at(AUTUMN, 1, 30), 120, datetime(2027, 10, 30, 23, 30, tzinfo=UTC)),
    (at(AUTUMN, 2, 45), 30, datetime(2027, 10, 31, 0, 45, tzinfo=UTC)),
    (at(SPRING, 1, 0), 60, datetime(2028, 3, 26, 0, 0, tzinfo=UTC)),
    (at(SPRING, 3, 0), 30, datetime(2028, 3, 26, 1, 0, tzinfo=UTC)),
    # A row stored before the rule: read with the offset before the jump, 03:30 summer time.
    (at(SPRING, 2, 30), 30, datetime(2028, 3, 26, 1, 30, tzinfo=UTC)),
    (datetime(2027, 6, 1, 9, 0), 45, datetime(2027, 6, 1, 7, 0, tzinfo=UTC)),
])
def test_R_7_7_meeting_utc_keeps_the_exact_length_and_never_ends_before_it_starts(
        start, minutes, utc_start):
    starts, ends = meeting_utc(start, start + timedelta(minutes=minutes))
    assert starts == utc_start
    assert ends - starts == timedelta(minutes=minutes)
