"""Every few minutes: send the queued outbox e-mails that are due (`webapp.messaging.delivery`)."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.messaging.delivery import SendReport, send_due

log = logging.getLogger(__name__)


def send_queued(now: datetime | None = None) -> SendReport:
    """The scheduler's entry (see `jobs.scheduler.REGISTRY`): send what is due now."""
    with job_context():
        report = send_due(now or now_local())
        if report.sent or report.failed or report.server_down:
            log.info("Outbox: %s", report)
        return report
