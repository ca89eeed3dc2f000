"""A waiting call-in after it is made: withdrawn with a reason, priority changed, one or many (R-6.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from webapp.domain.bounds import INT_MAX, check_integer, check_text
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import AuditEvent, CallIn, CallInStatus
from webapp.storage import audit

REASON_MAX = 500
PRIORITY_MAX = 100
# The audit trail shows the status in Danish; a withdrawn call-in is stored as cancelled.
_STATUS_DA = {CallInStatus.WAITING: "afventer", CallInStatus.PLACED: "placeret",
              CallInStatus.CANCELLED: "trukket tilbage"}


def waiting_callins(job_centre_id: int, ids: Sequence[int]) -> list[CallIn]:
    """The job centre's waiting call-ins by id; an unknown, foreign or no longer waiting one is refused.

    All are checked before anything changes, so a bulk action is all or nothing.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise DomainError("Vælg mindst én indkaldelse.", "Choose at least one call-in.",
                          field="callin_ids", code="no_callin")
    # An id the database's integer cannot hold is no call-in: not a failing statement.
    storable = [i for i in wanted if isinstance(i, int) and 0 < i <= INT_MAX]
    callins = {c.id: c for c in db.session.scalars(
        select(CallIn).where(CallIn.id.in_(storable), CallIn.job_centre_id == job_centre_id))}
    missing = [i for i in wanted if i not in callins]
    if missing:
        raise DomainError(f"Indkaldelse nr. {missing[0]} findes ikke.",
                          f"Call-in no. {missing[0]} does not exist.", field="callin_ids",
                          code="unknown_callin")
    for callin in callins.values():
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    return [callins[i] for i in wanted]


def _check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise DomainError("Skriv en begrundelse for, at indkaldelsen trækkes tilbage.",
                          "Give a reason for withdrawing the call-in.", field="reason",
                          code="reason_missing")
    check_text(text, "Begrundelse", "Reason", max_length=REASON_MAX, field="reason")
    return text


def withdraw(callins: Sequence[CallIn], reason: str | None, *, actor: Any = None) -> None:
    """Withdraw waiting call-ins (R-6.2): status cancelled, the reason kept in the audit trail.

    The reason is checked before any call-in changes. Letter rules are written for meetings,
    so a call-in that never became one sends no letter.
    """
    text = _check_reason(reason)
    for callin in callins:
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    for callin in callins:
        callin.status = CallInStatus.CANCELLED
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     before={"status": _STATUS_DA[CallInStatus.WAITING]},
                     after={"status": _STATUS_DA[CallInStatus.CANCELLED], "begrundelse": text},
                     details=f"Indkaldelse trukket tilbage: {text}")
    db.session.flush()


def change_priority(callins: Sequence[CallIn], priority: Any, *, actor: Any = None) -> None:
    """Give waiting call-ins a new priority (R-6.2, R-3.3): a whole number from 1 to 100."""
    value = priority if isinstance(priority, int) and not isinstance(priority, bool) else None
    if isinstance(priority, str) and priority.strip().isascii() and priority.strip().isdigit():
        value = int(priority.strip()) if len(priority.strip()) <= 10 else PRIORITY_MAX + 1
    if value is None:
        raise DomainError("Skriv prioriteten som et helt tal fra 1 til 100.",
                          "Enter the priority as a whole number from 1 to 100.", field="priority",
                          code="not_a_number")
    check_integer(value, "Prioritet", "Priority", minimum=1, maximum=PRIORITY_MAX, field="priority")
    for callin in callins:
        if callin.status != CallInStatus.WAITING or callin.booking_id is not None:
            raise _not_waiting(callin)
    for callin in callins:
        if callin.priority == value:
            continue
        audit.record(AuditEvent.ADMIN_UPDATED, actor=actor, obj=callin, citizen_id=callin.citizen_id,
                     before={"prioritet": callin.priority}, after={"prioritet": value})
        callin.priority = value
    db.session.flush()


def _not_waiting(callin: CallIn) -> DomainError:
    return DomainError(
        f"Indkaldelse nr. {callin.id} afventer ikke længere ({_STATUS_DA[callin.status]}) og kan "
        "ikke ændres her. En placeret samtale ombookes eller aflyses i kalenderen.",
        f"Call-in no. {callin.id} is no longer waiting and cannot be changed here. A placed "
        "meeting is moved or cancelled in the calendar.", field="callin_ids",
        code="callin_not_waiting")
