"""Meeting rooms: capacity, overbooking, address, teams, delete guard (R-1.4.x)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from webapp.domain import bounds
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, BookingStatus, Room
from webapp.administration.teams import clean_contact_fields

RESOURCE_TYPES = ("meeting_room",)


def validate_room(room: Room) -> None:
    room.name = (room.name or "").strip()
    if not room.name:
        raise DomainError("Skriv mødelokalets navn.", "Enter the meeting room's name.", field="name")
    duplicate = db.session.scalar(select(Room.id).where(
        Room.job_centre_id == room.job_centre_id, func.lower(Room.name) == room.name.lower(),
        Room.id != (room.id or 0)))
    if duplicate is not None:
        raise DomainError(f"Der findes allerede et mødelokale med navnet »{room.name}«. Navnet skal være unikt.",
                          f"A meeting room named '{room.name}' already exists. The name must be unique.",
                          field="name", code="duplicate_name")
    if (room.resource_type or "meeting_room") not in RESOURCE_TYPES:
        raise DomainError("Ressourcetypen kan kun være Mødelokale.",
                          "The resource type can only be Meeting room.", field="resource_type")
    room.resource_type = room.resource_type or "meeting_room"
    if room.capacity is not None and room.capacity < 1:
        raise DomainError(
            f"Kapaciteten {room.capacity} er ugyldig: skriv et antal personer på mindst 1, "
            "eller lad feltet stå tomt for ubegrænset.",
            f"The capacity {room.capacity} is invalid: enter at least 1 person, or leave the "
            "field empty for unlimited.", field="capacity", code="capacity_invalid")
    bounds.check_integer(room.capacity, "Maks. kapacitet", "Maximum capacity", maximum=bounds.SEATS_MAX,
                         field="capacity")
    bounds.check_integer(room.overbooking_seats, "Ekstra pladser", "Extra seats", maximum=bounds.SEATS_MAX,
                         field="overbooking_seats")
    seats = room.overbooking_seats or 0
    if room.accepts_overbooking:
        if room.capacity is None:
            raise DomainError("Overbooking kræver en maksimal kapacitet. Angiv kapaciteten først.",
                              "Overbooking needs a maximum capacity. Enter the capacity first.",
                              field="accepts_overbooking", code="overbooking_without_capacity")
        if seats < 1:
            raise DomainError("Angiv hvor mange ekstra pladser der kan overbookes med (mindst 1).",
                              "Enter how many extra seats may be overbooked (at least 1).",
                              field="overbooking_seats", code="overbooking_seats")
    elif seats:
        if seats < 0:
            raise DomainError("Antallet af ekstra pladser kan ikke være negativt.",
                              "The number of extra seats cannot be negative.",
                              field="overbooking_seats", code="overbooking_seats")
        room.overbooking_seats = 0
    room.overbooking_seats = room.overbooking_seats or 0
    if not room.teams:
        raise DomainError("Vælg mindst ét team, der må bruge mødelokalet.",
                          "Choose at least one team that may use the meeting room.",
                          field="teams", code="team_missing")
    clean_contact_fields(room)


def check_delete(room: Room, now: datetime) -> None:
    """R-1.4.5: a room with future meetings cannot be deleted; past ones stay in the history."""
    future = db.session.scalar(select(func.count(Booking.id)).where(
        Booking.room_id == room.id, Booking.starts_at >= now, Booking.status != BookingStatus.CANCELLED))
    if future:
        raise DomainError(
            f"Mødelokalet »{room.name}« har {future} kommende samtaler og kan ikke slettes. "
            "Ombook dem til andre mødelokaler eller aflys dem først.",
            f"The meeting room '{room.name}' has {future} future meetings and cannot be deleted. "
            "Rebook them to other rooms or cancel them first.", code="room_has_meetings")
    if db.session.scalar(select(func.count(Booking.id)).where(Booking.room_id == room.id)):
        raise DomainError(
            f"Mødelokalet »{room.name}« har samtaler i historikken og kan ikke slettes. "
            "Fjern i stedet markeringen »Kan bruges til indkaldelser«.",
            f"The meeting room '{room.name}' has meetings in the history and cannot be deleted. "
            "Untick 'Can be used for call-ins' instead.", code="room_has_history")
