"""Danish words for the stored vocabularies, as the screens show them."""

from __future__ import annotations

import enum
from typing import Any

from flask_admin.model import typefmt

from webapp.models import enums as e

ENUM_LABELS_DA: dict[enum.Enum, str] = {
    e.Role.SUPPORT: "Support", e.Role.ADMINISTRATOR: "Planner-administrator",
    e.Role.CASEWORKER: "Vejleder",
    e.SyncMode.NONE: "Ingen", e.SyncMode.ONE_WAY: "Envejs", e.SyncMode.TWO_WAY: "Tovejs",
    e.SyncMode.ONE_WAY_FASIT: "Envejs (FASIT)",
    e.MembershipState.ACTIVE: "Aktiv",
    e.MembershipState.CLOSED_KEEP_MEETINGS: "Lukket, møder bevaret",
    e.MeetingForm.INDIVIDUAL: "Individuelt møde", e.MeetingForm.GROUP: "Fællesmøde",
    e.DeadlineMode.FALL_DATE: "Frist = falddato",
    e.DeadlineMode.DAYS_BEFORE_FALL_DATE: "Frist N dage før falddato",
    e.DeadlineMode.DAYS_AFTER_CREATION: "Frist N dage efter oprettelse",
    e.Distribution.AUTOMATIC: "Fordel automatisk", e.Distribution.FIXED_TIME: "Fast tidspunkt",
    e.LetterActivity.CALL_IN: "Indkaldelse", e.LetterActivity.MOVE: "Flytning",
    e.LetterActivity.CANCELLATION: "Aflysning", e.LetterActivity.UPDATE: "Opdatering",
    e.CallInStatus.WAITING: "Afventer", e.CallInStatus.PLACED: "Placeret",
    e.CallInStatus.CANCELLED: "Annulleret",
    e.BookingStatus.RESERVED: "Reserveret", e.BookingStatus.BOOKED: "Booket",
    e.BookingStatus.CANCELLED: "Aflyst",
    e.BookingOrigin.CALLED_IN: "Indkaldt", e.BookingOrigin.SELF_BOOKED: "Selvbooket",
    e.BookingOrigin.IMPORTED: "Importeret",
    e.DeadlineStatus.OPEN: "Åben", e.DeadlineStatus.FULFILLED: "Opfyldt",
    e.DeadlineStatus.PASSED: "Overskredet", e.DeadlineStatus.CANCELLED: "Annulleret",
    e.OutboxStatus.QUEUED: "I kø", e.OutboxStatus.SENT: "Sendt", e.OutboxStatus.FAILED: "Fejlet",
    e.LogLevel.INFO: "Info", e.LogLevel.WARNING: "Advarsel", e.LogLevel.ERROR: "Fejl",
    e.AuditEvent.CALL_IN_CREATED: "Indkaldelse oprettet",
    e.AuditEvent.CALL_IN_SENT_TO_HUB: "Indkaldelse sendt til DFDG",
    e.AuditEvent.BOOKING_SEEN_BY_CITIZEN: "Booking set af borger",
    e.AuditEvent.BOOKING_BEING_MOVED_BY_CITIZEN: "Booking under flytning af borger",
    e.AuditEvent.BOOKING_MOVED_BY_CITIZEN: "Booking flyttet af borger",
    e.AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE: "Booking under flytning af jobcenter",
    e.AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE: "Booking flyttet af jobcenter",
    e.AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE: "Booking aflyst af jobcenter",
    e.AuditEvent.BOOKING_CANCELLED_BY_CITIZEN: "Booking aflyst af borger",
    e.AuditEvent.BOOKING_CREATED: "Booking oprettet",
    e.AuditEvent.BOOKING_DETAILS_VIEWED: "Bookingdetaljer vist",
    e.AuditEvent.CASEWORKER_ATTACHED: "Vejleder tilknyttet",
    e.AuditEvent.CASEWORKER_DETACHED: "Vejleder fjernet",
    e.AuditEvent.CITIZEN_ATTACHED: "Borger tilknyttet",
    e.AuditEvent.CITIZEN_DETACHED: "Borger fjernet",
    e.AuditEvent.CITIZEN_CARD_VIEWED: "Borgerkort vist",
    e.AuditEvent.ADMIN_CREATED: "Oprettet i administration",
    e.AuditEvent.ADMIN_UPDATED: "Ændret i administration",
    e.AuditEvent.ADMIN_DELETED: "Slettet i administration",
}


def enum_label(value: enum.Enum) -> str:
    return ENUM_LABELS_DA.get(value, str(value.value))


def _format_enum(view: Any, value: enum.Enum, name: str) -> str:
    return enum_label(value)


ENUM_CLASSES = {type(member) for member in ENUM_LABELS_DA}
COLUMN_TYPE_FORMATTERS = {**typefmt.BASE_FORMATTERS, **dict.fromkeys(ENUM_CLASSES, _format_enum)}
