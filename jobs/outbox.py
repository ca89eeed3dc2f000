"""Every few minutes: render the letters waiting for their PDF, then send the queued outbox
e-mails that are due (`webapp.messaging.letters`, `webapp.messaging.delivery`) and the national
data hub's messages (`webapp.messaging.dfdg_delivery`, R-6.9)."""

from __future__ import annotations

import logging
from datetime import datetime

from jobs.scheduler import job_context
from webapp.clock import now_local
from webapp.messaging import dfdg_delivery
from webapp.messaging.delivery import SendReport, send_due
from webapp.messaging.letters import render_pending

log = logging.getLogger(__name__)


def send_queued(now: datetime | None = None) -> SendReport:
    """The scheduler's entry (see `jobs.scheduler.REGISTRY`): render the letters a booking
    change left (those without an e-mail too), then send what is due now."""
    with job_context():
        rendered = render_pending()
        if rendered:
            log.info("Letters: %d rendered", len(rendered))
        report = send_due(now or now_local())
        if report.sent or report.failed or report.server_down:
            log.info("Outbox: %s", report)
        return report


def send_to_hub(now: datetime | None = None) -> dfdg_delivery.HubReport:
    """The scheduler's entry for the national data hub (R-6.9): send what is due now."""
    with job_context():
        report = dfdg_delivery.send_due(now or now_local())
        if report.sent or report.failed or report.retrying or report.unreachable:
            log.info("DFDG: %s", report)
        return report
