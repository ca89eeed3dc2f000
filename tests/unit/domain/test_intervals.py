"""Interval algebra against a minute-by-minute model, plus fixed examples (R-2.1, R-2.2)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.domain.errors import DomainError
from webapp.domain.intervals import (
    clip,
    covers,
    intersect,
    intersect_all,
    normalise,
    subtract,
    total,
    union,
)

BASE = datetime(2027, 3, 27)
MINUTE = timedelta(minutes=1)


def at(minute: int) -> datetime:
    return BASE + minute * MINUTE


def iv(start: int, end: int) -> tuple[datetime, datetime]:
    return at(start), at(end)


def minutes_of(intervals) -> set[int]:
    """The model: the set of whole minutes an interval list covers."""
    out: set[int] = set()
    for start, end in intervals:
        out.update(range((start - BASE) // MINUTE, (end - BASE) // MINUTE))
    return out


def assert_normalised(intervals) -> None:
    for start, end in intervals:
        assert start < end
    for (_, prev_end), (next_start, _) in itertools.pairwise(intervals):
        assert prev_end < next_start, "touching or overlapping intervals must be merged"


intervals_st = st.lists(
    st.tuples(st.integers(0, 3000), st.integers(0, 400)).map(lambda p: iv(p[0], p[0] + p[1])),
    max_size=12,
)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(intervals_st)
def test_normalise_matches_model_r_2_1(intervals):
    result = normalise(intervals)
    assert_normalised(result)
    assert minutes_of(result) == minutes_of(intervals)
    assert normalise(result) == result


@FAST
@given(intervals_st, intervals_st, intervals_st)
def test_union_matches_model_r_2_1(a, b, c):
    result = union(a, b, c)
    assert_normalised(result)
    assert minutes_of(result) == minutes_of(a) | minutes_of(b) | minutes_of(c)


@FAST
@given(intervals_st, intervals_st)
def test_intersect_matches_model_r_2_2(a, b):
    result = intersect(a, b)
    assert_normalised(result)
    assert minutes_of(result) == minutes_of(a) & minutes_of(b)


@FAST
@given(st.lists(intervals_st, max_size=5))
def test_intersect_all_matches_model_r_2_2(lists):
    result = intersect_all(lists)
    assert_normalised(result)
    expected = set.intersection(*map(minutes_of, lists)) if lists else set()
    assert minutes_of(result) == expected


@FAST
@given(intervals_st, intervals_st)
def test_subtract_matches_model_r_2_1(a, b):
    result = subtract(a, b)
    assert_normalised(result)
    assert minutes_of(result) == minutes_of(a) - minutes_of(b)


@FAST
@given(intervals_st, st.integers(0, 3000), st.integers(0, 1000))
def test_clip_matches_model_r_2_1(a, start, length):
    result = clip(a, at(start), at(start + length))
    assert_normalised(result)
    assert minutes_of(result) == minutes_of(a) & set(range(start, start + length))


@FAST
@given(intervals_st)
def test_total_matches_model_r_2_1(a):
    assert total(a) == len(minutes_of(a)) * MINUTE


@FAST
@given(intervals_st, st.integers(0, 3000), st.integers(1, 300))
def test_covers_matches_model_r_2_1(a, start, length):
    free = normalise(a)
    expected = set(range(start, start + length)) <= minutes_of(free)
    assert covers(free, at(start), at(start + length)) is expected


def test_touching_intervals_merge_r_2_1():
    """R-2.1: [09:00, 10:00) and [10:00, 11:00) are one free stretch of two hours."""
    assert normalise([iv(60, 120), iv(0, 60)]) == [iv(0, 120)]


def test_empty_intervals_vanish_r_2_1():
    assert normalise([iv(5, 5), iv(7, 7)]) == []
    assert union() == []
    assert intersect_all([]) == []


def test_subtract_splits_and_spans_r_2_1():
    """R-2.1: one removal can split a piece, another can swallow several pieces."""
    base = [iv(0, 100), iv(200, 300), iv(400, 500)]
    assert subtract(base, [iv(10, 20), iv(250, 450)]) == [
        iv(0, 10), iv(20, 100), iv(200, 250), iv(450, 500)]


def test_covers_needs_one_interval_not_two_touching_ones_r_2_1():
    """R-2.1: a meeting may not straddle a gap, however small."""
    free = [iv(0, 60), iv(61, 120)]
    assert covers(free, at(0), at(60))
    assert not covers(free, at(30), at(90))
    assert not covers([], at(0), at(1))


@pytest.mark.parametrize("bad", [
    [(at(10), at(5))],
    [(at(0), at(5)), (at(10), at(9))],
])
def test_reversed_interval_is_rejected_r_2_1(bad):
    with pytest.raises(DomainError) as caught:
        normalise(bad)
    assert caught.value.code == "interval_reversed"
    assert caught.value.message_da and caught.value.message_en


def test_aware_interval_is_rejected_r_2_3():
    """R-2.3: aware datetimes belong at the edges, never inside the domain."""
    aware = datetime(2027, 3, 28, 9, tzinfo=UTC)
    with pytest.raises(DomainError) as caught:
        normalise([(aware, aware + MINUTE)])
    assert caught.value.code == "interval_aware"


def test_clip_rejects_reversed_window_r_2_1():
    with pytest.raises(DomainError):
        clip([iv(0, 10)], at(10), at(0))
