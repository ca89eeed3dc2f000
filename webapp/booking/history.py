"""One meeting's revision history: its audit trail, read for the meeting's own page (R-1.9.1, §1.9).

Who may read it is the page's business (the audit trail's readers: administrators of the
meeting's job centre, and support). Here: the entries of the booking in its job centre, oldest
first, with the citizen and caseworker they name and the fields a change touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Booking, Caseworker, Citizen

# Bookkeeping columns a change always touches; they say nothing to a reader.
_QUIET = {"ics_sequence", "updated_at", "created_at", "id"}


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class HistoryLine:
    occurred_at: datetime
    event: AuditEvent
    user_name: str | None
    citizen: Citizen | None = None
    caseworker: str | None = None
    changes: list[Change] = field(default_factory=list)
    details: str | None = None


def _shown(value: Any) -> Any:
    """A stored moment the Danish way (01.03.2027 09:00); anything else as it is."""
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value).strftime("%d.%m.%Y %H:%M")
        except ValueError:
            return value
    return value


def _changes(before: dict | None, after: dict | None) -> list[Change]:
    before, after = before or {}, after or {}
    return [Change(key, _shown(before.get(key)), _shown(after.get(key)))
            for key in sorted(set(before) | set(after))
            if key not in _QUIET and before.get(key) != after.get(key) and key in before]


def booking_history(booking: Booking) -> list[HistoryLine]:
    """Every audit entry of the booking in its own job centre, oldest first (R-1.9.1)."""
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.booking_id == booking.id,
        AuditEntry.job_centre_id == booking.job_centre_id,
    ).order_by(AuditEntry.occurred_at, AuditEntry.id)).all()
    citizen_ids = {e.citizen_id for e in entries if e.citizen_id is not None}
    citizens = {c.id: c for c in db.session.scalars(select(Citizen).where(
        Citizen.id.in_(citizen_ids), Citizen.job_centre_id == booking.job_centre_id))}
    caseworker_ids = {e.caseworker_id for e in entries if e.caseworker_id is not None}
    caseworkers = dict(db.session.execute(select(Caseworker.id, Caseworker.name).where(
        Caseworker.id.in_(caseworker_ids))).all())
    return [HistoryLine(occurred_at=e.occurred_at, event=e.event, user_name=e.user_name,
                        citizen=citizens.get(e.citizen_id) if e.citizen_id is not None else None,
                        caseworker=(caseworkers.get(e.caseworker_id, f"#{e.caseworker_id}")
                                    if e.caseworker_id is not None else None),
                        changes=_changes(e.before, e.after), details=e.details)
            for e in entries]


def citizens_named(history: list[HistoryLine]) -> list[Citizen]:
    """The citizens the history shows, each once: their viewing is audited (R-1.9.1)."""
    seen: dict[int, Citizen] = {}
    for line in history:
        if line.citizen is not None:
            seen.setdefault(line.citizen.id, line.citizen)
    return list(seen.values())
