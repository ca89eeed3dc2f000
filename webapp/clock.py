"""The one place that reads the wall clock; everything else takes `now`/`today` as arguments."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Copenhagen")


def now_local() -> datetime:
    """Europe/Copenhagen wall-clock time, naive, to the second (R-2.3)."""
    return datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def today_local() -> date:
    return now_local().date()
