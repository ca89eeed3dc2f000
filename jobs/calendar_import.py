"""Every quarter of an hour: busy times from the own calendars of two-way and FASIT caseworkers (R-5.2, R-1.2.7)."""

from __future__ import annotations

from datetime import datetime

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.extensions import db
from webapp.calendar.busy_import import ImportResult, import_all


def import_calendars(now: datetime | None = None) -> ImportResult:
    """Import every two-way and FASIT calendar in one transaction; failures are in the system log."""
    with job_context():
        result = import_all(now=now or now_local())
        db.session.commit()
        return result
