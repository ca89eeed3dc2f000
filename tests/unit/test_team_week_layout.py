"""The team calendar's columns lay overlapping meetings side by side (R-8.5)."""

from __future__ import annotations

from datetime import datetime

import pytest

from webapp.calendar.team_week import Block, lay_out


def _block(start: str, end: str) -> Block:
    day = "2027-03-01T"
    return Block("booking", datetime.fromisoformat(day + start), datetime.fromisoformat(day + end))


def test_overlapping_meetings_share_the_column_in_lanes_R_8_5():
    """R-8.5: two meetings at one time each get half the column; a later one alone gets it all."""
    a, b, c, d = (_block("09:00", "10:00"), _block("09:30", "10:30"), _block("10:00", "11:00"),
                  _block("12:00", "12:30"))
    lay_out([d, c, b, a])
    assert [(x.lane, x.lanes) for x in (a, b, c, d)] == [(0, 2), (1, 2), (0, 2), (0, 1)]
    assert (a.left, a.width, b.left, b.width) == (0, 50, 50, 50)
    assert (d.left, d.width) == (0, 100)


def test_three_at_once_take_three_lanes_and_a_freed_lane_is_reused_R_8_5():
    blocks = [_block("09:00", "11:00"), _block("09:00", "09:30"), _block("09:15", "10:00"),
              _block("09:30", "10:00")]
    lay_out(blocks)
    assert [(x.lane, x.lanes) for x in blocks] == [(0, 3), (1, 3), (2, 3), (1, 3)]


@pytest.mark.parametrize("start, end, top, height", [
    ("07:00", "08:00", 0, 10),       # the first hour of ten
    ("16:30", "17:00", 95, 5),
    ("06:00", "07:30", 0, 5),        # begun before the rows: cut at the top
    ("18:00", "19:00", 98.333, 1.667),  # after the rows: a sliver at the bottom edge
])
def test_blocks_are_placed_in_percent_of_the_rows_R_8_5(start, end, top, height):
    block = _block(start, end)
    assert (block.top, block.height) == (top, height)
