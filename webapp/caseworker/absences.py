"""Absence in the workspace: register, change, remove, and re-plan the meetings it hits (R-6.4).

A caseworker sees and registers their own absence; an administrator any caseworker's of the
job centre. Thin: parse, check role and job centre, call `webapp.calendar.absences` and
`webapp.planning.replan`, commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth.tenancy import own_job_centre_id, roles_required
from webapp.calendar import absences
from webapp.calendar.absences import AbsenceInput
from webapp.caseworker.blueprint import bp
from webapp.clock import now_local, today_local
from webapp.domain.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.language import error_text
from webapp.models import AbsenceKind, AuditEvent, Booking, Caseworker, Role
from webapp.planning import replan, replan_form
from webapp.storage import audit

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR)


def _is_admin() -> bool:
    return current_user.role == Role.ADMINISTRATOR


def _caseworkers() -> list[Caseworker]:
    """Whom the user may register absence for: everyone of the job centre, or themselves."""
    centre = own_job_centre_id()
    if _is_admin():
        return list(db.session.scalars(db.select(Caseworker).where(Caseworker.job_centre_id == centre)
                                       .order_by(Caseworker.name)))
    own = db.session.get(Caseworker, current_user.caseworker_id) if current_user.caseworker_id else None
    return [own] if own is not None and own.job_centre_id == centre else []


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, "").strip())
    except ValueError:
        return None


def _moment(day_name: str, time_name: str) -> datetime | None:
    day = _day(day_name)
    try:
        clock = datetime.strptime(request.form.get(time_name, "").strip(), "%H:%M").time()
    except ValueError:
        return None
    return datetime.combine(day, clock) if day is not None else None


def _form_input() -> AbsenceInput:
    whole = request.form.get("whole_days", "1") != "0"
    # A caseworker's form may leave the caseworker out: their own; the service checks either way.
    caseworker_id = request.form.get("caseworker_id", type=int)
    if caseworker_id is None and not _is_admin():
        caseworker_id = current_user.caseworker_id
    return AbsenceInput(
        caseworker_id=caseworker_id, kind=request.form.get("kind"), whole_days=whole,
        first_day=_day("first_day"), last_day=_day("last_day") or _day("first_day"),
        starts_at=_moment("day", "from_time") if not whole else None,
        ends_at=_moment("day", "to_time") if not whole else None,
        note=request.form.get("note"))


def _absence(absence_id: int) -> Any:
    try:
        return absences.get(own_job_centre_id(), absence_id, actor=current_user)
    except NotFound:
        abort(404)


def _audit_listed(bookings: list[Booking]) -> None:
    """The hit meetings show the citizens' names: each listing is in the audit trail (R-1.9.1)."""
    audit.record_now([{"event": AuditEvent.BOOKING_DETAILS_VIEWED, "booking_id": b.id,
                       "job_centre_id": b.job_centre_id,
                       "details": "Fravær: ramte samtaler"} for b in bookings], actor=current_user)


def _kinds() -> list[tuple[str, str]]:
    return [(kind.value, absences.label(kind)) for kind in AbsenceKind]


@bp.get("/absences")
@roles_required(*STAFF)
def absence_list() -> str:
    centre = own_job_centre_id()
    caseworkers = _caseworkers()
    today = today_local()
    shown = absences.absences_of(centre, None if _is_admin() else [c.id for c in caseworkers],
                                 today, date(today.year + 2, 12, 31))
    return render_template("caseworker/absences.html", absences=shown, caseworkers=caseworkers,
                           kinds=_kinds(), today=today, form=request.form, span=absences.span_da,
                           label=absences.label)


@bp.post("/absences")
@roles_required(*STAFF)
def absence_register() -> Response | str:
    try:
        absence = absences.register(own_job_centre_id(), _form_input(), actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return absence_list()
    flash(_("The absence is registered."), "success")
    return redirect(url_for("workspace.absence_detail", absence_id=absence.id))


def _render_detail(absence: Any, planned: replan.Plan | None = None,
                   done: replan.Plan | None = None) -> str:
    now = now_local()
    hit = absences.hit_bookings(absence, now=now)
    listed = hit + [db.session.get(Booking, m.booking_id) for m in (done.moves if done else [])]
    _audit_listed(listed)
    db.session.commit()
    names = {c.id: c.name for c in _caseworkers()} | {absence.caseworker.id: absence.caseworker.name}
    if planned or done:
        ids = {cw for p in (planned, done) if p for m in p.moves for cw in m.caseworker_ids}
        names |= {c.id: c.name for c in db.session.scalars(
            db.select(Caseworker).where(Caseworker.id.in_(list(ids) or [0])))}
    bookings = {b.id: b for b in listed if b is not None}
    return render_template("caseworker/absence.html", absence=absence, hit=hit, planned=planned,
                           done=done, bookings=bookings, kinds=_kinds(),
                           who=lambda ids: ", ".join(names.get(cw, "?") for cw in ids),
                           span=absences.span_da, label=absences.label, last_day=absences.last_day,
                           form_plan=replan_form.plan_to_form(planned) if planned else None)


@bp.get("/absences/<int:absence_id>")
@roles_required(*STAFF)
def absence_detail(absence_id: int) -> str:
    return _render_detail(_absence(absence_id))


@bp.post("/absences/<int:absence_id>/edit")
@roles_required(*STAFF)
def absence_edit(absence_id: int) -> Response:
    absence = _absence(absence_id)
    try:
        data = _form_input()
        data.caseworker_id = absence.caseworker_id
        absences.change(absence, data, actor=current_user)
        db.session.commit()
        flash(_("The absence is changed."), "success")
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
    return redirect(url_for("workspace.absence_detail", absence_id=absence_id))


@bp.post("/absences/<int:absence_id>/remove")
@roles_required(*STAFF)
def absence_remove(absence_id: int) -> Response:
    absence = _absence(absence_id)
    try:
        absences.remove(absence, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("workspace.absence_detail", absence_id=absence_id))
    flash(_("The absence is removed."), "success")
    return redirect(url_for("workspace.absence_list"))


@bp.post("/absences/<int:absence_id>/replan")
@roles_required(*STAFF)
def absence_replan(absence_id: int) -> str:
    """The dry run: the moves and what goes back to the waiting list; nothing changes."""
    absence = _absence(absence_id)
    now = now_local()
    planned = replan.plan(own_job_centre_id(), absences.hit_bookings(absence, now=now), now=now)
    db.session.rollback()
    return _render_detail(absence, planned=planned)


@bp.post("/absences/<int:absence_id>/replan/confirm")
@roles_required(*STAFF)
def absence_replan_confirm(absence_id: int) -> Response | str:
    absence = _absence(absence_id)
    now = now_local()
    hit = absences.hit_bookings(absence, now=now)
    try:
        planned = replan_form.plan_from_form(request.form.getlist("move"), request.form.getlist("left"), hit,
                                        request.form.get("signature"))
        done = replan.publish(own_job_centre_id(), hit, planned, now=now, actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error_text(error), "error")
        return redirect(url_for("workspace.absence_detail", absence_id=absence_id))
    flash(_("Re-planned: %(summary)s.", summary=done.summary_da()), "success")
    return _render_detail(absence, done=done)
