"""Hourly: delete reservations whose hold has expired, so their slots are free again (R-4.7)."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import LogLevel, SystemLogEntry
from webapp.booking.locks import release_expired_reservations

log = logging.getLogger(__name__)


def release_expired(now: datetime | None = None) -> int:
    """Release every expired reservation in one transaction; returns how many."""
    with job_context():
        now = now or now_local()
        released = release_expired_reservations(now)
        if released:
            db.session.add(SystemLogEntry(
                occurred_at=now, level=LogLevel.INFO, category="reservations",
                message=f"{released} udløbne reservationer er frigivet.",
                figures={"released": released}))
        db.session.commit()
        if released:
            log.info("Released %d expired reservations", released)
        return released
