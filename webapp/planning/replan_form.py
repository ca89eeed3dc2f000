"""The re-planning's dry run as its confirm form carries it, and read back (R-6.4).

What the dry run showed is what is published: the form carries the moves and what goes back
to the waiting list with its reason, which becomes the call-ins' reason and the cancellation
letter's text. The form is signed with the app's secret key, so a field changed on its way
back (a reason edited or made long, a move added) is refused and nothing is saved.
"""

from __future__ import annotations

import hmac
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from webapp.config import keyed_digest
from webapp.domain import bounds
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import Booking, CallIn
from webapp.planning.replan import DEFAULT_REASON_DA, REASON_MAX, Left, Move, Plan


def _signature(moves: Sequence[str], left: Sequence[str]) -> str:
    return keyed_digest("replan", "\x1e".join([*moves, "\x1f", *left]))


def plan_to_form(planned: Plan) -> dict[str, list[str]]:
    """The plan as the confirm form carries it: what was shown is what is published.

    The reasons of what goes back to the waiting list become the call-ins' reason and the
    cancellation letter's text, so the form is signed with the app's secret key: a field
    changed on its way back (a reason edited, a move added) is refused (`plan_from_form`).
    """
    form = {"move": [f"{m.booking_id}|{m.starts_at:%Y-%m-%dT%H:%M}|"
                     + ",".join(str(cw) for cw in m.caseworker_ids) for m in planned.moves],
            "left": [f"{item.booking_id}|{item.reason}" for item in planned.left]}
    return form | {"signature": [_signature(form["move"], form["left"])]}


def plan_from_form(moves: Sequence[str], left: Sequence[str], bookings: Sequence[Booking],
                   signature: str | None = None) -> Plan:
    """Read back `plan_to_form`: refused unless signed as it was shown (`replan_tampered`);
    anything about other meetings, or no longer matching: the calendar changed."""
    if not signature or not hmac.compare_digest(signature, _signature(moves, left)):
        raise DomainError.of("replan_tampered", code="replan_tampered")
    by_id = {b.id: b for b in bookings}
    callins_of: dict[int, list[int]] = defaultdict(list)
    for callin_id, booking_id in db.session.execute(
            select(CallIn.id, CallIn.booking_id).where(CallIn.booking_id.in_(list(by_id) or [0]))):
        callins_of[booking_id].append(callin_id)
    result = Plan()
    try:
        for raw in moves:
            booking_id, start, caseworkers = raw.split("|")
            booking = by_id[int(booking_id)]
            result.moves.append(Move(
                booking.id, datetime.strptime(start, "%Y-%m-%dT%H:%M"),
                tuple(int(cw) for cw in caseworkers.split(",")), booking.starts_at,
                tuple(link.caseworker_id for link in booking.caseworker_links)))
        for raw in left:
            booking_id, _, reason = raw.partition("|")
            booking = by_id[int(booking_id)]
            reason = reason.strip() or DEFAULT_REASON_DA
            # The planner's own words, signed; held to the reason's bounds all the same.
            bounds.check_text(reason, "Begrundelse", "Reason", max_length=REASON_MAX, field="left")
            result.left.append(Left(booking.id, reason, tuple(callins_of.get(booking.id, ()))))
    except (KeyError, ValueError):
        raise DomainError.of("replan_changed", code="replan_changed") from None
    return result
