"""National and local closure days (R-1.3.x)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TenantMixin, created_at_column
from webapp.models.organisation import Team


class NationalClosureDay(Model):
    """Applies to every job centre (R-1.3.1)."""

    __tablename__ = "national_closure_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {self.name}"


local_closure_day_teams = Table(
    "local_closure_day_teams", Model.metadata,
    Column("closure_id", ForeignKey("local_closure_days.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class LocalClosureDay(TenantMixin, Model):
    """Applies to each of its teams and every team below them (R-1.3.2: "til et eller flere
    teams"); edited in the admin with the collision check again (R-8.4)."""

    __tablename__ = "local_closure_days"
    __table_args__ = (CheckConstraint("first_day <= last_day", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    first_day: Mapped[date]
    last_day: Mapped[date]
    created_at: Mapped[datetime] = created_at_column()

    teams: Mapped[list[Team]] = relationship(secondary=local_closure_day_teams, order_by=Team.name)

    def __str__(self) -> str:
        return self.name
