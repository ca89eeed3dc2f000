"""Appointments from the municipal case system (KSS), received as messages (R-1.11.1, R-7.6).

The case system sends one JSON message per change of an appointment it made itself:

    {"appointment_id": "KSS-4711", "action": "create" | "update" | "cancel",
     "caseworker": {"rid": "…"} | {"guid": "…"} | {"email": "…"},
     "starts_at": "2027-03-01T09:00:00+01:00", "ends_at": "2027-03-01T10:00:00+01:00",
     "citizen_cpr": "…" (optional), "conversation_type_code": 1 (optional)}

Every message is kept raw with its outcome, also a refused or failed one: truncated,
control characters escaped, CPR numbers masked (R-7.8). Every field is checked for its
exact type and bounds; a bad value is refused with a stable code, the field and a Danish
and an English message, and changes nothing but the log (R-7.6); a cancel needs only
`appointment_id` and `action`, so it is never held up by another field. An `appointment_id`
that holds a CPR number is refused, never stored, not even masked: two citizens born on
the same day would share the masked id.

The appointment takes the caseworker's time as an imported booking, so no one else is
placed there. It must lie within one day and within the caseworker's working time that
weekday; breaks and closure days do not stop it (the case system's meeting is a fact).
A message for a caseworker the planner does not know is logged and ignored, and so are
later messages about that appointment (manual §1.2.3, note 3). A `citizen_cpr` the job
centre does not know yet is looked up in the citizen register and the citizen created; a
number the register does not know refuses the message (R-6.1).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import select

from webapp.domain.availability import from_utc
from webapp.domain.cpr import normalise_cpr, redact_cprs
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (Booking, BookingOrigin, BookingStatus, Caseworker,
                           ConversationType, HoldingForm, InboundMessage, MembershipState,
                           TeamMembership)
from webapp.calendar.availability import weekly_schedules
from webapp.citizens.service import citizen_for_cpr
from webapp.booking.checks import MeetingRequest
from webapp.booking.writer import cancel_booking, create_booking, move_booking

logger = logging.getLogger(__name__)

ACTIONS = ("create", "update", "cancel")
# The columns' lengths: external ids, caseworkers' rid, guid and e-mail.
APPOINTMENT_ID_LENGTH = 100
CASEWORKER_KEYS = {"rid": 20, "guid": 36, "email": 254}
DATETIME_LENGTH = 40
FIRST_YEAR, LAST_YEAR = 1900, 2100
TYPE_CODES = range(1, 1000)
RAW_LOGGED = 20000

# Control characters (C0, DEL, C1): refused in fields, escaped in the log.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_LOG = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WEEKDAYS = (("mandag", "Monday"), ("tirsdag", "Tuesday"), ("onsdag", "Wednesday"),
             ("torsdag", "Thursday"), ("fredag", "Friday"), ("lørdag", "Saturday"),
             ("søndag", "Sunday"))


class InvalidMessage(DomainError):
    """A message the case system must correct; answered 422 with code and field."""

    code = "invalid_message"
    http_status = 422


def _refuse(code: str, field: str | None, message_da: str, message_en: str) -> InvalidMessage:
    return InvalidMessage(message_da, message_en, field=field, code=code)


@dataclass(frozen=True)
class Outcome:
    """What became of a message; `code` is stable, `error` says why it was refused."""

    code: str
    detail: str
    booking_id: int | None = None
    error: DomainError | None = None

    @property
    def accepted(self) -> bool:
        return self.code in ("created", "moved", "cancelled") or self.code.startswith("ignored")


_FAILURE = DomainError.of("processing_failed", code="processing_failed")
FAILED = Outcome("failed", _FAILURE.message_da, error=_FAILURE)


@dataclass(frozen=True)
class Appointment:
    """A message whose fields passed every check."""

    appointment_id: str
    action: str
    caseworker_key: str | None = None
    caseworker_ref: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    citizen_cpr: str | None = None
    conversation_type_code: int | None = None


# ---------------------------------------------------------------------------
# Checking the fields
# ---------------------------------------------------------------------------

def _text(value: Any, field: str, limit: int) -> str:
    """A non-empty string of at most `limit` characters without control characters."""
    if value is None:
        raise _refuse("missing", field, f"{field} mangler.", f"{field} is missing.")
    if type(value) is not str:
        raise _refuse("wrong_type", field, f"{field} skal være en tekst.",
                      f"{field} must be a string.")
    if len(value) > limit:
        raise _refuse("too_long", field, f"{field} må højst være {limit} tegn.",
                      f"{field} may be at most {limit} characters long.")
    if _CONTROL.search(value) or _SURROGATE.search(value):
        raise _refuse("invalid_text", field,
                      f"{field} indeholder kontroltegn eller ugyldige Unicode-tegn.",
                      f"{field} holds control characters or invalid Unicode.")
    value = value.strip()
    if not value:
        raise _refuse("missing", field, f"{field} mangler.", f"{field} is missing.")
    return value


def _moment(value: Any, field: str) -> datetime:
    """Copenhagen wall-clock time of an ISO 8601 time with offset, in whole minutes."""
    text = _text(value, field, DATETIME_LENGTH)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _refuse("invalid_datetime", field, f"{field} er ikke et ISO 8601-tidspunkt.",
                      f"{field} is not an ISO 8601 date and time.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _refuse("missing_offset", field, f"{field} mangler UTC-forskydning (fx +01:00).",
                      f"{field} lacks a UTC offset (e.g. +01:00).")
    # Checked before the conversion too: year 9999 with an offset overflows it.
    if not FIRST_YEAR <= moment.year <= LAST_YEAR or \
            not FIRST_YEAR <= (local := from_utc(moment)).year <= LAST_YEAR:
        raise _refuse("out_of_range", field,
                      f"{field} skal ligge mellem år {FIRST_YEAR} og {LAST_YEAR}.",
                      f"{field} must lie between the years {FIRST_YEAR} and {LAST_YEAR}.")
    if local.second or local.microsecond:
        raise _refuse("whole_minutes", field, f"{field} skal angives i hele minutter.",
                      f"{field} must be given in whole minutes.")
    return local


def _caseworker(value: Any) -> tuple[str, str]:
    """Which column names the caseworker, and its value."""
    if not isinstance(value, dict):
        raise _refuse("wrong_type", "caseworker",
                      "caseworker skal være et objekt med rid, guid eller email.",
                      "caseworker must be an object with rid, guid or email.")
    for key, limit in CASEWORKER_KEYS.items():
        if value.get(key) is not None:
            return key, _text(value[key], "caseworker", limit)
    raise _refuse("missing", "caseworker", "caseworker skal have rid, guid eller email.",
                  "caseworker needs rid, guid or email.")


def _citizen_cpr(value: Any, today: Any) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is not str:
        raise _refuse("wrong_type", "citizen_cpr", "citizen_cpr skal være en tekst.",
                      "citizen_cpr must be a string.")
    try:
        return normalise_cpr(value, today=today)
    except DomainError as exc:
        raise _refuse(exc.code, "citizen_cpr", exc.message_da, exc.message_en) from None


def _type_code(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int:  # not bool, not float, not a string of digits
        raise _refuse("wrong_type", "conversation_type_code",
                      "conversation_type_code skal være et heltal.",
                      "conversation_type_code must be an integer.")
    if value not in TYPE_CODES:
        raise _refuse("out_of_range", "conversation_type_code",
                      f"conversation_type_code skal ligge mellem {TYPE_CODES.start} og "
                      f"{TYPE_CODES.stop - 1}.",
                      f"conversation_type_code must lie between {TYPE_CODES.start} and "
                      f"{TYPE_CODES.stop - 1}.")
    return value


def parse(message: Any, *, now: datetime) -> Appointment:
    """The checked fields of a decoded message; `InvalidMessage` names the first bad one."""
    if not isinstance(message, dict):
        raise _refuse("not_an_object", None, "Beskeden skal være et JSON-objekt.",
                      "The message must be a JSON object.")
    appointment_id = _text(message.get("appointment_id"), "appointment_id", APPOINTMENT_ID_LENGTH)
    if redact_cprs(appointment_id) != appointment_id:
        raise _refuse("appointment_id_is_cpr", "appointment_id",
                      "appointment_id må ikke indeholde et CPR-nummer; brug sagssystemets eget id.",
                      "appointment_id must not hold a CPR number; use the case system's own id.")
    action = message.get("action")
    if type(action) is not str or action not in ACTIONS:
        raise _refuse("invalid_choice", "action", f"action skal være en af {', '.join(ACTIONS)}.",
                      f"action must be one of {', '.join(ACTIONS)}.")
    if action == "cancel":
        return Appointment(appointment_id, action)
    key, ref = _caseworker(message.get("caseworker"))
    starts_at = _moment(message.get("starts_at"), "starts_at")
    ends_at = _moment(message.get("ends_at"), "ends_at")
    if ends_at <= starts_at:
        raise _refuse("ends_before_starts", "ends_at", "ends_at skal ligge efter starts_at.",
                      "ends_at must come after starts_at.")
    if ends_at.date() != starts_at.date():
        raise _refuse("appointment_too_long", "ends_at",
                      "En aftale skal begynde og slutte samme dag.",
                      "An appointment must start and end on the same day.")
    return Appointment(appointment_id, action, key, ref, starts_at, ends_at,
                       _citizen_cpr(message.get("citizen_cpr"), now.date()),
                       _type_code(message.get("conversation_type_code")))


def _check_working_day(caseworker: Caseworker, starts_at: datetime, ends_at: datetime) -> None:
    """R-7.6: the appointment lies within the caseworker's working time of that weekday."""
    weekday = starts_at.weekday()
    schedule = weekly_schedules([caseworker.id], weekdays=[weekday])[caseworker.id]
    start, end = schedule.working_time.get(weekday, (time(0), time(0)))
    day_da, day_en = _WEEKDAYS[weekday]
    if not start < end:
        raise _refuse("outside_working_day", "starts_at",
                      f"Sagsbehandleren har ingen arbejdstid om {day_da}en.",
                      f"The caseworker has no working time on {day_en}s.")
    if not (start <= starts_at.time() and ends_at.time() <= end):
        raise _refuse(
            "outside_working_day", "starts_at",
            f"Aftalen {starts_at:%H:%M}–{ends_at:%H:%M} ligger uden for sagsbehandlerens "
            f"arbejdstid {day_da} {start:%H:%M}–{end:%H:%M}.",
            f"The appointment {starts_at:%H:%M}–{ends_at:%H:%M} lies outside the caseworker's "
            f"working time on {day_en} {start:%H:%M}–{end:%H:%M}.")


# ---------------------------------------------------------------------------
# Applying a message
# ---------------------------------------------------------------------------

def _find_caseworker(job_centre_id: int, key: str, ref: str) -> Caseworker | None:
    column = {"rid": Caseworker.rid, "guid": Caseworker.guid, "email": Caseworker.email}[key]
    return db.session.scalar(select(Caseworker).where(Caseworker.job_centre_id == job_centre_id,
                                                      column == ref))


def _first_ignored(job_centre_id: int, appointment_id: str) -> bool:
    first = db.session.scalar(
        select(InboundMessage.outcome).where(InboundMessage.job_centre_id == job_centre_id,
                                             InboundMessage.external_id == appointment_id)
        .order_by(InboundMessage.id).limit(1))
    return first == "ignored_unknown_caseworker"


def _booking_for(job_centre_id: int, appointment_id: str) -> Booking | None:
    return db.session.scalar(select(Booking).where(
        Booking.job_centre_id == job_centre_id, Booking.external_id == appointment_id,
        Booking.origin == BookingOrigin.IMPORTED, Booking.status != BookingStatus.CANCELLED))


def _apply(job_centre_id: int, msg: Appointment, *, now: datetime) -> Outcome:
    if _first_ignored(job_centre_id, msg.appointment_id):
        return Outcome("ignored_unknown_appointment",
                       "Aftalen blev ignoreret første gang (ukendt sagsbehandler).")
    booking = _booking_for(job_centre_id, msg.appointment_id)
    if msg.action == "cancel":
        if booking is None:
            return Outcome("ignored_unknown_appointment", "Ingen aftale med det id.")
        cancel_booking(booking, now=now, reason="Aflyst i sagssystemet")
        return Outcome("cancelled", "Aflyst.", booking.id)

    assert msg.caseworker_key and msg.caseworker_ref and msg.starts_at and msg.ends_at
    caseworker = _find_caseworker(job_centre_id, msg.caseworker_key, msg.caseworker_ref)
    if caseworker is None:
        return Outcome("ignored_unknown_caseworker", "Sagsbehandleren findes ikke i planlæggeren.")
    if booking is None and msg.action == "update":
        return Outcome("ignored_unknown_appointment", "Ingen aftale med det id at flytte.")
    _check_working_day(caseworker, msg.starts_at, msg.ends_at)
    minutes = int((msg.ends_at - msg.starts_at).total_seconds() // 60)
    if booking is not None:
        move_booking(booking, now=now, starts_at=msg.starts_at, caseworker_ids=[caseworker.id],
                     duration_minutes=minutes)
        return Outcome("moved", "Flyttet.", booking.id)

    team_id = db.session.scalar(select(TeamMembership.team_id).where(
        TeamMembership.caseworker_id == caseworker.id,
        TeamMembership.state == MembershipState.ACTIVE).limit(1))
    if team_id is None:
        return Outcome("ignored_unknown_caseworker", "Sagsbehandleren er ikke i noget team.")
    type_query = select(ConversationType.id).order_by(ConversationType.code)
    if msg.conversation_type_code is not None:
        type_query = type_query.where(ConversationType.code == msg.conversation_type_code)
    conversation_type_id = db.session.scalar(type_query.limit(1))
    if conversation_type_id is None:
        raise _refuse("unknown_conversation_type", "conversation_type_code",
                      "Ukendt conversation_type_code.", "Unknown conversation_type_code.")
    citizen_ids = []
    if msg.citizen_cpr:
        # a citizen not yet known comes from the register; an unknown number is refused.
        citizen_ids = [citizen_for_cpr(job_centre_id, msg.citizen_cpr, field="citizen_cpr").id]
    booking = create_booking(MeetingRequest(
        job_centre_id=job_centre_id, team_id=team_id, conversation_type_id=conversation_type_id,
        holding_form_id=db.session.scalar(select(HoldingForm.id).order_by(HoldingForm.id).limit(1)),
        caseworker_ids=[caseworker.id], starts_at=msg.starts_at, duration_minutes=minutes,
        origin=BookingOrigin.IMPORTED, citizen_ids=citizen_ids,
        extra={"external_id": msg.appointment_id}), now=now)
    return Outcome("created", "Oprettet.", booking.id)


# ---------------------------------------------------------------------------
# Receiving and logging
# ---------------------------------------------------------------------------

def for_log(text: str, limit: int) -> str:
    """`text` as it may be stored and shown: CPR numbers masked, control characters and lone
    surrogates escaped (PostgreSQL stores neither a NUL nor a surrogate), at most `limit` long."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = _CONTROL_IN_LOG.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    # Masked before it is cut, so a cut can never leave the digits of a number unmasked.
    return redact_cprs(text)[:limit]


def _logged_id(message: Any) -> str | None:
    value = message.get("appointment_id") if isinstance(message, dict) else None
    if type(value) is not str or not value.strip():
        return None
    return for_log(value.strip(), APPOINTMENT_ID_LENGTH)


def _decode(raw: str | bytes) -> tuple[str, Any]:
    """The body as text for the log, and the decoded message (or the error that refuses it)."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "backslashreplace"), _refuse(
                "invalid_utf8", None, "Beskeden er ikke gyldig UTF-8.",
                "The message is not valid UTF-8.")
    else:
        text = raw

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return text, json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError):
        return text, _refuse("invalid_json", None, "Ikke gyldig JSON.", "Not valid JSON.")


def log_message(job_centre_id: int, raw: str, outcome: Outcome, *, now: datetime,
                external_id: str | None = None) -> InboundMessage:
    """One line of the inbound log; storable whatever the body holds."""
    entry = InboundMessage(job_centre_id=job_centre_id, external_id=external_id,
                           raw=for_log(raw, RAW_LOGGED), outcome=outcome.code,
                           detail=outcome.detail, received_at=now)
    db.session.add(entry)
    db.session.flush()
    return entry


def receive(job_centre_id: int, raw: str | bytes, *, now: datetime) -> Outcome:
    """Apply one raw message and log it with its outcome; the caller commits.

    A message that breaks a rule (a bad value, a clash with another booking) changes
    nothing but its log line, which says why; so does an unexpected fault, logged as
    "failed" with a generic reason.
    """
    text, message = _decode(raw)
    external_id = _logged_id(message)
    try:
        if isinstance(message, InvalidMessage):
            raise message
        appointment = parse(message, now=now)
        with db.session.begin_nested():
            outcome = _apply(job_centre_id, appointment, now=now)
    except DomainError as exc:
        outcome = Outcome("rejected", exc.message_da, error=exc)
    except Exception:
        logger.exception("Inbound message for job centre %s failed", job_centre_id)
        outcome = FAILED
    log_message(job_centre_id, text, outcome, now=now, external_id=external_id)
    return outcome


def log_refusal(job_centre_id: int, raw: str | bytes, error: DomainError, *, now: datetime) -> Outcome:
    """Log a message refused before `receive` could read it (too large, nested too deep, cut
    short) as rejected with `error`'s reason; the body is kept as any other, but not parsed."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    outcome = Outcome("rejected", error.message_da, error=error)
    log_message(job_centre_id, text, outcome, now=now)
    return outcome


def log_failure(job_centre_id: int, raw: str | bytes, *, now: datetime) -> Outcome:
    """Log a message whose handling failed after `receive` (at the commit) as failed."""
    text, message = _decode(raw)
    log_message(job_centre_id, text, FAILED, now=now, external_id=_logged_id(message))
    return FAILED
