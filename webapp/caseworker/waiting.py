"""The workspace's waiting list: filters, bulk withdraw and priority, editing a waiting call-in (R-6.2)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from webapp.auth.tenancy import get_scoped_or_404, own_job_centre_id, roles_required
from webapp.caseworker.blueprint import bp
from webapp.callins import lifecycle, worklist
from webapp.clock import now_local, today_local
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import error_text
from webapp.domain import bounds
from webapp.models import (CallIn, CallInStatus, Caseworker, ConversationType, MembershipState, Role,
                           Room, Team, TeamMembership)

STAFF = (Role.CASEWORKER, Role.ADMINISTRATOR)


class _Scope:
    """The signed-in staff user's job centre and teams, as the rest of the workspace sees them."""

    @staticmethod
    def _job_centre_id() -> int:
        return own_job_centre_id()

    @classmethod
    def _my_teams(cls) -> list[Team]:
        # A caseworker sees her own teams; an administrator every team of the job centre.
        job_centre_id = cls._job_centre_id()
        query = select(Team).where(Team.job_centre_id == job_centre_id).order_by(Team.name)
        if current_user.role == Role.CASEWORKER:
            query = query.where(Team.id.in_(select(TeamMembership.team_id).where(
                TeamMembership.caseworker_id == getattr(current_user, "caseworker_id", None),
                TeamMembership.state == MembershipState.ACTIVE)))
        return list(db.session.scalars(query))

    @staticmethod
    def _members(team_ids: list[int]) -> list[Caseworker]:
        if not team_ids:
            return []
        return list(db.session.scalars(
            select(Caseworker).join(TeamMembership, TeamMembership.caseworker_id == Caseworker.id)
            .where(TeamMembership.team_id.in_(team_ids),
                   TeamMembership.state == MembershipState.ACTIVE).distinct()
            .order_by(Caseworker.name)))

    @staticmethod
    def _whole_number(raw: str) -> int | None:
        text = raw.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            return None
        value = int(text)
        return value if value <= bounds.INT_MAX else None

    @classmethod
    def _int(cls, name: str) -> int | None:
        raw = (request.form.get(name) or "").strip()
        if not raw:
            return None
        value = cls._whole_number(raw)
        if value is None:
            raise DomainError.of("not_a_number", field=name, code="not_a_number")
        return value


workspace = _Scope


@bp.get("/waiting")
@roles_required(*STAFF)
def waiting_list() -> tuple[str, int]:
    """R-6.2: the teams' call-ins, filtered and sorted from the query string (never a CPR number)."""
    teams = workspace._my_teams()
    job_centre_id = workspace._job_centre_id()
    error = None
    try:
        filters = worklist.parse_filters(request.args)
        rows = worklist.callin_rows(job_centre_id, [t.id for t in teams], filters,
                                    today=today_local(),
                                    warning_days=worklist.deadline_warning_days())
    except DomainError as exc:
        error = error_text(exc)
        filters = worklist.Filters()
        rows = worklist.callin_rows(job_centre_id, [t.id for t in teams], filters,
                                    today=today_local(),
                                    warning_days=worklist.deadline_warning_days())
    return render_template(
        "caseworker/waiting.html", rows=rows, teams=teams, filters=filters, error=error,
        caseworkers=workspace._members([t.id for t in teams]),
        types=db.session.scalars(select(ConversationType).order_by(ConversationType.code)).all(),
        warning_days=worklist.deadline_warning_days(),
        today=today_local()), (400 if error else 200)


def _selected_ids() -> list[int]:
    ids = []
    for raw in request.form.getlist("callin_ids"):
        value = workspace._whole_number(raw.strip())
        if value is None:
            raise DomainError.of("not_a_number", field="callin_ids", code="not_a_number")
        ids.append(value)
    return ids


@bp.post("/waiting/actions")
@roles_required(*STAFF)
def waiting_action() -> Response:
    """R-6.2: withdraw (with a reason) or change the priority of the ticked call-ins, all or none."""
    team_ids = {t.id for t in workspace._my_teams()}
    try:
        callins = lifecycle.waiting_callins(workspace._job_centre_id(), _selected_ids())
        outside = [c for c in callins if c.team_id not in team_ids]
        if outside:
            raise DomainError(f"Indkaldelse nr. {outside[0].id} findes ikke.",
                              f"Call-in no. {outside[0].id} does not exist.", field="callin_ids",
                              code="unknown_callin")
        action = request.form.get("action")
        if action == "withdraw":
            done = lifecycle.withdraw(callins, request.form.get("reason"), now=now_local(),
                                      actor=current_user)
            message = " ".join([ngettext("%(num)s call-in withdrawn: %(names)s.",
                                         "%(num)s call-ins withdrawn: %(names)s.", len(callins),
                                         names=_names(callins)), *_letters_said(done)])
        elif action == "priority":
            lifecycle.change_priority(callins, request.form.get("priority", ""), actor=current_user)
            message = ngettext("Priority set to %(p)s for %(num)s call-in: %(names)s.",
                               "Priority set to %(p)s for %(num)s call-ins: %(names)s.",
                               len(callins), p=callins[0].priority, names=_names(callins))
        else:
            raise DomainError("Vælg en handling: træk tilbage eller skift prioritet.",
                              "Choose an action: withdraw or change priority.", field="action",
                              code="invalid_choice")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("workspace.waiting_list"))


def _names(callins: list[CallIn]) -> str:
    return ", ".join(f"nr. {c.id} ({c.citizen.name})" for c in callins)


def _letters_said(done: list[lifecycle.Withdrawn]) -> list[str]:
    """Which citizens were sent a letter about the withdrawal, and why the others were not (R-6.2)."""
    by_outcome: dict[lifecycle.WithdrawalLetter, list[CallIn]] = {}
    for item in done:
        by_outcome.setdefault(item.letter, []).append(item.callin)
    said = []
    if sent := by_outcome.get(lifecycle.WithdrawalLetter.SENT):
        said.append(_("A letter was sent by e-mail for %(names)s.", names=_names(sent)))
    if no_rule := by_outcome.get(lifecycle.WithdrawalLetter.NO_RULE):
        said.append(_("No letter was sent for %(names)s: the call-in's variant has no letter rule for "
                      "cancellation.", names=_names(no_rule)))
    if no_email := by_outcome.get(lifecycle.WithdrawalLetter.NO_EMAIL):
        said.append(_("No letter was sent for %(names)s: the citizen has no e-mail address; "
                      "tell the citizen another way.", names=_names(no_email)))
    return said


def _day(name: str) -> date:
    raw = (request.form.get(name) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("Skriv en dato som åååå-mm-dd.", "Enter a date as yyyy-mm-dd.",
                          field=name, code="date_format") from None


@bp.route("/callins/<int:callin_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_callin(callin_id: int) -> str | Response | tuple[str, int]:
    """R-6.2: change a waiting call-in under the same checks as making one; audited."""
    callin = get_scoped_or_404(CallIn, callin_id)
    teams = workspace._my_teams()
    if callin.team_id not in {t.id for t in teams}:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            changes = lifecycle.CallInChanges(
                earliest_date=_day("earliest_date"), deadline_date=_day("deadline_date"),
                priority=request.form.get("priority", ""), team_id=workspace._int("team_id"),
                caseworker_ids=[v for v in map(workspace._whole_number,
                                               request.form.getlist("caseworker_ids"))
                                if v is not None],
                room_id=workspace._int("room_id"), duration_minutes=workspace._int("duration_minutes"),
                description=request.form.get("description"))
            changed = lifecycle.edit_waiting(callin, changes, today=today_local(), actor=current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            error = exc
        else:
            if changed:
                flash(_("Call-in no. %(id)s for %(name)s changed: %(fields)s.", id=callin.id,
                        name=callin.citizen.name, fields=", ".join(changed)), "success")
            else:
                flash(_("Nothing was changed."), "success")
            return redirect(url_for("workspace.waiting_list"))
    elif callin.status != CallInStatus.WAITING:
        error = lifecycle._not_waiting(callin)
    callin = db.session.get(CallIn, callin_id)
    rooms = db.session.scalars(select(Room).where(Room.job_centre_id == callin.job_centre_id,
                                                  Room.usable_for_callins).order_by(Room.name)).all()
    return render_template("caseworker/callin_edit.html", callin=callin, teams=teams, rooms=rooms,
                           caseworkers=workspace._members([t.id for t in teams]),
                           form=request.form if request.method == "POST" else None, error=error,
                           error_message=error_text(error) if error else None), (400 if error else 200)
