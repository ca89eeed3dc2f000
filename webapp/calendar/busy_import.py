"""Calendar sync inwards: busy times imported from a caseworker's own calendar (R-5.2, R-1.2.7).

Two modes read the caseworker's mail calendar into the planner: two-way (the planner also
sends its invitations out) and one-way FASIT. FASIT customers let the case system put every
meeting, the planner's own included, into the caseworkers' mail calendars, so the planner
sends no invitations to them and only reads that calendar back ("envejs synkronisering fra
vejlederens Outlook til vejlederens Planner-kalender", the manual §1.2.8).

A caseworker in either mode gives the address of their calendar: a CalDAV calendar
collection, or an iCalendar feed (an address ending in `.ics`, or `webcal://`). The
import reads the events of the coming weeks, expands recurring ones, and replaces the
caseworker's busy times in that window; availability then subtracts them (R-2.1).
Only the time is kept: titles of private appointments are not the planner's business.
Events the planner sent itself (its own invitations) are skipped, and so are
transparent ("free") and cancelled events.

The address is someone's typing and the server is someone else's, so the fetch is kept
to the outside world (R-7.5): http(s) only, to the hosts `PLANNER_CALENDAR_ALLOWED_HOSTS`
names (empty: any public host), never to loopback, private or other internal addresses
unless the host is on that list. The check runs on save and before every request,
redirects included (followed here, at most five), and the connection goes to the very
address that was checked, so a name cannot resolve differently in between. Every
failure to fetch reads the same, so the import cannot be used to probe ports.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree

import icalendar
import recurring_ical_events
from sqlalchemy import delete, select

from webapp.config import setting
from webapp.domain.availability import COPENHAGEN, to_utc
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import BusyTime, Caseworker, LogLevel, SyncMode, SystemLogEntry

log = logging.getLogger(__name__)

#: UIDs of the invitations the planner sends end with this; they are its own bookings.
OWN_UID_SUFFIX = "@planner"
HORIZON = timedelta(weeks=10)
#: The sync modes whose calendars are read into busy times (R-1.2.7).
IMPORTED_MODES = frozenset({SyncMode.TWO_WAY, SyncMode.ONE_WAY_FASIT})
TIMEOUT_SECONDS = 20
MAX_REDIRECTS = 5
MAX_BYTES = 10 * 1024 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
CALDAV = "urn:ietf:params:xml:ns:caldav"

Fetcher = Callable[[str, datetime, datetime], list[bytes]]


@dataclass
class ImportResult:
    caseworkers: int = 0
    busy_times: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def is_ics_feed(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "webcal" or parts.path.lower().endswith(".ics")


class CalendarUnavailable(DomainError):
    """The calendar could not be read. One text for every cause (refused, timeout, TLS, an
    error status, a page that is no calendar): a different text per cause would tell
    whether a port is open (R-7.5)."""

    code = "calendar_unavailable"

    def __init__(self) -> None:
        super().__init__("Kalenderen kunne ikke hentes. Tjek adressen, og at kalenderen kan nås.",
                         "The calendar could not be fetched. Check the address and that the "
                         "calendar can be reached.", field="busy_calendar_url")


@dataclass(frozen=True)
class Target:
    """A checked address: where to connect (`addresses`) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def _address_error() -> DomainError:
    return DomainError("Angiv kalenderens adresse som http(s)://… eller webcal://….",
                       "Give the calendar's address as http(s)://… or webcal://….",
                       field="busy_calendar_url", code="calendar_url")


def _host_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def allowed_hosts() -> list[str]:
    """`PLANNER_CALENDAR_ALLOWED_HOSTS`: exact hosts or `*.domain`, comma-separated."""
    value = setting("PLANNER_CALENDAR_ALLOWED_HOSTS")
    entries = value.split(",") if isinstance(value, str) else value
    return [_host_name(entry) for entry in entries if entry.strip()]


def _on_list(host: str, entries: Sequence[str]) -> bool:
    return any(host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
               for entry in entries)


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (an IP literal resolves to itself)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def is_internal(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified or otherwise not public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def check_calendar_url(url: str, *, allowed: Sequence[str] | None = None) -> Target:
    """Where a calendar address may be fetched from, or DomainError (R-5.2, R-7.5).

    http, https and webcal (https by another name) only. With an allow-list the host must
    be on it, and may then be internal; without one any host whose every address is
    public will do. A host that does not resolve is refused too.
    """
    url = (url or "").strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise _address_error() from None
    if scheme not in ("http", "https", "webcal") or not parts.hostname:
        raise _address_error()
    scheme = "https" if scheme == "webcal" else scheme
    port = port or (443 if scheme == "https" else 80)
    host = _host_name(parts.hostname)
    entries = list(allowed) if allowed is not None else allowed_hosts()
    if entries and not _on_list(host, entries):
        raise DomainError(
            f"Kalenderens vært »{host}« er ikke blandt de kalenderservere, jobcentret har tilladt.",
            f"The calendar's host '{host}' is not among the calendar servers allowed.",
            field="busy_calendar_url", code="calendar_host_not_allowed")
    try:
        addresses = resolve_addresses(host, port)
    except (OSError, UnicodeError):
        raise DomainError(f"Kalenderens vært »{host}« kunne ikke findes.",
                          f"The calendar's host '{host}' could not be found.",
                          field="busy_calendar_url", code="calendar_host_unknown") from None
    if not entries and (not addresses or any(is_internal(a) for a in addresses)):
        raise DomainError(
            f"Kalenderens vært »{host}« er en intern adresse. Den kan kun bruges, hvis den står "
            "på listen over tilladte kalenderservere.",
            f"The calendar's host '{host}' is an internal address; it can only be used when it "
            "is on the list of allowed calendar servers.",
            field="busy_calendar_url", code="calendar_host_internal")
    return Target(url=urlunsplit((scheme, *parts[1:])), scheme=scheme, host=host, port=port,
                  addresses=tuple(addresses))


def validate_calendar_url(url: str, *, allowed: Sequence[str] | None = None) -> str:
    """The address, trimmed, when it may be saved; DomainError on its field otherwise (R-7.5)."""
    check_calendar_url(url, allowed=allowed)
    return (url or "").strip()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to now."""

    def __init__(self, target: Target, address: str) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS,
                         context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _send(target: Target, method: str, body: bytes | None,
          headers: dict[str, str]) -> tuple[int, str | None, bytes]:
    """(status, Location, body) of one request to the checked address."""
    parts = urlsplit(target.url)
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = headers | {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    connection_type = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    last_error: OSError | None = None
    for address in target.addresses:
        connection = connection_type(target, address)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                raise ValueError("calendar larger than MAX_BYTES")
            return response.status, response.getheader("Location"), data
        except ConnectionRefusedError as error:
            last_error = error  # the next address of the name may answer
        finally:
            connection.close()
    raise last_error or OSError("no address")


def _request(url: str, method: str, body: bytes | None, headers: dict[str, str]) -> bytes:
    """The body of a 2xx answer, redirects followed by hand with every hop checked (R-7.5).

    The address check's refusals pass through; every other failure is CalendarUnavailable.
    """
    for _hop in range(MAX_REDIRECTS + 1):
        target = check_calendar_url(url)
        try:
            status, location, data = _send(target, method, body, headers)
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise CalendarUnavailable() from error
        if status in REDIRECTS and location:
            url = urljoin(target.url, location.strip())
            if urlsplit(url).hostname != urlsplit(target.url).hostname:
                # Credentials in the address are for its own host only.
                parts = urlsplit(url)
                url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
            if status == 303:
                method, body = "GET", None
            continue
        if not 200 <= status < 300:
            raise CalendarUnavailable() from http.client.HTTPException(f"status {status}")
        return data
    raise CalendarUnavailable() from http.client.HTTPException("too many redirects")


def _ics_fetch(url: str, start: datetime, end: datetime) -> list[bytes]:
    return [_request(url, "GET", None, {"Accept": "text/calendar"})]


_CALENDAR_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def _caldav_fetch(url: str, start: datetime, end: datetime) -> list[bytes]:
    """The events of a CalDAV calendar collection between start and end (one REPORT, RFC 4791)."""
    body = _CALENDAR_QUERY.format(start=to_utc(start), end=to_utc(end)).encode()
    answer = _request(url, "REPORT", body, {"Depth": "1",
                                            "Content-Type": "application/xml; charset=utf-8"})
    try:
        # The standard library's parser expands no external entities, and expat >= 2.4
        # bounds entity expansion.
        root = ElementTree.fromstring(answer)
    except ElementTree.ParseError as error:
        raise CalendarUnavailable() from error
    return [item.text.encode() for item in root.iter(f"{{{CALDAV}}}calendar-data") if item.text]


def fetch_calendar(url: str, start: datetime, end: datetime) -> list[bytes]:
    """The raw iCalendar documents holding the events between start and end."""
    return (_ics_fetch if is_ics_feed(url) else _caldav_fetch)(url, start, end)


def _parse(documents: Iterable[bytes], start: datetime,
           end: datetime) -> list[tuple[str, datetime, datetime]]:
    """`busy_intervals`, with a document that is no calendar read as the fetch failing."""
    try:
        return busy_intervals(documents, start, end)
    except (ValueError, KeyError, TypeError) as error:
        raise CalendarUnavailable() from error


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
    if caseworker.sync_mode not in IMPORTED_MODES or not caseworker.busy_calendar_url:
        return 0
    start = datetime.combine(now.date(), datetime.min.time())
    end = start + horizon
    # Fetch and parse before touching the database: a failure keeps the old busy times.
    intervals = _parse(fetch(caseworker.busy_calendar_url, start, end), start, end)
    db.session.execute(delete(BusyTime).where(BusyTime.caseworker_id == caseworker.id,
                                              BusyTime.ends_at > start,
                                              BusyTime.starts_at < end))
    db.session.add_all(BusyTime(caseworker_id=caseworker.id, source_uid=key, starts_at=b_start,
                                ends_at=b_end) for key, b_start, b_end in intervals)
    db.session.flush()
    return len(intervals)


def import_all(*, now: datetime, fetch: Fetcher = fetch_calendar,
               job_centre_id: int | None = None) -> ImportResult:
    """Import the calendar of every caseworker in two-way or FASIT mode; one broken calendar
    never stops the rest.

    A failure keeps that caseworker's previous busy times; failures and the run's
    figures go to the system log (R-1.10.1).
    """
    query = select(Caseworker).where(Caseworker.sync_mode.in_(IMPORTED_MODES),
                                     Caseworker.busy_calendar_url.is_not(None))
    if job_centre_id is not None:
        query = query.where(Caseworker.job_centre_id == job_centre_id)
    result = ImportResult()
    for caseworker in db.session.scalars(query.order_by(Caseworker.id)).all():
        try:
            result.busy_times += import_for(caseworker, now=now, fetch=fetch)
            result.caseworkers += 1
        except Exception as exc:  # noqa: BLE001 - any failure of a remote calendar is logged
            # The address's own check says what is wrong with it; every other failure reads
            # the same. Neither the address (it may hold a password) nor the
            # error's text goes to a log, only the error's kind.
            reason = (exc.message_da if isinstance(exc, DomainError)
                      else CalendarUnavailable().message_da)
            result.failed[caseworker.id] = reason
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            log.warning("calendar import failed for caseworker %s: %s (%s)", caseworker.id,
                        type(exc).__name__, type(cause).__name__)
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
