"""What a booking change means for self-booking: the citizen's deadline and the offer's slots (R-6.7, R-4.8, R-4.6).

Both listen to `booking_changed`, so every writer has them: self-booking, rebooking and
cancelling in the portal and the API, the staff's move and cancel, the batch, the case
system's appointments. The deadline is kept right inside the writer's transaction; the
out-of-slots check reads what other transactions committed, so it is queued to run once
after the commit, one per offer, and not at all when the transaction rolls back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from webapp.booking.events import after_commit, booking_changed
from webapp.extensions import db
from webapp.models import Booking, OnlineOffer
from webapp.selfbooking import deadlines, out_of_slots


def _attending(booking: Booking) -> list[int]:
    return [p.citizen_id for p in booking.participants if p.reserved_until is None]


def keep_deadlines(booking: Booking, *, change: str, now: datetime, previous: Any = None,
                   hints: dict[str, Any] | None = None, **_: Any) -> None:
    """R-4.8: fulfilled by a booking in time, reopened when it is cancelled, left or moved too late,
    and carried over when a citizen's group seat moves to another meeting."""
    today = now.date()
    previous = previous if isinstance(previous, dict) else {}
    if change == "created":
        for index, citizen_id in enumerate(_attending(booking)):
            if "from" in previous:
                deadlines.transfer(previous["from"], booking, citizen_id, today=today)
            else:
                # A new booking: nothing points at it until the first citizen's deadline does.
                deadlines.fulfil(booking, citizen_id, today=today, new=index == 0,
                                 open_deadlines=(hints or {}).get("open_deadlines"))
    elif change == "moved":
        for citizen_id in _attending(booking):
            deadlines.after_move(booking, citizen_id, today=today)
    elif change == "cancelled":
        for citizen_id in _attending(booking):
            deadlines.release(booking, citizen_id, today=today)
    elif change == "participants":
        if previous.get("added") and "from" in previous:
            deadlines.transfer(previous["from"], booking, previous["added"], today=today)
        elif previous.get("added"):
            deadlines.fulfil(booking, previous["added"], today=today)
        elif previous.get("removed"):
            deadlines.release(booking, previous["removed"], today=today)


def queue_out_of_slots_check(booking: Booking, *, change: str, now: datetime,
                             previous: Any = None, hints: dict[str, Any] | None = None,
                             **_: Any) -> None:
    """R-4.6: after the commit, the offer's team hears once when its last slot went, and the
    notice re-arms when slots come back. One check per offer and transaction."""
    if booking.offer_id is None:
        return
    session = db.session()
    offer = session.get(OnlineOffer, booking.offer_id)  # in the session already: no query
    if offer is None:
        return
    taken = change in ("created", "moved") or (
        change == "participants" and isinstance(previous, dict) and bool(previous.get("added")))
    near = booking.starts_at if taken else None
    first = booking.caseworker_links[0] if taken and booking.caseworker_links else None
    others_free = tuple((hints or {}).get("others_free", ())) if change == "created" else ()
    offer_id, notified = offer.id, offer.out_of_slots_notified_at is not None
    caseworker_id = first.caseworker_id if first is not None else None
    busy_until = first.busy_until if first is not None else None

    def check() -> None:
        out_of_slots.check_after_commit(offer_id, now, near=near, others_free=others_free,
                                        caseworker_id=caseworker_id, busy_until=busy_until,
                                        notified=notified)

    after_commit(session, check, key=("out_of_slots", offer_id))


def connect() -> None:
    """Connect once per process (blinker ignores a second connect of the same function)."""
    booking_changed.connect(keep_deadlines, weak=False)
    booking_changed.connect(queue_out_of_slots_check, weak=False)
