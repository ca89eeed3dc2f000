"""Meeting rooms (R-1.4.x)."""

from __future__ import annotations

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, String, Table, Text,
                        UniqueConstraint, false, true)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.models.base import AddressMixin, Model, TenantMixin
from webapp.models.organisation import Team

room_teams = Table(
    "room_teams", Model.metadata,
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Room(TenantMixin, AddressMixin, Model):
    __tablename__ = "rooms"
    __table_args__ = (
        UniqueConstraint("job_centre_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity"),
        CheckConstraint("overbooking_seats >= 0", name="overbooking_seats"),
        # overbooking only with a capacity.
        CheckConstraint("NOT accepts_overbooking OR capacity IS NOT NULL", name="overbooking_needs_capacity"),
        CheckConstraint("accepts_overbooking OR overbooking_seats = 0", name="seats_need_overbooking"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    resource_type: Mapped[str] = mapped_column(String(30), default="meeting_room",
                                               server_default="meeting_room")
    capacity: Mapped[int | None]
    accepts_overbooking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    overbooking_seats: Mapped[int] = mapped_column(default=0, server_default="0")
    email: Mapped[str | None] = mapped_column(String(254))
    usable_for_callins: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    comment: Mapped[str | None] = mapped_column(Text)

    teams: Mapped[list[Team]] = relationship(secondary=room_teams)

    @property
    def seats(self) -> int | None:
        """Citizens a group meeting may seat: capacity + overbooking (R-1.4.3)."""
        if self.capacity is None:
            return None
        return self.capacity + (self.overbooking_seats if self.accepts_overbooking else 0)

    def __str__(self) -> str:
        return self.name
