"""Caseworkers, their teams, working time, breaks and imported busy times (R-1.2.x)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, String, Table,
                        UniqueConstraint, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import Model, TenantMixin, created_at_column
from webapp.models.enums import AbsenceKind, MembershipState, SyncMode, enum_type
from webapp.models.organisation import Team

caseworker_competences = Table(
    "caseworker_competences", Model.metadata,
    Column("caseworker_id", ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True),
    Column("competence_id", ForeignKey("competences.id", ondelete="CASCADE"), primary_key=True),
)


class Caseworker(TenantMixin, Model):
    __tablename__ = "caseworkers"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "email"),
        # identified by a RID (certificate) or, for FASIT customers, a GUID.
        CheckConstraint("(rid IS NULL) <> (guid IS NULL)", name="rid_or_guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    initials: Mapped[str | None] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    rid: Mapped[str | None] = mapped_column(String(20))
    guid: Mapped[str | None] = mapped_column(String(36))
    can_be_assigned_callins: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true())
    sync_mode: Mapped[SyncMode] = mapped_column(
        enum_type(SyncMode), default=SyncMode.ONE_WAY, server_default=SyncMode.ONE_WAY.value)
    busy_calendar_url: Mapped[str | None] = mapped_column(String(500))
    # Secret token of the private ICS feed; None = feed revoked.
    ics_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="caseworker", cascade="all, delete-orphan")
    working_times: Mapped[list[WorkingTime]] = relationship(
        cascade="all, delete-orphan", order_by="WorkingTime.weekday")
    breaks: Mapped[list[Break]] = relationship(
        cascade="all, delete-orphan", order_by="(Break.weekday, Break.start_time)")
    competences: Mapped[list[Competence]] = relationship(secondary=caseworker_competences)

    @property
    def teams(self) -> list[Team]:
        return [m.team for m in self.memberships if m.state == MembershipState.ACTIVE]

    def __str__(self) -> str:
        return self.name


class TeamMembership(Model):
    """Membership of the marked team only, not its sub-teams (R-1.2.4)."""

    __tablename__ = "team_memberships"

    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[MembershipState] = mapped_column(
        enum_type(MembershipState), default=MembershipState.ACTIVE,
        server_default=MembershipState.ACTIVE.value)

    caseworker: Mapped[Caseworker] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship()


class WorkingTime(Model):
    """One interval per weekday (R-1.2.5); 00:00-00:00 means no working time."""

    __tablename__ = "working_times"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time OR (start_time = end_time)", name="order"),
    )

    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    start_time: Mapped[time]
    end_time: Mapped[time]

    @property
    def is_working(self) -> bool:
        return self.start_time < self.end_time


class Break(Model):
    """Any number per weekday, inside working time, not overlapping (R-1.2.6)."""

    __tablename__ = "breaks"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("start_time < end_time", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]


class BusyTime(Model):
    """Busy time imported from a caseworker's own calendar (R-5.2)."""

    __tablename__ = "busy_times"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="order"),
        UniqueConstraint("caseworker_id", "source_uid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    source_uid: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str | None] = mapped_column(String(200))


class Absence(TenantMixin, Model):
    """A caseworker away: sick, on holiday, on a course (R-6.4). Blocks time like a closure.

    Whole days run from 00:00 to 00:00 of the day after the last one; part days are any
    interval. Times are local wall-clock times, as the bookings' are.
    """

    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caseworker_id: Mapped[int] = mapped_column(
        ForeignKey("caseworkers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AbsenceKind] = mapped_column(enum_type(AbsenceKind))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at_column()

    caseworker: Mapped[Caseworker] = relationship()

    @property
    def whole_days(self) -> bool:
        return self.starts_at.time() == time(0) and self.ends_at.time() == time(0)

    def __str__(self) -> str:
        return f"{self.caseworker} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%Y-%m-%d %H:%M}"


class Competence(TenantMixin, Model):
    """In the model but not used (R-1.2.11)."""

    __tablename__ = "competences"
    __table_args__ = (UniqueConstraint("job_centre_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return self.name
