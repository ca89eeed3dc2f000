"""Two-way calendar sync: busy times imported from CalDAV and iCalendar feeds (R-5.2)."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time as clock
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.timehelpers import MONDAY, at
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import BusyTime, SyncMode, SystemLogEntry
from webapp.calendar import availability
from webapp.calendar.busy_import import (busy_intervals, import_all, import_for,
                                         validate_calendar_url)

NOW = at(MONDAY, 6)


def vevent(uid: str, start: str, end: str, extra: str = "") -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20270101T000000Z\r\n"
            f"DTSTART{start}\r\nDTEND{end}\r\nSUMMARY:Privat aftale\r\n{extra}END:VEVENT\r\n")


def vcalendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//DA\r\n"
            + "".join(events) + "END:VCALENDAR\r\n").encode()


FEED = vcalendar(
    # 10:00-11:00 UTC is 11:00-12:00 in Copenhagen (winter time).
    vevent("a", ":20270301T100000Z", ":20270301T110000Z"),
    # Weekly at 08:00 local time for three weeks, across the change to summer time.
    vevent("b", ";TZID=Europe/Copenhagen:20270315T080000",
           ";TZID=Europe/Copenhagen:20270315T083000", "RRULE:FREQ=WEEKLY;COUNT=3\r\n"),
    vevent("c", ";VALUE=DATE:20270302", ";VALUE=DATE:20270303"),
    vevent("free", ":20270301T130000Z", ":20270301T140000Z", "TRANSP:TRANSPARENT\r\n"),
    vevent("gone", ":20270301T140000Z", ":20270301T150000Z", "STATUS:CANCELLED\r\n"),
    vevent("booking-7@planner", ":20270301T080000Z", ":20270301T083000Z"),
)


def test_parsing_keeps_wall_clock_expands_and_skips():
    """R-5.2, R-2.3: UTC converted to Copenhagen, recurrences over the DST change stay at 08:00."""
    found = busy_intervals([FEED], at(MONDAY, 0), at(MONDAY, 0) + timedelta(weeks=6))
    assert [(s, e) for _, s, e in found] == [
        (at(MONDAY, 11), at(MONDAY, 12)),
        (at(date(2027, 3, 2), 0), at(date(2027, 3, 3), 0)),
        (at(date(2027, 3, 15), 8), at(date(2027, 3, 15), 8, 30)),
        (at(date(2027, 3, 22), 8), at(date(2027, 3, 22), 8, 30)),
        (at(date(2027, 3, 29), 8), at(date(2027, 3, 29), 8, 30)),  # summer time now
    ]


@pytest.fixture
def two_way(create_job_centre, create_caseworker, reference_data):
    centre = create_job_centre()
    return create_caseworker(centre, sync_mode=SyncMode.TWO_WAY,
                             busy_calendar_url="http://127.0.0.1:1/cal.ics")


def test_import_replaces_busy_times_and_blocks_availability(two_way):
    """R-5.2, R-2.1: imported busy time is subtracted from free time; a re-import replaces it."""
    assert import_for(two_way, now=NOW, fetch=lambda url, s, e: [FEED]) == 5
    db.session.commit()
    free = availability.caseworkers_free([two_way.id], MONDAY, MONDAY, now=NOW)[two_way.id]
    assert free == [(at(MONDAY, 7, 30), at(MONDAY, 11)), (at(MONDAY, 12), at(MONDAY, 16))]
    one = vcalendar(vevent("a", ":20270301T100000Z", ":20270301T110000Z"))
    assert import_for(two_way, now=NOW, fetch=lambda url, s, e: [one]) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(BusyTime)) == 1


def test_a_broken_calendar_keeps_old_busy_times_and_is_logged(two_way, create_caseworker):
    """R-5.2, R-1.10.1: one failing calendar is logged and does not stop the others."""
    import_for(two_way, now=NOW, fetch=lambda url, s, e: [FEED])
    db.session.commit()
    other = create_caseworker(two_way.job_centre, sync_mode=SyncMode.TWO_WAY,
                              busy_calendar_url="http://127.0.0.1:1/other.ics")

    def fetch(url, start, end):
        if url.endswith("cal.ics"):
            raise OSError("connection refused")
        return [vcalendar(vevent("x", ":20270301T090000Z", ":20270301T093000Z"))]

    result = import_all(now=NOW, fetch=fetch)
    db.session.commit()
    assert result.caseworkers == 1 and list(result.failed) == [two_way.id]
    counts = dict(db.session.execute(select(BusyTime.caseworker_id, func.count())
                                     .group_by(BusyTime.caseworker_id)).all())
    assert counts == {two_way.id: 5, other.id: 1}
    messages = db.session.scalars(select(SystemLogEntry.message).where(
        SystemLogEntry.category == "calendar_import")).all()
    assert any("fejlede" in m for m in messages) and any("1 fejl" in m for m in messages)


@pytest.mark.parametrize("mode", [SyncMode.ONE_WAY, SyncMode.NONE])
def test_one_way_caseworkers_are_not_imported(two_way, mode):
    """R-5.2, R-1.2.7: one-way (outwards only) and none import no busy times."""
    two_way.sync_mode = mode
    assert import_for(two_way, now=NOW, fetch=lambda url, s, e: [FEED]) == 0
    db.session.commit()
    assert import_all(now=NOW, fetch=lambda url, s, e: [FEED]).caseworkers == 0


def test_fasit_one_way_imports_the_mail_calendar_into_busy_times_R_1_2_7(two_way):
    """R-1.2.7: One-way (FASIT) is mail calendar -> planner: the job imports the caseworker's
    calendar into busy times, which block availability, and sends the caseworker no invitation."""
    two_way.sync_mode = SyncMode.ONE_WAY_FASIT
    db.session.commit()
    result = import_all(now=NOW, fetch=lambda url, s, e: [FEED])
    db.session.commit()
    assert (result.caseworkers, result.busy_times, result.failed) == (1, 5, {})
    free = availability.caseworkers_free([two_way.id], MONDAY, MONDAY, now=NOW)[two_way.id]
    assert free == [(at(MONDAY, 7, 30), at(MONDAY, 11)), (at(MONDAY, 12), at(MONDAY, 16))]
    from webapp.messaging import ics
    assert SyncMode.ONE_WAY_FASIT not in ics.INVITED_MODES


@pytest.mark.parametrize("url", ["", "kalender", "ftp://x/y.ics", "http://"])
def test_calendar_url_must_be_an_address(url):
    """R-5.2: a Danish message for an address that is not one."""
    with pytest.raises(DomainError) as caught:
        validate_calendar_url(url)
    assert "adresse" in caught.value.message_da


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = clock.monotonic() + 15
    while clock.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        clock.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


@pytest.fixture
def radicale_url(tmp_path: Path):
    """A real CalDAV server (Radicale) on 127.0.0.1 with one calendar."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--auth-type", "none", "--storage-filesystem-folder", str(tmp_path / "collections"),
         "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(port)
        yield f"http://127.0.0.1:{port}/vejleder/kalender/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_import_from_a_caldav_server(two_way, radicale_url):
    """R-5.2: events put on a CalDAV server block the caseworker's time after import."""
    def send(method: str, url: str, body: bytes | None = None) -> None:
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"Content-Type": "text/calendar"})
        urllib.request.urlopen(request, timeout=10).close()

    send("MKCOL", radicale_url.rsplit("/", 2)[0] + "/")
    send("MKCALENDAR", radicale_url)
    send("PUT", radicale_url + "dav-1.ics",
         vcalendar(vevent("dav-1", ":20270301T090000Z", ":20270301T100000Z")))
    send("PUT", radicale_url + "later.ics",
         vcalendar(vevent("later", ":20270901T090000Z", ":20270901T100000Z")))
    two_way.busy_calendar_url = radicale_url
    result = import_all(now=NOW)
    db.session.commit()
    assert result.failed == {}
    assert result.busy_times == 1
    assert availability.free_caseworkers_at([two_way.id], at(MONDAY, 10), at(MONDAY, 10, 30),
                                            now=NOW) == []


def test_import_from_an_ics_feed_over_http(two_way):
    """R-5.2: an iCalendar feed address (…/x.ics) is fetched over HTTP."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        two_way.busy_calendar_url = f"http://127.0.0.1:{server.server_port}/privat.ics"
        result = import_all(now=NOW)
    finally:
        server.shutdown()
        server.server_close()
    assert (result.busy_times, result.failed) == (5, {})
