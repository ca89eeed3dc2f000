"""Words the admin screens show: column labels and the stored vocabularies, translatable.

The msgids are English; the Danish words live in the gettext catalog
(webapp/translations/da), so the screens follow the language the user picks.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_admin.model import typefmt
from flask_babel import lazy_gettext as _l

from webapp.models import enums as e

COLUMN_LABELS: dict[str, Any] = {
    "name": _l("Name"), "job_centre": _l("Job centre"), "parent": _l("Parent team"),
    "address": _l("Address"), "postal_code": _l("Postal code"), "city": _l("City"),
    "email": _l("E-mail"), "phone": _l("Phone"), "description": _l("Description"),
    "initials": _l("Initials"), "rid": _l("RID"), "guid": _l("GUID"),
    "can_be_assigned_callins": _l("Can be assigned call-ins"), "sync_mode": _l("Calendar sync"),
    "busy_calendar_url": _l("Calendar address for busy times (CalDAV or ICS)"),
    "team": _l("Team"), "teams": _l("Teams"), "first_day": _l("From date"),
    "last_day": _l("To date"), "day": _l("Date"), "capacity": _l("Maximum capacity"),
    "accepts_overbooking": _l("Accept overbooking"), "overbooking_seats": _l("Extra seats"),
    "usable_for_callins": _l("Can be used for call-ins"), "comment": _l("Comment"),
    "resource_type": _l("Resource type"), "code": _l("Code"),
    "conversation_type": _l("Conversation type"), "conversation_types": _l("Conversation types"),
    "variant": _l("Conversation type variant"), "meeting_form": _l("Meeting form"),
    "holding_form": _l("Holding form"), "room": _l("Meeting room"),
    "duration_minutes": _l("Standard duration (min.)"),
    "reporting_minutes": _l("Time for reporting (min.)"),
    "deadline_mode": _l("Deadline setting"), "deadline_days": _l("Deadline days (N)"),
    "distribution": _l("Calendar distribution"),
    "earliest_after_days": _l("Earliest conversation date (days after the call-in)"),
    "message_to_caseworkers": _l("Message to caseworkers"),
    "letter_text": _l("Text for letter"),
    "accept_cancellation": _l("Accept cancellation"), "accept_rebooking": _l("Accept rebooking"),
    "rebooking_until_days": _l("Rebooking until (days before the meeting)"),
    "activate_offer_at_once": _l("Activate the offer on the portal at once"),
    "citizen_chooses_caseworker": _l("The citizen may choose the caseworker"),
    "first_meeting_date": _l("First meeting date"), "fixed_end_date": _l("Fixed end date"),
    "rolling_end_weeks": _l("Rolling end date (weeks)"),
    "visible_from": _l("Offer opens for booking"), "contact_groups": _l("Rules (contact groups)"),
    "subject": _l("Subject"), "body": _l("Letter text"),
    "occurred_at": _l("Time"), "event": _l("Event"), "user_name": _l("User"),
    "booking_id": _l("Conversation number"), "citizen_id": _l("Citizen"),
    "caseworker_id": _l("Caseworker"), "object_type": _l("Object"), "object_id": _l("Id"),
    "before": _l("Before"), "after": _l("After"), "details": _l("Details"),
    "level": _l("Level"), "category": _l("Category"), "message": _l("Message"),
    "figures": _l("Figures"), "received_at": _l("Received"), "external_id": _l("External id"),
    "raw": _l("Content"), "outcome": _l("Outcome"), "detail": _l("Explanation"),
    "username": _l("Username"), "role": _l("Role"), "municipality": _l("Municipality"),
    "municipality_code": _l("Municipality code"),
    "oidc_subject": _l("Organisation account id (sub)"), "caseworker": _l("Caseworker"),
    "starts_at": _l("Start"), "ends_at": _l("End"), "status": _l("Status"),
    "origin": _l("Origin"), "earliest_date": _l("Earliest date"), "deadline_date": _l("Deadline"),
    "citizen": _l("Citizen"), "masked_cpr": _l("CPR"), "contact_group": _l("Contact group"),
    "active": _l("Active"), "unplaced_reason": _l("Reason"), "caseworkers": _l("Caseworkers"),
    "recipient": _l("Recipient"), "kind": _l("Kind"), "attempts": _l("Attempts"),
    "sent_at": _l("Sent"), "created_at": _l("Created"), "is_enabled": _l("Active"),
    "sync_modes": _l("Sync modes"), "allocation_time": _l("Nightly time"), "pending_rename": _l("Must be renamed"), "seats": _l("Seats"),
    "activity": _l("Activity"), "letter_template": _l("Letter template"),
    "letter_rules": _l("Letters"), "working_time": _l("Working time"), "breaks": _l("Breaks"),
    "deactivated_reason": _l("Why deactivated"), "id": _l("Number"), "locale": _l("Language"),
}

# Further columns, for the audit trail's before/after table: every column of every model
# has a Danish word (tests/unit/test_audit_details.py), so no English key reaches the screen.
FIELD_LABELS: dict[str, Any] = {
    "html": _l("Letter text waiting for its PDF"), "letter": _l("Letter"),
    "beat_at": _l("Last sign of life"), "host": _l("Machine"), "pid": _l("Process number"),
    "started_at": _l("Started"), "stopped_at": _l("Stopped"),
    "blocking": _l("Blocks the calendar"), "body_text": _l("Text"), "busy_until": _l("Busy until"),
    "cancel_reason": _l("Reason for cancellation"), "cancellable_until": _l("Cancellable until"),
    "cancelled_at": _l("Cancelled at"), "content_type": _l("File type"), "cpr": _l("CPR"),
    "created_by_id": _l("Created by"), "created_by_user_id": _l("Created by"), "data": _l("Content"),
    "dedupe_key": _l("Duplicate key"), "end_time": _l("End"), "expires_at": _l("Expires"),
    "fall_date": _l("Fall date"), "filename": _l("File name"), "ics_sequence": _l("Calendar version"),
    "ics_token": _l("Calendar link"), "last_error": _l("Last error"),
    "max_age": _l("Maximum age"), "min_age": _l("Minimum age"), "next_attempt_at": _l("Next attempt"),
    "note": _l("Note"), "offer_id": _l("Online offer"),
    "out_of_slots_notified_at": _l("Told of no free times"), "password_hash": _l("Password"),
    "password_link_expires_at": _l("Password link expires"), "password_link_hash": _l("Password link"),
    "pdf": _l("Letter"), "postal_codes": _l("Postal codes"), "priority": _l("Priority"),
    "purpose": _l("Purpose"), "rebookable_until": _l("Rebookable until"),
    "reserved_until": _l("Reserved until"), "session_version": _l("Login version"),
    "source_uid": _l("Calendar entry id"), "start_time": _l("Start"), "state": _l("State"),
    "summary": _l("Summary"), "template_id": _l("Call-in template"), "token_hash": _l("Key"),
    "token_prefix": _l("Key prefix"), "user_id": _l("User"), "weekday": _l("Weekday"),
}

ENUM_LABELS: dict[enum.Enum, Any] = {
    e.Role.SUPPORT: _l("Support"), e.Role.ADMINISTRATOR: _l("Planner administrator"),
    e.Role.CASEWORKER: _l("Caseworker"),
    e.SyncMode.NONE: _l("None"), e.SyncMode.ONE_WAY: _l("One-way"),
    e.SyncMode.TWO_WAY: _l("Two-way"), e.SyncMode.ONE_WAY_FASIT: _l("One-way (FASIT)"),
    e.MembershipState.ACTIVE: _l("Active"),
    e.MembershipState.CLOSED_KEEP_MEETINGS: _l("Closed, meetings kept"),
    e.MeetingForm.INDIVIDUAL: _l("Individual meeting"), e.MeetingForm.GROUP: _l("Group meeting"),
    e.DeadlineMode.FALL_DATE: _l("Deadline = fall date"),
    e.DeadlineMode.DAYS_BEFORE_FALL_DATE: _l("Deadline N days before the fall date"),
    e.DeadlineMode.DAYS_AFTER_CREATION: _l("Deadline N days after creation"),
    e.Distribution.AUTOMATIC: _l("Distribute automatically"),
    e.Distribution.FIXED_TIME: _l("Fixed time"),
    e.LetterActivity.CALL_IN: _l("Call-in"), e.LetterActivity.MOVE: _l("Move"),
    e.LetterActivity.CANCELLATION: _l("Cancellation"), e.LetterActivity.UPDATE: _l("Update"),
    e.CallInStatus.WAITING: _l("Waiting"), e.CallInStatus.PLACED: _l("Placed"),
    e.CallInStatus.CANCELLED: _l("Cancelled"),
    e.BookingStatus.RESERVED: _l("Reserved"), e.BookingStatus.BOOKED: _l("Booked"),
    e.BookingStatus.CANCELLED: _l("Called off"),
    e.BookingOrigin.CALLED_IN: _l("Called in"), e.BookingOrigin.SELF_BOOKED: _l("Self-booked"),
    e.BookingOrigin.IMPORTED: _l("Imported"),
    e.DeadlineStatus.OPEN: _l("Open"), e.DeadlineStatus.FULFILLED: _l("Fulfilled"),
    e.DeadlineStatus.PASSED: _l("Passed"), e.DeadlineStatus.CANCELLED: _l("Cancelled"),
    e.OutboxStatus.QUEUED: _l("Queued"), e.OutboxStatus.SENT: _l("Sent"),
    e.OutboxStatus.FAILED: _l("Failed"),
    e.LogLevel.INFO: _l("Info"), e.LogLevel.WARNING: _l("Warning"), e.LogLevel.ERROR: _l("Error"),
    e.AuditEvent.CALL_IN_CREATED: _l("Call-in created"),
    e.AuditEvent.CALL_IN_SENT_TO_HUB: _l("Call-in sent to the national data hub"),
    e.AuditEvent.BOOKING_SEEN_BY_CITIZEN: _l("Booking seen by citizen"),
    e.AuditEvent.BOOKING_BEING_MOVED_BY_CITIZEN: _l("Booking being moved by citizen"),
    e.AuditEvent.BOOKING_MOVED_BY_CITIZEN: _l("Booking moved by citizen"),
    e.AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE: _l("Booking being moved by job centre"),
    e.AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE: _l("Booking moved by job centre"),
    e.AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE: _l("Booking cancelled by job centre"),
    e.AuditEvent.BOOKING_CANCELLED_BY_CITIZEN: _l("Booking cancelled by citizen"),
    e.AuditEvent.BOOKING_CREATED: _l("Booking created"),
    e.AuditEvent.BOOKING_DETAILS_VIEWED: _l("Booking details viewed"),
    e.AuditEvent.CASEWORKER_ATTACHED: _l("Caseworker attached"),
    e.AuditEvent.CASEWORKER_DETACHED: _l("Caseworker detached"),
    e.AuditEvent.CITIZEN_ATTACHED: _l("Citizen attached"),
    e.AuditEvent.CITIZEN_DETACHED: _l("Citizen detached"),
    e.AuditEvent.CITIZEN_CARD_VIEWED: _l("Citizen card viewed"),
    e.AuditEvent.ADMIN_CREATED: _l("Created in administration"),
    e.AuditEvent.ADMIN_UPDATED: _l("Changed in administration"),
    e.AuditEvent.ADMIN_DELETED: _l("Deleted in administration"),
    e.AuditEvent.DATA_EXPORTED: _l("Data exported"),
    e.AuditEvent.ABSENCE_REGISTERED: _l("Absence registered"),
    e.AuditEvent.ABSENCE_CHANGED: _l("Absence changed"),
    e.AuditEvent.ABSENCE_REMOVED: _l("Absence removed"),
    e.AbsenceKind.SICKNESS: _l("Sickness"), e.AbsenceKind.HOLIDAY: _l("Holiday"),
    e.AbsenceKind.COURSE: _l("Course"), e.AbsenceKind.OTHER: _l("Other absence"),
}

# The kinds of e-mail the outbox queues (`outbox.enqueue(kind=...)`): stored strings.
OUTBOX_KIND_LABELS: dict[str, Any] = {
    "letter": _l("Letter to the citizen"), "invitation": _l("Calendar invitation to caseworker"),
    "password_link": _l("Password link"), "citizen_booked": _l("Receipt for booking"),
    "citizen_rebooked": _l("Receipt for rebooking"), "citizen_cancelled": _l("Receipt for cancellation"),
    "citizen_reminder": _l("Reminder to the citizen"), "offer_out_of_slots": _l("Online offer out of times"),
}

# What the audit trail's `object_type` (a model's class name) is called on the screens.
OBJECT_LABELS: dict[str, Any] = {
    "ApiClient": _l("API client"), "AuditEntry": _l("Audit entry"),
    "InboundMessage": _l("Inbound message"), "SystemLogEntry": _l("System log entry"),
    "Booking": _l("Booking"), "BookingCaseworker": _l("Caseworker on booking"),
    "BookingParticipant": _l("Participant in booking"), "CallIn": _l("Call-in"),
    "Citizen": _l("Citizen"), "SelfBookingDeadline": _l("Self-booking deadline"),
    "Absence": _l("Absence"), "Break": _l("Break"), "BusyTime": _l("Busy time"),
    "Caseworker": _l("Caseworker"), "Competence": _l("Competence"),
    "TeamMembership": _l("Team membership"), "WorkingTime": _l("Working time"),
    "LocalClosureDay": _l("Local closure day"), "NationalClosureDay": _l("National closure day"),
    "Letter": _l("Letter"), "OutboxAttachment": _l("E-mail attachment"),
    "OutboxMessage": _l("E-mail"), "OnlineOffer": _l("Online offer"), "JobCentre": _l("Job centre"),
    "Team": _l("Team"), "ContactGroup": _l("Contact group"),
    "ConversationType": _l("Conversation type"), "HoldingForm": _l("Holding form"),
    "LetterRule": _l("Letter rule"), "LetterTemplate": _l("Letter template"),
    "Variant": _l("Conversation type variant"), "Room": _l("Meeting room"),
    "CallInTemplate": _l("Call-in template"), "User": _l("User"),
}


# The outcome of an inbound message from the case system (`callins.inbound.Outcome.code`).
INBOUND_OUTCOME_LABELS: dict[str, Any] = {
    "created": _l("Created"), "moved": _l("Moved"), "cancelled": _l("Cancelled"),
    "rejected": _l("Rejected"), "failed": _l("Failed"),
    "ignored_unknown_appointment": _l("Ignored: unknown appointment"),
    "ignored_unknown_caseworker": _l("Ignored: unknown caseworker"),
}


def inbound_outcome_label(outcome: str | None) -> str:
    label = INBOUND_OUTCOME_LABELS.get(outcome or "")
    return str(label) if label is not None else str(_l("Other outcome"))


def outbox_kind_label(kind: str | None) -> str:
    label = OUTBOX_KIND_LABELS.get(kind or "")
    return str(label) if label is not None else str(_l("Other e-mail"))


def object_label(object_type: str | None) -> str:
    label = OBJECT_LABELS.get(object_type or "")
    return str(label) if label is not None else str(_l("Other object"))


# Older name, kept for callers that only need the set of labelled values.
ENUM_LABELS_DA = ENUM_LABELS

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
            _l("Saturday"), _l("Sunday"))

MONTHS = (_l("January"), _l("February"), _l("March"), _l("April"), _l("May"), _l("June"),
          _l("July"), _l("August"), _l("September"), _l("October"), _l("November"), _l("December"))


def enum_label(value: enum.Enum) -> str:
    """The word the screens show for a stored value, in the user's language."""
    label = ENUM_LABELS.get(value)
    return str(label) if label is not None else str(value.value)


# A booking's columns as its revision history names them (R-1.9.1, §1.9).
HISTORY_FIELD_LABELS: dict[str, Any] = {
    "conversation_type_id": _l("Conversation type"), "variant_id": _l("Variant"),
    "holding_form_id": _l("Holding form"), "team_id": _l("Team"), "room_id": _l("Meeting room"),
    "offer_id": _l("Online offer"), "template_id": _l("Call-in template"),
    "expires_at": _l("Reserved until"), "cancellable_until": _l("Cancellation possible until"),
    "rebookable_until": _l("Rebooking possible until"), "cancelled_at": _l("Cancelled at"),
    "cancel_reason": _l("Reason for cancellation"),
}


def field_label(name: str) -> str:
    """A column's label as the screens name it, or the name itself."""
    label = HISTORY_FIELD_LABELS.get(name, COLUMN_LABELS.get(name))
    return str(label) if label is not None else name


def enum_choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(member.value, enum_label(member)) for member in enum_cls]


def _format_enum(view: Any, value: enum.Enum, name: str) -> str:
    return enum_label(value)


ENUM_CLASSES = {type(member) for member in ENUM_LABELS}
def _format_datetime(view: Any, value: datetime, name: str) -> str:
    return value.strftime("%d.%m.%Y %H:%M")


def _format_date(view: Any, value: date, name: str) -> str:
    return value.strftime("%d.%m.%Y")


# Ours first: Flask-Admin takes the first type that matches, and its own `Enum` shows the name.
COLUMN_TYPE_FORMATTERS = {**dict.fromkeys(ENUM_CLASSES, _format_enum), datetime: _format_datetime,
                          date: _format_date, **typefmt.BASE_FORMATTERS}
