"""National and local closure days (R-1.3.x)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
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


class LocalClosureDay(TenantMixin, Model):
    """Applies to its team and every team below it (R-1.3.2); never edited (R-1.3.3)."""

    __tablename__ = "local_closure_days"
    __table_args__ = (CheckConstraint("first_day <= last_day", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    first_day: Mapped[date]
    last_day: Mapped[date]
    created_at: Mapped[datetime] = created_at_column()

    team: Mapped[Team] = relationship()

    def __str__(self) -> str:
        return self.name
