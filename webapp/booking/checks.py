"""What a booking asks for and the check that every caseworker, the room and the citizens are free (R-2.1, R-3.1)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, select

from webapp.booking.locks import delete_reservations, release_expired_reservations
from webapp.calendar.clashes import (caseworker_busy_clashes, caseworker_clashes, citizen_clashes,
                                     meeting_obstacles, room_clashes)
from webapp.domain.errors import Conflict, DomainError
from webapp.domain.localtime import check_meeting_times
from webapp.extensions import db
from webapp.messages import texts
from webapp.models import BookingOrigin, Caseworker, MeetingForm, Room
from webapp.storage.sql import prepared


class SlotTaken(Conflict):
    code = "slot_taken"


class RaceLost(SlotTaken):
    """The database's overlap constraint refused a booking the check had let through.

    Raised only by a flush without a savepoint: the transaction is over, and the caller
    rolls back and answers "taken" instead of trying another caseworker.
    """


@dataclass
class MeetingRequest:
    """What to book: the meeting fields of a template, offer or call-in, plus a time."""

    job_centre_id: int
    team_id: int
    conversation_type_id: int
    holding_form_id: int
    caseworker_ids: Sequence[int]
    starts_at: datetime
    duration_minutes: int
    origin: BookingOrigin
    citizen_ids: Sequence[int] = ()
    reporting_minutes: int = 0
    meeting_form: MeetingForm = MeetingForm.INDIVIDUAL
    variant_id: int | None = None
    room_id: int | None = None
    offer_id: int | None = None
    template_id: int | None = None
    description: str | None = None
    message_to_caseworkers: str | None = None
    cancellable_until: datetime | None = None
    rebookable_until: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def busy_until(self) -> datetime:
        return self.ends_at + timedelta(minutes=self.reporting_minutes)


def _raise_clashes(clashes: list, *, race: bool) -> None:
    if not clashes:
        return
    first = clashes[0]
    message_da = " ".join(c.message_da for c in clashes)
    message_en = " ".join(c.message_en for c in clashes)
    if race and first.code in ("caseworker_busy", "room_busy"):
        taken = texts("slot_taken")
        raise SlotTaken(f"{taken.da} {message_da}", f"{taken.en} {message_en}", field="starts_at")
    cls = Conflict if first.code in ("caseworker_busy", "caseworker_absent", "room_busy",
                                     "citizen_busy") else DomainError
    raise cls(message_da, message_en, field="starts_at", code=first.code)


def seats_for(meeting_form: MeetingForm, room: Room | None) -> int | None:
    """Citizens a meeting may seat: one, or for a group the room's capacity + overbooking."""
    if meeting_form == MeetingForm.INDIVIDUAL:
        return 1
    return room.seats if room is not None else None


@prepared
def _caseworkers_of_centre(ids: Any) -> Any:
    return select(Caseworker).where(ids(Caseworker.id, "ids"),
                                    Caseworker.job_centre_id == bindparam("centre", type_=Integer()))


def check_free(req: MeetingRequest, *, now: datetime, ignore_booking_ids: Collection[int] = (),
               race: bool = False, working_time_checked: bool = False,
               locked: Iterable[Caseworker] = (),
               release_expired: bool = False) -> list[Caseworker]:
    """Raise unless every caseworker and the room are free for the meeting (R-2.1, R-3.1).

    Returns the meeting's caseworkers; those in `locked` (as `lock_resources` returned them)
    are not looked up again. `release_expired` first deletes the expired reservations
    holding the caseworkers or the room (R-4.7), as a writer under their lock does.
    The message names each clash: closure day, outside working time, the booking in the
    way. With `race=True` (re-check under lock) a clash with a booking is `SlotTaken`.
    With `working_time_checked` the caller has just found the caseworkers free at this
    time through the availability service: closure days, working time and breaks do not
    change with other bookings, so only the bookings and busy times are looked at again.
    """
    # A time the clock skips, or the second of a doubled hour, is refused before anything else.
    check_meeting_times(req.starts_at, req.ends_at)
    if req.starts_at.date() <= now.date() and req.origin == BookingOrigin.SELF_BOOKED:
        raise DomainError.of("too_soon", field="starts_at", code="too_soon")
    if req.starts_at < now:
        raise DomainError("Tidspunktet er overstået.", "That time has passed.",
                          field="starts_at", code="in_the_past")
    if not req.caseworker_ids:
        raise DomainError.of("no_caseworker", field="caseworker_ids", code="no_caseworker")
    wanted = set(req.caseworker_ids)
    locked_ids = {cw.id: cw for cw in locked}
    if wanted <= locked_ids.keys():             # loaded with their lock: no second query
        caseworkers = [locked_ids[cw_id] for cw_id in wanted
                       if locked_ids[cw_id].job_centre_id == req.job_centre_id]
    else:
        caseworkers = db.session.scalars(_caseworkers_of_centre(), {
            "ids": list(wanted), "centre": req.job_centre_id}).all()
    if len(caseworkers) != len(wanted):
        raise DomainError.of("unknown_caseworker", field="caseworker_ids", code="unknown_caseworker")
    if working_time_checked and req.room_id is None:
        # What is left to look at, in one query: bookings, busy times, the citizens'
        # meetings, and the expired holds that would still trip the constraints.
        found = meeting_obstacles(caseworkers, req.citizen_ids, req.starts_at, req.ends_at,
                                  req.busy_until, now=now, ignore_booking_ids=ignore_booking_ids)
        if release_expired:
            delete_reservations(found.expired_holds)
        _raise_clashes(found.caseworkers or found.citizens, race=race)
        return list(caseworkers)
    if release_expired:
        release_expired_reservations(now, caseworker_ids=req.caseworker_ids, room_id=req.room_id)
    clashes = []
    for caseworker in sorted(caseworkers, key=lambda c: c.name):
        if working_time_checked:
            found = caseworker_busy_clashes(caseworker, req.starts_at, req.busy_until, now=now,
                                            ignore_booking_ids=ignore_booking_ids)
        else:
            found = caseworker_clashes(caseworker, req.starts_at, req.busy_until,
                                       team_id=req.team_id, now=now,
                                       ignore_booking_ids=ignore_booking_ids)
        if req.origin == BookingOrigin.IMPORTED:
            # An appointment from the case system is a fact: only another booking stops it.
            found = [c for c in found if c.code == "caseworker_busy"]
        clashes += found
        if clashes and clashes[0].code == "closure_day":
            break
    if req.room_id is not None and not clashes:
        room = db.session.get(Room, req.room_id)
        if room is None or room.job_centre_id != req.job_centre_id:
            raise DomainError("Ukendt lokale.", "Unknown room.", field="room_id",
                              code="unknown_room")
        seats = seats_for(req.meeting_form, room)
        if seats is not None and len(req.citizen_ids) > seats:
            raise DomainError.of("why_room_too_small", field="room_id", code="room_too_small",
                                 room=room.name, seats=seats)
        clashes += room_clashes(room, req.starts_at, req.ends_at, now=now,
                                ignore_booking_ids=ignore_booking_ids)
    if not clashes:
        clashes += citizen_clashes(req.citizen_ids, req.starts_at, req.ends_at, now=now,
                                   ignore_booking_ids=ignore_booking_ids)
    _raise_clashes(clashes, race=race)
    return list(caseworkers)
