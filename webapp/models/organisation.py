"""Job centres and their team trees (R-1.1.x)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import AddressMixin, Model, TenantMixin, created_at_column

# Three digits; BETWEEN per character reads the same in SQLite and PostgreSQL.
MUNICIPALITY_CODE_CHECK = ("municipality_code IS NULL OR (length(municipality_code) = 3"
                           " AND substr(municipality_code, 1, 1) BETWEEN '0' AND '9'"
                           " AND substr(municipality_code, 2, 1) BETWEEN '0' AND '9'"
                           " AND substr(municipality_code, 3, 1) BETWEEN '0' AND '9')")


class JobCentre(Model):
    __tablename__ = "job_centres"
    __table_args__ = (
        CheckConstraint(MUNICIPALITY_CODE_CHECK, name="municipality_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    municipality: Mapped[str] = mapped_column(String(80))
    # The municipality's three-digit code, naming the job centre to the national data hub.
    municipality_code: Mapped[str | None] = mapped_column(String(3))
    # which sync modes the job centre's set-up offers, comma separated.
    sync_modes: Mapped[str] = mapped_column(String(80), default="none,one_way,two_way")
    # When the nightly allocation runs for this job centre, Copenhagen time "HH:MM"; empty:
    # the global PLANNER_ALLOCATION_TIME (planning.status.job_centre_allocation_time).
    allocation_time: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = created_at_column()

    teams: Mapped[list[Team]] = relationship(back_populates="job_centre")

    def __str__(self) -> str:
        return self.name


class Team(TenantMixin, AddressMixin, Model):
    __tablename__ = "teams"
    __table_args__ = (
        # names are unique within a job centre. The default second level
        # created with the root's name is exempt until it is renamed.
        Index("uq_teams_job_centre_name", "job_centre_id", "name", unique=True,
              sqlite_where=text("NOT pending_rename"),
              postgresql_where=text("NOT pending_rename")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    pending_rename: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    job_centre: Mapped[JobCentre] = relationship(back_populates="teams")
    parent: Mapped[Team | None] = relationship(remote_side="Team.id", back_populates="children")
    children: Mapped[list[Team]] = relationship(back_populates="parent", order_by="Team.name")

    def ancestors(self) -> list[Team]:
        """Parent first, root last."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def __str__(self) -> str:
        return self.name
