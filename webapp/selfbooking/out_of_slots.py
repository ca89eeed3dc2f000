"""The team's one e-mail when an online offer's last slot goes, re-armed when slots come back (R-1.1.5, R-4.6)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from webapp.calendar.availability import caseworker_busy
from webapp.extensions import db
from webapp.messaging import outbox
from webapp.models import LogLevel, OnlineOffer, SystemLogEntry, Team
from webapp.selfbooking.offers import end_date
from webapp.selfbooking.slots import has_free_slot
from webapp.storage.sql import prepared

log = logging.getLogger(__name__)


def notification_address(team: Team | None) -> tuple[Team, str] | None:
    """The team's e-mail, or the nearest ancestor's that has one (R-1.1.5)."""
    node = team
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        if node.email:
            return node, node.email
        node = node.parent
    return None


@prepared
def _offer_alone(ids: Any) -> Any:
    # The offer's own row: after the commit, reloading it with everything the booking
    # loaded alongside would cost more than the check itself.
    return select(OnlineOffer).where(OnlineOffer.id == bindparam("id"))


def check_after_commit(offer_id: int | None, now: datetime, *, near: datetime | None = None,
                       caseworker_id: int | None = None, others_free: Iterable[int] = (),
                       busy_until: datetime | None = None, notified: bool | None = None) -> None:
    """R-4.6 after a booking's commit, queued by the booking-change event for any change of a
    booking of the offer (`selfbooking/listeners.py`): commits its own change, and a failure
    here never undoes the booking (the nightly sweep catches up).

    The usual answer costs one query: `others_free` (caseworkers found free at `near`
    before the booking, each busy until `busy_until` if booked) still has one free, and
    the offer was not marked out of slots (`notified`, read before the booking) — then
    there is nothing to change and the offer is not loaded again.
    """
    if offer_id is None:
        return
    others = list(others_free)
    try:
        if others and near is not None and busy_until is not None and notified is False:
            busy = caseworker_busy(others, near, busy_until, now=now)
            if any(not busy.get(cw) for cw in others):
                return
        offer = db.session.scalars(_offer_alone(), {"id": offer_id}).one_or_none()
        if offer is not None:
            refresh_out_of_slots(offer, now, near=near, caseworker_id=caseworker_id,
                                 others_free=others_free)
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Out-of-slots check failed for offer %s", offer_id)


def refresh_out_of_slots(offer: OnlineOffer, now: datetime, *, near: datetime | None = None,
                         caseworker_id: int | None = None,
                         others_free: Iterable[int] = ()) -> bool | None:
    """Notify the team once when the offer has no slot left; re-arm when slots come back.

    Run after the booking's transaction committed, so the last of two simultaneous
    bookings sees both (READ COMMITTED). The flag flips with a conditional UPDATE, so
    only one transaction ever queues the e-mail for one exhaustion, and the outbox's
    de-duplication key is the second guard. `near` (the time just booked) is looked at
    first: usually one of `others_free` (found free at that start before the booking)
    still is, or a free slot is found that day, and nothing more is computed.
    Returns True when a notice was queued, False when slots came back, None otherwise.
    """
    if not offer.active:
        return None
    exhausted = not has_free_slot(offer, now=now, near=near, caseworker_id=caseworker_id,
                                  others_free=others_free)
    if not exhausted:
        if offer.out_of_slots_notified_at is not None:
            db.session.execute(update(OnlineOffer).where(OnlineOffer.id == offer.id)
                               .values(out_of_slots_notified_at=None)
                               .execution_options(synchronize_session=False))
            db.session.expire(offer, ["out_of_slots_notified_at"])
            return False
        return None
    if offer.out_of_slots_notified_at is not None:
        return None
    claimed = db.session.execute(
        update(OnlineOffer).where(OnlineOffer.id == offer.id,
                                  OnlineOffer.out_of_slots_notified_at.is_(None))
        .values(out_of_slots_notified_at=now).execution_options(synchronize_session=False))
    db.session.expire(offer, ["out_of_slots_notified_at"])
    if claimed.rowcount != 1:
        return None
    target = notification_address(db.session.get(Team, offer.team_id))
    if target is None:
        # The administrator reads it in the system log: nobody else would know.
        db.session.add(SystemLogEntry(
            occurred_at=now, level=LogLevel.WARNING, category="selfbooking", job_centre_id=offer.job_centre_id,
            message=f"Onlinetilbuddet »{offer.name}« har ikke flere ledige tider, men hverken teamet "
                    "eller et team over det har en e-mailadresse, så der er ikke sendt besked.",
            figures={"offer_id": offer.id, "team_id": offer.team_id}))
        log.warning("Offer %s is out of slots, but neither its team nor an ancestor has an e-mail; "
                    "no notice sent (R-1.1.5).", offer.id)
        return None
    team, address = target
    last = end_date(offer, now.date())
    outbox.enqueue(
        kind="offer_out_of_slots", recipient=address, now=now, job_centre_id=offer.job_centre_id,
        subject=f"Onlinetilbuddet »{offer.name}« har ikke flere ledige tider",
        body_text=(
            f"Kære {team.name}\n\n"
            f"Alle tider i onlinetilbuddet »{offer.name}« er nu booket"
            + (f" frem til {last:%d.%m.%Y}" if last else "") + ".\n"
            "Borgerne kan ikke booke flere samtaler, før der bliver tider ledige. "
            "Overvej at tilføje sagsbehandlere eller forlænge tilbuddets slutdato.\n\n"
            f"Sendt {now:%d.%m.%Y kl. %H:%M} af samtaleplanlæggeren."),
        dedupe_key=f"offer-out-of-slots:{offer.id}:{now.isoformat()}")
    return True
