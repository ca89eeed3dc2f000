"""Call-in templates (R-1.5.x) and the meeting fields they share with offers and call-ins."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, String, Table, Text,
                        UniqueConstraint, false, true)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from webapp.models.base import Model, TenantMixin
from webapp.models.enums import DeadlineMode, Distribution, MeetingForm, enum_type
from webapp.models.organisation import Team
from webapp.models.reference import ConversationType, HoldingForm, Variant
from webapp.models.rooms import Room


class MeetingSpecMixin:
    """What kind of meeting, with whom and where: shared by templates, offers, call-ins."""

    conversation_type_id: Mapped[int] = mapped_column(
        ForeignKey("conversation_types.id", ondelete="RESTRICT"))
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"))
    meeting_form: Mapped[MeetingForm] = mapped_column(
        enum_type(MeetingForm), default=MeetingForm.INDIVIDUAL)
    holding_form_id: Mapped[int] = mapped_column(ForeignKey("holding_forms.id", ondelete="RESTRICT"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    duration_minutes: Mapped[int] = mapped_column(default=30)
    # Post-processing reserved in the caseworker's calendar after the meeting.
    reporting_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    description: Mapped[str | None] = mapped_column(Text)

    @declared_attr
    def conversation_type(cls) -> Mapped[ConversationType]:
        return relationship()

    @declared_attr
    def variant(cls) -> Mapped[Variant | None]:
        return relationship()

    @declared_attr
    def holding_form(cls) -> Mapped[HoldingForm]:
        return relationship()

    @declared_attr
    def team(cls) -> Mapped[Team]:
        return relationship()

    @declared_attr
    def room(cls) -> Mapped[Room | None]:
        return relationship()


def meeting_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 480", name="duration"),
        CheckConstraint("reporting_minutes >= 0 AND reporting_minutes <= 240", name="reporting"),
    )


class SelfBookingTermsMixin:
    """The online-booking tab: what a citizen may do and when (R-1.5.3, R-4.1, R-4.5)."""

    accept_cancellation: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    accept_rebooking: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    rebooking_until_days: Mapped[int] = mapped_column(default=1, server_default="1")
    citizen_chooses_caseworker: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    first_meeting_date: Mapped[date | None]
    fixed_end_date: Mapped[date | None]
    rolling_end_weeks: Mapped[int | None]
    visible_from: Mapped[date | None]


def terms_checks() -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("rebooking_until_days >= 0", name="rebooking_until_days"),
        CheckConstraint("rolling_end_weeks IS NULL OR rolling_end_weeks > 0", name="rolling_end_weeks"),
        CheckConstraint("fixed_end_date IS NULL OR first_meeting_date IS NULL "
                        "OR fixed_end_date >= first_meeting_date", name="end_after_first"),
    )


template_caseworkers = Table(
    "template_caseworkers", Model.metadata,
    Column("template_id", ForeignKey("callin_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("caseworker_id", ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True),
)

template_contact_groups = Table(
    "template_contact_groups", Model.metadata,
    Column("template_id", ForeignKey("callin_templates.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_group_id", ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True),
)


class CallInTemplate(TenantMixin, MeetingSpecMixin, SelfBookingTermsMixin, Model):
    __tablename__ = "callin_templates"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "name"),
        *meeting_checks(),
        *terms_checks(),
        CheckConstraint("deadline_days IS NULL OR deadline_days >= 0", name="deadline_days"),
        CheckConstraint("deadline_mode = 'fall_date' OR deadline_days IS NOT NULL",
                        name="deadline_days_needed"),
        CheckConstraint("earliest_after_days IS NULL OR earliest_after_days >= 0",
                        name="earliest_after_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    deadline_mode: Mapped[DeadlineMode] = mapped_column(
        enum_type(DeadlineMode), default=DeadlineMode.DAYS_AFTER_CREATION)
    deadline_days: Mapped[int | None]
    distribution: Mapped[Distribution] = mapped_column(
        enum_type(Distribution), default=Distribution.AUTOMATIC)
    earliest_after_days: Mapped[int | None]
    message_to_caseworkers: Mapped[str | None] = mapped_column(Text)
    letter_text: Mapped[str | None] = mapped_column(Text)
    activate_offer_at_once: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())

    caseworkers = relationship("Caseworker", secondary=template_caseworkers)
    contact_groups = relationship("ContactGroup", secondary=template_contact_groups)

    def __str__(self) -> str:
        return self.name
