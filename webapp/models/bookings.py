"""Citizens, call-ins (the waiting list), bookings and self-booking deadlines (§3, §4)."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table,
                        Text, UniqueConstraint, text, true)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import AddressMixin, Model, TenantMixin, created_at_column
from webapp.models.enums import (BookingOrigin, BookingStatus, CallInStatus, DeadlineStatus,
                                 MeetingForm, enum_type)
from webapp.models.organisation import Team
from webapp.models.reference import ContactGroup, ConversationType, HoldingForm, Variant
from webapp.models.rooms import Room
from webapp.models.templates import MeetingSpecMixin, meeting_checks
from webapp.models.users import SessionVersionMixin


def overlap_guard(name: str, owner: str, end: str, where: str) -> ExcludeConstraint:
    """R-2.4: PostgreSQL refuses two rows of one owner whose time overlaps (btree_gist).

    SQLite has no exclusion constraints: there writes are serialised and the booking
    service checks first, so the constraint exists for PostgreSQL only.
    """
    return ExcludeConstraint(
        (owner, "="), (text(f"tsrange(starts_at, {end})"), "&&"),
        name=name, using="gist", where=text(where),
    ).ddl_if(dialect="postgresql")


class Citizen(SessionVersionMixin, UserMixin, TenantMixin, AddressMixin, Model):
    __tablename__ = "citizens"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "cpr"),
        CheckConstraint("length(cpr) = 10", name="cpr_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Personal data: shown masked, never logged in clear, every read audited.
    cpr: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_groups.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    contact_group: Mapped[ContactGroup | None] = relationship()

    @property
    def masked_cpr(self) -> str:
        return f"{self.cpr[:6]}-****"

    role = "citizen"
    can_administer = False
    is_support = False

    def get_id(self) -> str:
        return f"citizen:{self.id}:{self.session_version}"

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_cpr})"


callin_caseworkers = Table(
    "callin_caseworkers", Model.metadata,
    Column("callin_id", ForeignKey("callins.id", ondelete="CASCADE"), primary_key=True),
    Column("caseworker_id", ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True),
)


class CallIn(TenantMixin, MeetingSpecMixin, Model):
    """A citizen called in; waits on the waiting list until placed (R-3.1, R-3.4)."""

    __tablename__ = "callins"
    __table_args__ = (
        *meeting_checks(),
        CheckConstraint("earliest_date <= deadline_date", name="window"),
        CheckConstraint("priority > 0", name="priority"),
        Index("ix_callins_waiting", "job_centre_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="RESTRICT"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("callin_templates.id", ondelete="SET NULL"))
    fall_date: Mapped[date | None]
    earliest_date: Mapped[date]
    deadline_date: Mapped[date]
    priority: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[CallInStatus] = mapped_column(
        enum_type(CallInStatus), default=CallInStatus.WAITING)
    # why the optimiser could not place it, in words a caseworker understands.
    unplaced_reason: Mapped[str | None] = mapped_column(String(500))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    citizen: Mapped[Citizen] = relationship()
    caseworkers = relationship("Caseworker", secondary=callin_caseworkers)
    booking: Mapped[Booking | None] = relationship(foreign_keys=[booking_id])


class Booking(TenantMixin, Model):
    """A meeting in the calendars: the conversation number is its id.

    A reservation (R-4.7) is a booking in status `reserved` with `expires_at`; it blocks
    the time like a booking until it is confirmed or expires.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="order"),
        CheckConstraint("reporting_minutes >= 0", name="reporting"),
        CheckConstraint("seats IS NULL OR seats > 0", name="seats"),
        CheckConstraint("status <> 'reserved' OR expires_at IS NOT NULL", name="reservation_expiry"),
        Index("ix_bookings_room_time", "room_id", "starts_at"),
        Index("ix_bookings_team_time", "team_id", "starts_at"),
        # a room holds one live meeting at a time.
        overlap_guard("ex_bookings_room_no_overlap", "room_id", "ends_at",
                      where="room_id IS NOT NULL AND status <> 'cancelled'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_type_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_types.id", ondelete="RESTRICT"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"))
    meeting_form: Mapped[MeetingForm] = mapped_column(enum_type(MeetingForm))
    holding_form_id: Mapped[int] = mapped_column(ForeignKey("holding_forms.id", ondelete="RESTRICT"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("online_offers.id", ondelete="SET NULL"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("callin_templates.id", ondelete="SET NULL"))
    # Europe/Copenhagen wall-clock, naive: a 09:00 meeting stays at 09:00.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reporting_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # Group meetings: how many citizens may attend (room capacity + overbooking).
    seats: Mapped[int | None]
    status: Mapped[BookingStatus] = mapped_column(
        enum_type(BookingStatus), default=BookingStatus.BOOKED)
    origin: Mapped[BookingOrigin] = mapped_column(enum_type(BookingOrigin))
    expires_at: Mapped[datetime | None]
    # what the citizen may do, and until when.
    cancellable_until: Mapped[datetime | None]
    rebookable_until: Mapped[datetime | None]
    description: Mapped[str | None] = mapped_column(Text)
    message_to_caseworkers: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    # RFC 5545 SEQUENCE of the calendar invitation.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    external_id: Mapped[str | None] = mapped_column(String(100), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    conversation_type: Mapped[ConversationType] = relationship()
    variant: Mapped[Variant | None] = relationship()
    holding_form: Mapped[HoldingForm] = relationship()
    team: Mapped[Team] = relationship()
    room: Mapped[Room | None] = relationship()
    caseworker_links: Mapped[list[BookingCaseworker]] = relationship(
        back_populates="booking", cascade="all, delete-orphan")
    participants: Mapped[list[BookingParticipant]] = relationship(
        back_populates="booking", cascade="all, delete-orphan")

    @property
    def caseworkers(self) -> list:
        return [link.caseworker for link in self.caseworker_links]

    def __str__(self) -> str:
        return f"#{self.id} {self.starts_at:%Y-%m-%d %H:%M}"


class BookingCaseworker(Model):
    """A caseworker's time taken by a booking, reporting time included.

    The times repeat the booking's so that PostgreSQL's exclusion constraint can forbid
    two overlapping blocking rows of one caseworker (R-2.4).
    """

    __tablename__ = "booking_caseworkers"
    __table_args__ = (
        CheckConstraint("starts_at < busy_until", name="order"),
        Index("ix_booking_caseworkers_time", "caseworker_id", "starts_at"),
        overlap_guard("ex_booking_caseworkers_no_overlap", "caseworker_id", "busy_until",
                      where="blocking"),
    )

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="RESTRICT"), primary_key=True)
    starts_at: Mapped[datetime]
    busy_until: Mapped[datetime]
    blocking: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    booking: Mapped[Booking] = relationship(back_populates="caseworker_links")
    caseworker = relationship("Caseworker")


class BookingParticipant(Model):
    """A citizen attending a booking; group meetings have many (R-1.4.3)."""

    __tablename__ = "booking_participants"
    __table_args__ = (UniqueConstraint("booking_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizens.id", ondelete="RESTRICT"), index=True)
    # A seat held for a self-booking citizen until confirmed; None = attending.
    reserved_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

    booking: Mapped[Booking] = relationship(back_populates="participants")
    citizen: Mapped[Citizen] = relationship()


class SelfBookingDeadline(TenantMixin, Model):
    """A citizen must self-book a conversation of a type before a date (R-4.8)."""

    __tablename__ = "self_booking_deadlines"
    __table_args__ = (
        # One open deadline per citizen and type; one booking fulfils one deadline.
        Index("uq_self_booking_deadlines_open", "citizen_id", "conversation_type_id",
              unique=True, sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
        UniqueConstraint("booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    conversation_type_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_types.id", ondelete="RESTRICT"))
    deadline_date: Mapped[date]
    status: Mapped[DeadlineStatus] = mapped_column(
        enum_type(DeadlineStatus), default=DeadlineStatus.OPEN)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    citizen: Mapped[Citizen] = relationship()
    conversation_type: Mapped[ConversationType] = relationship()
