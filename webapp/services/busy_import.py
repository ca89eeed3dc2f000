"""Two-way calendar sync: busy times imported from a caseworker's own calendar (R-5.2).

A caseworker in two-way mode gives the address of their calendar: a CalDAV calendar
collection, or an iCalendar feed (an address ending in `.ics`, or `webcal://`). The
import reads the events of the coming weeks, expands recurring ones, and replaces the
caseworker's busy times in that window; availability then subtracts them (R-2.1).
Only the time is kept: titles of private appointments are not the planner's business.
Events the planner sent itself (its own invitations) are skipped, and so are
transparent ("free") and cancelled events.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import icalendar
import recurring_ical_events
from sqlalchemy import delete, select

from webapp.domain.availability import COPENHAGEN
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import BusyTime, Caseworker, LogLevel, SyncMode, SystemLogEntry

log = logging.getLogger(__name__)

#: UIDs of the invitations the planner sends end with this; they are its own bookings.
OWN_UID_SUFFIX = "@planner"
HORIZON = timedelta(weeks=10)
TIMEOUT_SECONDS = 20

Fetcher = Callable[[str, datetime, datetime], list[bytes]]


@dataclass
class ImportResult:
    caseworkers: int = 0
    busy_times: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def is_ics_feed(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "webcal" or parts.path.lower().endswith(".ics")


def validate_calendar_url(url: str) -> str:
    """An http(s) or webcal address; the caseworker form calls this (R-5.2)."""
    url = (url or "").strip()
    if urlsplit(url).scheme not in ("http", "https", "webcal") or not urlsplit(url).netloc:
        raise DomainError("Angiv kalenderens adresse som http(s)://… eller webcal://….",
                          "Give the calendar's address as http(s)://… or webcal://….",
                          field="busy_calendar_url", code="calendar_url")
    return url


def _ics_fetch(url: str, start: datetime, end: datetime) -> list[bytes]:
    parts = urlsplit(url)
    if parts.scheme == "webcal":
        url = urlunsplit(("https",) + tuple(parts[1:]))
    request = urllib.request.Request(url, headers={"Accept": "text/calendar"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return [response.read()]


def _caldav_fetch(url: str, start: datetime, end: datetime) -> list[bytes]:
    import caldav  # imported here: only two-way caseworkers with CalDAV need it

    with caldav.DAVClient(url=url, timeout=TIMEOUT_SECONDS) as client:
        calendar = client.calendar(url=url)
        found = calendar.search(start=start.replace(tzinfo=COPENHAGEN),
                                end=end.replace(tzinfo=COPENHAGEN), event=True, expand=False)
        return [item.data.encode() if isinstance(item.data, str) else item.data for item in found]


def fetch_calendar(url: str, start: datetime, end: datetime) -> list[bytes]:
    """The raw iCalendar documents holding the events between start and end."""
    return (_ics_fetch if is_ics_feed(url) else _caldav_fetch)(url, start, end)


def _wall_clock(value: date | datetime) -> datetime:
    """Europe/Copenhagen wall-clock, naive; a date is a whole day (R-2.3)."""
    if not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time())
    if value.tzinfo is None:
        return value  # floating time: read as local time
    return value.astimezone(COPENHAGEN).replace(tzinfo=None)


def busy_intervals(documents: Iterable[bytes], start: datetime,
                   end: datetime) -> list[tuple[str, datetime, datetime]]:
    """(key, start, end) of every busy occurrence between start and end, recurrences expanded."""
    found: dict[str, tuple[str, datetime, datetime]] = {}
    for document in documents:
        calendar = icalendar.Calendar.from_ical(document)
        for event in recurring_ical_events.of(calendar).between(start, end):
            uid = str(event.get("UID", ""))
            if uid.endswith(OWN_UID_SUFFIX):
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            dtstart = event.decoded("DTSTART")
            dtend = event.decoded("DTEND") if "DTEND" in event else None
            if dtend is None:
                dtend = dtstart + (event.decoded("DURATION") if "DURATION" in event
                                   else timedelta(days=1) if not isinstance(dtstart, datetime)
                                   else timedelta(0))
            b_start, b_end = _wall_clock(dtstart), _wall_clock(dtend)
            if b_end <= b_start or b_end <= start or b_start >= end:
                continue
            key = f"{uid}|{b_start.isoformat()}"[:255]
            found[key] = (key, b_start, b_end)
    return sorted(found.values(), key=lambda item: item[1])


def import_for(caseworker: Caseworker, *, now: datetime, fetch: Fetcher = fetch_calendar,
               horizon: timedelta = HORIZON) -> int:
    """Replace the caseworker's busy times from now to now + horizon; returns how many."""
    if caseworker.sync_mode != SyncMode.TWO_WAY or not caseworker.busy_calendar_url:
        return 0
    start = datetime.combine(now.date(), datetime.min.time())
    end = start + horizon
    # Fetch and parse before touching the database: a failure keeps the old busy times.
    intervals = busy_intervals(fetch(caseworker.busy_calendar_url, start, end), start, end)
    db.session.execute(delete(BusyTime).where(BusyTime.caseworker_id == caseworker.id,
                                              BusyTime.ends_at > start,
                                              BusyTime.starts_at < end))
    db.session.add_all(BusyTime(caseworker_id=caseworker.id, source_uid=key, starts_at=b_start,
                                ends_at=b_end) for key, b_start, b_end in intervals)
    db.session.flush()
    return len(intervals)


def import_all(*, now: datetime, fetch: Fetcher = fetch_calendar,
               job_centre_id: int | None = None) -> ImportResult:
    """Import every two-way caseworker's calendar; one broken calendar never stops the rest.

    A failure keeps that caseworker's previous busy times; failures and the run's
    figures go to the system log (R-1.10.1).
    """
    query = select(Caseworker).where(Caseworker.sync_mode == SyncMode.TWO_WAY,
                                     Caseworker.busy_calendar_url.is_not(None))
    if job_centre_id is not None:
        query = query.where(Caseworker.job_centre_id == job_centre_id)
    result = ImportResult()
    for caseworker in db.session.scalars(query.order_by(Caseworker.id)).all():
        try:
            result.busy_times += import_for(caseworker, now=now, fetch=fetch)
            result.caseworkers += 1
        except Exception as exc:  # noqa: BLE001 - any failure of a remote calendar is logged
            reason = f"{type(exc).__name__}: {exc}"[:500]
            result.failed[caseworker.id] = reason
            log.warning("calendar import failed for caseworker %s: %s", caseworker.id, reason)
            db.session.add(SystemLogEntry(
                level=LogLevel.WARNING, category="calendar_import", occurred_at=now,
                job_centre_id=caseworker.job_centre_id,
                message=f"Kalenderimport fejlede for {caseworker.name}: {reason}"))
    db.session.add(SystemLogEntry(
        level=LogLevel.INFO, category="calendar_import", occurred_at=now,
        job_centre_id=job_centre_id,
        message=(f"Kalenderimport: {result.caseworkers} sagsbehandlere, "
                 f"{result.busy_times} optagede tider, {len(result.failed)} fejl."),
        figures={"caseworkers": result.caseworkers, "busy_times": result.busy_times,
                 "failed": len(result.failed)}))
    db.session.flush()
    return result
