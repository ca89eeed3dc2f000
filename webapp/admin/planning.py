"""Planlægning: the latest allocation runs and a "plan now" button (R-3.2, R-3.3, R-1.10.1)."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from webapp.admin.base import PlannerBaseView, error_text
from webapp.auth.tenancy import staff_job_centre_id
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import CallIn, CallInStatus, JobCentre
from webapp.planning.lock import AllocationRunning
from webapp.planning.manual import manual_time_limit
from webapp.planning.run import run_allocation
from webapp.domain.errors import DomainError
from webapp.planning.status import (allocation_time, job_centre_allocation_time, recent_runs,
                                    scheduler_status, set_allocation_time)

log = logging.getLogger(__name__)

TRIGGER_LABELS = {"nightly": _l("Nightly"), "admin": _l("Administrator"), "cli": _l("Command line"),
                  "manual": _l("Manual")}


class PlanningView(PlannerBaseView):
    """Runs of the job centre (support: of all), and the button that starts one now."""

    def _job_centres(self) -> list[JobCentre]:
        job_centre_id = staff_job_centre_id()
        query = select(JobCentre).order_by(JobCentre.name)
        if job_centre_id is not None:
            query = query.where(JobCentre.id == job_centre_id)
        return list(db.session.scalars(query))

    @expose("/")
    def index(self) -> str:
        job_centres = self._job_centres()
        waiting = dict(db.session.execute(
            select(CallIn.job_centre_id, func.count(CallIn.id))
            .where(CallIn.status == CallInStatus.WAITING,
                   CallIn.job_centre_id.in_([j.id for j in job_centres]))
            .group_by(CallIn.job_centre_id)).all())
        names = {j.id: j.name for j in job_centres}
        runs = recent_runs(staff_job_centre_id(), limit=30)
        return self.render("admin/planning.html", job_centres=job_centres, waiting=waiting,
                           names=names, runs=runs, triggers=TRIGGER_LABELS,
                           scheduler=scheduler_status(),
                           allocation_time=allocation_time(),
                           times={j.id: job_centre_allocation_time(j) for j in job_centres})

    @expose("/time", methods=("POST",))
    def set_time(self) -> Any:
        """A job centre's own nightly time (R-3.2); empty gives it the common time again."""
        own = staff_job_centre_id()
        chosen = request.form.get("job_centre_id", type=int)
        if own is not None and chosen not in (None, own):
            abort(404)  # another job centre's data: not found
        job_centre_id = own if own is not None else chosen
        job_centre = db.session.get(JobCentre, job_centre_id) if job_centre_id is not None else None
        if job_centre is None:
            abort(404)
        try:
            set_allocation_time(job_centre, request.form.get("allocation_time", "")[:20],
                                actor=current_user._get_current_object())
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is planned every night at %(time)s.", name=job_centre.name,
                    time=job_centre_allocation_time(job_centre)), "success")
        return redirect(url_for(".index"))

    @expose("/run", methods=("POST",))
    def run(self) -> Any:
        own = staff_job_centre_id()
        chosen = request.form.get("job_centre_id", type=int)
        if own is not None and chosen not in (None, own):
            abort(404)  # another job centre's data: not found
        job_centre_id = own if own is not None else chosen
        if job_centre_id is None or db.session.get(JobCentre, job_centre_id) is None:
            abort(404)
        db.session.rollback()
        try:
            result = run_allocation(
                job_centre_id, now=now_local(), actor=current_user._get_current_object(),
                trigger="admin",
                time_limit=manual_time_limit())
        except AllocationRunning as error:
            flash(error_text(error), "warning")
        except Exception:
            log.exception("Allocation started from the admin failed")
            flash(_("The allocation failed and was rolled back; nothing was published. "
                    "The system log has the details."), "error")
        else:
            flash(result.message, "success")
        return redirect(url_for(".index"))
