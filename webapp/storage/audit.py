"""Writing the audit trail (R-1.9.1); entries are append-only (R-1.9.2)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import insert, inspect

from webapp.clock import now_local
from webapp.domain.cpr import redact_cprs
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent

# Columns whose values never go into the trail in clear.
SECRET_COLUMNS = frozenset({"password_hash", "ics_token", "cpr", "pdf", "data",
                            "busy_calendar_url", "token_hash", "password_link_hash"})


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def snapshot(obj: object) -> dict[str, Any]:
    """Column values of a mapped object, secrets masked."""
    mapper = inspect(obj).mapper
    return {attr.key: ("***" if attr.key in SECRET_COLUMNS else _plain(getattr(obj, attr.key)))
            for attr in mapper.column_attrs}


def changes(obj: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the columns changed on `obj` since it was loaded."""
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        masked = attr.key in SECRET_COLUMNS
        before[attr.key] = "***" if masked else _plain(old)
        after[attr.key] = "***" if masked else _plain(new)
    return before, after


def record(event: AuditEvent, *, actor: Any = None, job_centre_id: int | None = None,
           booking_id: int | None = None, citizen_id: int | None = None,
           caseworker_id: int | None = None, obj: object | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           details: str | None = None) -> AuditEntry:
    """Add one audit entry to the session; the caller's transaction commits it."""
    entry = AuditEntry(**_values(event, actor=actor, job_centre_id=job_centre_id,
                                 booking_id=booking_id, citizen_id=citizen_id,
                                 caseworker_id=caseworker_id, obj=obj, before=before,
                                 after=after, details=details))
    db.session.add(entry)
    return entry


def record_now(entries: list[dict[str, Any]], *, actor: Any = None) -> None:
    """Write several entries at once, in one statement, in the caller's transaction.

    Each entry holds `record`'s keyword arguments. For hot paths whose objects are
    already flushed: the rows go to the database now, not with the next flush.
    """
    if entries:
        db.session.execute(insert(AuditEntry.__table__),
                           [_values(actor=actor, **entry) for entry in entries])


def _values(event: AuditEvent, *, actor: Any = None, job_centre_id: int | None = None,
            booking_id: int | None = None, citizen_id: int | None = None,
            caseworker_id: int | None = None, obj: object | None = None,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
            details: str | None = None) -> dict[str, Any]:
    object_type = object_id = None
    if obj is not None:
        object_type = type(obj).__name__
        identity = inspect(obj).identity
        object_id = ",".join(str(part) for part in identity) if identity else None
        if job_centre_id is None:
            job_centre_id = getattr(obj, "job_centre_id", None)
    is_staff = actor is not None and getattr(actor, "role", None) != "citizen"
    return dict(
        event=event, job_centre_id=job_centre_id,
        user_id=actor.id if is_staff else None,
        user_name=(actor.name if is_staff else ("borger" if actor is not None else "system")),
        booking_id=booking_id, citizen_id=citizen_id, caseworker_id=caseworker_id,
        object_type=object_type, object_id=object_id, before=before, after=after,
        details=details, occurred_at=now_local(),
    )


def record_export(*, actor: Any, job_centre_id: int | None, list_name: str, export_type: str,
                  rows: int, filters: dict[str, Any] | None = None) -> AuditEntry:
    """One `data_exported` entry for one export (R-6.11, R-1.9.1): who, which list, which format,
    how many rows, which filters.

    The filters go in as given, CPR-looking numbers masked: a search may hold one.
    """
    shown = {str(key): redact_cprs(str(value)) for key, value in (filters or {}).items()
             if value not in (None, "", [], ())}
    return record(AuditEvent.DATA_EXPORTED, actor=actor, job_centre_id=job_centre_id,
                  after={"liste": list_name, "format": export_type, "rækker": rows,
                         "filtre": shown},
                  details=redact_cprs(f"Eksport ({export_type}) af »{list_name}«: {rows} rækker"
                                      + (f"; filtre: {shown}" if shown else "")))
