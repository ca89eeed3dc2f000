"""*Planlæg nu* in the workspace: ask first, run, then show what was placed (R-8.5, R-3.3).

Thin: parse, check role and job centre, call `planning.manual` and `planning.run`. The run is
synchronous and bounded by the manual time limit; the confirmation page says how long it may
take, and its script shows that it is running (without scripts the browser's own loading
indicator does).
"""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.tenancy import own_job_centre_id, roles_required
from webapp.caseworker.blueprint import bp
from webapp.caseworker.waiting import workspace
from webapp.clock import now_local
from webapp.extensions import db
from webapp.language import error_text
from webapp.models import Role
from webapp.planning.lock import AllocationRunning
from webapp.planning.manual import manual_time_limit, plan_outcome, plan_scope

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR)
log = logging.getLogger(__name__)


@bp.get("/plan-now", endpoint="plan_now_confirm")
@roles_required(*STAFF)
def plan_now_confirm() -> str:
    """R-8.5: what the run will plan (the whole job centre, the user's teams named) before it runs."""
    own_team_ids = [t.id for t in workspace._my_teams()]
    scope = plan_scope(own_job_centre_id(), own_team_ids)
    return render_template("caseworker/plan_now.html", scope=scope,
                           seconds=int(round(manual_time_limit())))


@bp.post("/plan-now")
@roles_required(*STAFF)
def plan_now() -> Response:
    """R-8.5: only a confirmed press runs; the answer is the result page of the run."""
    if request.form.get("confirmed") != "1":
        return redirect(url_for("workspace.plan_now_confirm"))
    from webapp.planning.run import run_allocation
    db.session.rollback()  # run_allocation commits its own transactions
    try:
        result = run_allocation(own_job_centre_id(), now=now_local(),
                                actor=current_user._get_current_object(), trigger="manual",
                                time_limit=manual_time_limit())
    except AllocationRunning as error:
        flash(error_text(error), "warning")
        return redirect(url_for("workspace.plan_now_confirm"))
    except Exception:
        log.exception("Allocation started from the workspace failed")
        flash(_("The allocation failed and was rolled back; nothing was published. "
                "The system log has the details."), "error")
        return redirect(url_for("workspace.plan_now_confirm"))
    if result.log_entry_id is None:
        flash(result.message, "success")
        return redirect(url_for("workspace.waiting_list"))
    return redirect(url_for("workspace.plan_now_result", run_id=result.log_entry_id))


@bp.get("/plan-now/<int:run_id>", endpoint="plan_now_result")
@roles_required(*STAFF)
def plan_now_result(run_id: int) -> str:
    """R-8.5: the run's figures and a link to each meeting it booked. No citizen is named, so
    looking at it is no look at a citizen's case."""
    outcome = plan_outcome(own_job_centre_id(), run_id)
    if outcome is None:
        abort(404)
    own_team_ids = {t.id for t in workspace._my_teams()}
    return render_template("caseworker/plan_now_result.html", outcome=outcome,
                           own_team_ids=own_team_ids)
