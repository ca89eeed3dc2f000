"""The frozen clock the tests share: the test week's Monday, the Friday noon before it, and `at()`."""

from __future__ import annotations

from datetime import date, datetime, time

# MONDAY is a normal working day in a week without holidays; NOW is the Friday noon before it.
MONDAY = date(2027, 3, 1)
NOW = datetime(2027, 2, 26, 12, 0)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A naive local time on `day`, as the services take it."""
    return datetime.combine(day, time(hh, mm))
