"""Daily: reminders the day before each meeting (R-4.9) and passed self-booking deadlines (R-4.8);
hourly: expired seat holds at group meetings (R-4.7)."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import LogLevel, SystemLogEntry
from webapp.selfbooking import deadlines
from webapp.messaging import receipts
from webapp.selfbooking import reservations as selfbooking

log = logging.getLogger(__name__)


def send_reminders(now: datetime | None = None) -> int:
    """Queue tomorrow's reminders (once per meeting and citizen) and mark passed deadlines."""
    with job_context():
        now = now or now_local()
        queued = receipts.queue_reminders(now)
        passed = deadlines.mark_passed(now.date())
        db.session.add(SystemLogEntry(
            occurred_at=now, level=LogLevel.INFO, category="reminders",
            message=f"{queued} påmindelser sat i kø; {passed} selvbookingsfrister er overskredet.",
            figures={"reminders": queued, "deadlines_passed": passed}))
        db.session.commit()
        log.info("Queued %d reminders; %d deadlines passed", queued, passed)
        return queued


def release_seat_holds(now: datetime | None = None) -> int:
    """Free seats held at group meetings whose hold has expired."""
    with job_context():
        now = now or now_local()
        released = selfbooking.release_expired_seat_holds(now)
        db.session.commit()
        return released
