"""Closed vocabularies stored as checked strings in both databases."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class Role(enum.StrEnum):
    SUPPORT = "support"
    ADMINISTRATOR = "administrator"
    CASEWORKER = "caseworker"


class SyncMode(enum.StrEnum):
    NONE = "none"
    ONE_WAY = "one_way"
    TWO_WAY = "two_way"
    ONE_WAY_FASIT = "one_way_fasit"


class MembershipState(enum.StrEnum):
    ACTIVE = "active"
    # R-1.2.8 "Close and keep meetings": existing meetings stay, no new self-bookings.
    CLOSED_KEEP_MEETINGS = "closed_keep_meetings"


class MeetingForm(enum.StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


class DeadlineMode(enum.StrEnum):
    FALL_DATE = "fall_date"
    DAYS_BEFORE_FALL_DATE = "days_before_fall_date"
    DAYS_AFTER_CREATION = "days_after_creation"


class Distribution(enum.StrEnum):
    AUTOMATIC = "automatic"
    FIXED_TIME = "fixed_time"


class LetterActivity(enum.StrEnum):
    CALL_IN = "call_in"
    MOVE = "move"
    CANCELLATION = "cancellation"
    UPDATE = "update"


class CallInStatus(enum.StrEnum):
    WAITING = "waiting"
    PLACED = "placed"
    CANCELLED = "cancelled"


class BookingStatus(enum.StrEnum):
    RESERVED = "reserved"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class BookingOrigin(enum.StrEnum):
    CALLED_IN = "called_in"
    SELF_BOOKED = "self_booked"
    IMPORTED = "imported"


class DeadlineStatus(enum.StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    PASSED = "passed"
    CANCELLED = "cancelled"


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class AuditEvent(enum.StrEnum):
    """R-1.9.1: the events the audit trail records."""

    CALL_IN_CREATED = "call_in_created"
    CALL_IN_SENT_TO_HUB = "call_in_sent_to_hub"
    BOOKING_SEEN_BY_CITIZEN = "booking_seen_by_citizen"
    BOOKING_BEING_MOVED_BY_CITIZEN = "booking_being_moved_by_citizen"
    BOOKING_MOVED_BY_CITIZEN = "booking_moved_by_citizen"
    BOOKING_BEING_MOVED_BY_JOB_CENTRE = "booking_being_moved_by_job_centre"
    BOOKING_MOVED_BY_JOB_CENTRE = "booking_moved_by_job_centre"
    BOOKING_CANCELLED_BY_JOB_CENTRE = "booking_cancelled_by_job_centre"
    BOOKING_CANCELLED_BY_CITIZEN = "booking_cancelled_by_citizen"
    BOOKING_CREATED = "booking_created"
    BOOKING_DETAILS_VIEWED = "booking_details_viewed"
    CASEWORKER_ATTACHED = "caseworker_attached"
    CASEWORKER_DETACHED = "caseworker_detached"
    CITIZEN_ATTACHED = "citizen_attached"
    CITIZEN_DETACHED = "citizen_detached"
    CITIZEN_CARD_VIEWED = "citizen_card_viewed"
    ADMIN_CREATED = "admin_created"
    ADMIN_UPDATED = "admin_updated"
    ADMIN_DELETED = "admin_deleted"
    DATA_EXPORTED = "data_exported"
    ABSENCE_REGISTERED = "absence_registered"
    ABSENCE_CHANGED = "absence_changed"
    ABSENCE_REMOVED = "absence_removed"


class AbsenceKind(enum.StrEnum):
    """R-6.4: why a caseworker is away."""

    SICKNESS = "sickness"
    HOLIDAY = "holiday"
    COURSE = "course"
    OTHER = "other"


class LogLevel(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def enum_type(enum_cls: type[enum.StrEnum], name: str | None = None) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, values stored."""
    return sa.Enum(
        enum_cls,
        name=name or enum_cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
