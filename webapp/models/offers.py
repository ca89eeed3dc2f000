"""Online offers citizens book themselves (R-4.1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, String, Table,
                        UniqueConstraint, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TenantMixin, created_at_column
from webapp.models.templates import (MeetingSpecMixin, SelfBookingTermsMixin, meeting_checks,
                                     terms_checks)

offer_caseworkers = Table(
    "offer_caseworkers", Model.metadata,
    Column("offer_id", ForeignKey("online_offers.id", ondelete="CASCADE"), primary_key=True),
    Column("caseworker_id", ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True),
)

offer_contact_groups = Table(
    "offer_contact_groups", Model.metadata,
    Column("offer_id", ForeignKey("online_offers.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_group_id", ForeignKey("contact_groups.id", ondelete="CASCADE"), primary_key=True),
)


class OnlineOffer(TenantMixin, MeetingSpecMixin, SelfBookingTermsMixin, Model):
    __tablename__ = "online_offers"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "name"),
        *meeting_checks(),
        *terms_checks(),
        CheckConstraint("fixed_end_date IS NOT NULL OR rolling_end_weeks IS NOT NULL",
                        name="has_end"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
                        name="age_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("callin_templates.id", ondelete="SET NULL"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Why it was switched off by the system, shown until reactivated.
    deactivated_reason: Mapped[str | None] = mapped_column(String(200))
    # set when the out-of-slots e-mail went; cleared when slots return.
    out_of_slots_notified_at: Mapped[datetime | None]
    # Rules besides the contact groups: the citizen's age on the day they look,
    # and their postal code ("8000-8099, 8200"); empty means anyone.
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    postal_codes: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()

    caseworkers = relationship("Caseworker", secondary=offer_caseworkers)
    contact_groups = relationship("ContactGroup", secondary=offer_contact_groups)

    def last_day(self, today: date) -> date | None:
        """The last bookable day: the fixed end, the rolling end (whole weeks from today), or the earlier."""
        ends = []
        if self.fixed_end_date is not None:
            ends.append(self.fixed_end_date)
        if self.rolling_end_weeks:
            ends.append(today + timedelta(weeks=self.rolling_end_weeks))
        return min(ends) if ends else None

    def __str__(self) -> str:
        return self.name
