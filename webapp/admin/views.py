"""The administration module's screens (SPEC §1), in menu order. Thin: rules live in services."""

from __future__ import annotations

import calendar
import secrets
from datetime import date, timedelta
from typing import Any

from flask import abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_admin import expose
from flask_admin.babel import gettext as admin_gettext
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.form import rules
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from wtforms import SelectField, StringField, ValidationError

from webapp.admin import audit_details
from webapp.admin.base import (PlannerBaseView, PlannerModelView, ReadOnlyModelView,
                               ReferenceModelView, SupportModelView, Tabs, error_text, row_key)
from webapp.admin.room_calendar import teams_in_tree, why_on_team_calendar
from webapp.admin.fields import BreaksField, TeamChecklistField, WeekField
from webapp.admin.labels import (COLUMN_LABELS, ENUM_LABELS, INBOUND_OUTCOME_LABELS, MONTHS,
                                 OUTBOX_KIND_LABELS, WEEKDAYS, enum_label, inbound_outcome_label,
                                 outbox_kind_label)
from webapp.auth.tenancy import get_scoped_or_404, scoped, staff_job_centre_id
from webapp.clock import now_local, today_local
from webapp.domain import bounds
from webapp.domain.addresses import postal_city
from webapp.domain.cpr import mask_cpr, normalise_cpr
from webapp.administration.directory import get_directory
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, InboundMessage, BookingStatus, CallIn, CallInStatus, Caseworker, Citizen,
                           LetterRule, LetterTemplate, MembershipState, OutboxMessage, Team)
from webapp.storage import audit
from webapp.language import current_language
from webapp.messaging.letters import render_preview
from webapp.messaging.merge_fields import MERGE_FIELDS, sample_context
from webapp.planning import replan, replan_form
from webapp.planning import status as planning_status
from webapp.callins import templates as template_service
from webapp.calendar import rooms as room_rules
from webapp.citizens import service as citizen_service
from webapp.administration import caseworkers as caseworker_service
from webapp.administration import directory_search
from webapp.calendar import absences as absence_service
from webapp.calendar import closures as closure_service
from webapp.calendar.closed_days import closed_days
from webapp.administration import rooms as room_service
from webapp.administration import teams as team_service
from webapp.administration import variants as variant_service




_teams_in_tree = teams_in_tree


def _tree_choices(field: Any) -> None:
    """Offer teams in tree order, indented by depth."""
    if field is None:
        return
    ordered = _teams_in_tree(staff_job_centre_id())
    depth = {team.id: d for team, d in ordered}
    field.query_factory = lambda: [team for team, _d in ordered]
    field.get_label = lambda team: ("\u2003" * depth.get(team.id, 0)) + team.name
    field.depths = {str(team.id): d for team, d in ordered}


def _changed(model: Any) -> set[str]:
    """Columns and relationships changed on `model` since it was loaded."""
    state = sa_inspect(model)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


# --- Caseworkers (R-1.2.x) ------------------------------------------------------

class CaseworkerView(PlannerModelView):
    column_list = ("name", "email", "initials", "rid", "guid", "teams", "can_be_assigned_callins",
                   "sync_mode")
    column_searchable_list = ("name", "email", "initials")
    column_filters = ("can_be_assigned_callins", "sync_mode")
    column_formatters = {"teams": lambda v, c, m, n: ", ".join(t.name for t in m.teams)}
    column_details_exclude_list = ("ics_token",)  # the private calendar feed's secret
    form_columns = ("email", "name", "initials", "phone", "rid", "guid", "can_be_assigned_callins",
                    "teams", "working_time", "breaks", "sync_mode", "busy_calendar_url")
    form_extra_fields = {
        "teams": TeamChecklistField(_l("Teams"), query_factory=lambda: []),
        "working_time": WeekField(_l("Working time")),
        "breaks": BreaksField(_l("Breaks")),
    }
    form_rules = [Tabs(
        (_l("Contact info"), ["email", rules.Macro("planner.fetch_button"), "name", "initials",
                              "phone", "rid", "guid", "can_be_assigned_callins"]),
        (_l("Teams"), ["teams"]),
        (_l("Working time"), ["working_time"]),
        (_l("Breaks"), ["breaks"]),
        (_l("Calendar sync"), ["sync_mode", "busy_calendar_url"]),
    )]
    form_args = {
        "email": {"description": _l("Type the full e-mail address and press Fetch data: the "
                                    "person is looked up in the national user directory.")},
        "name": {"description": _l("Filled in from the directory.")},
        "guid": {"description": _l("FASIT customers only: instead of a RID.")},
        "busy_calendar_url": {"description": _l(
            "Two-way and One-way (FASIT): the caseworker's own calendar, whose busy times "
            "are imported every quarter of an hour.")},
        "can_be_assigned_callins": {"description": _l(
            "Untick only for caseworkers who exist so that appointments from the municipal "
            "case system can be imported: they never get call-ins or self-bookings.")},
    }
    form_helper_actions = {"fetch_directory": "fetch_directory",
                           "search_directory_name": "search_directory_name",
                           "pick_directory_email": "pick_directory_email", "copy_monday": "copy_monday",
                           "copy_breaks": "copy_breaks", "copy_breaks_from": "copy_breaks_from",
                           "add_break": "add_break"}

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.teams)
        job_centre = (obj.job_centre if obj is not None else
                      current_user.job_centre if staff_job_centre_id() is not None else None)
        if job_centre is not None:
            form.sync_mode.choices = [(m.value, enum_label(m))
                                      for m in caseworker_service.offered_sync_modes(job_centre)]
        if obj is None:
            # On creation the name comes from the directory, not from typing.
            form.name.render_kw = {"readonly": True}
            form.name.validators = [v for v in form.name.validators
                                    if not getattr(v, "field_flags", {}).get("required")]
            form.name.flags.required = False
        job_centre_id = obj.job_centre_id if obj is not None else staff_job_centre_id()
        if job_centre_id is not None:
            form.breaks.copy_from_choices = [
                (cw.id, cw.name) for cw in caseworker_service.other_caseworkers(
                    job_centre_id, obj.id if obj is not None else None)]
        if obj is not None and request.method == "GET":
            form.working_time.data = caseworker_service.week_of(obj)
            form.breaks.data = caseworker_service.breaks_of(obj)
        try:
            form.breaks.warnings = caseworker_service.check_schedule(form.working_time.data,
                                                                     form.breaks.data)
        except DomainError:
            form.breaks.warnings = []
        return form

    # Buttons that fill the form.
    def fetch_directory(self, form: Any) -> None:
        entry = caseworker_service.look_up(get_directory(), form.email.data or "", staff_job_centre_id())
        form.email.data, form.name.data, form.rid.data = entry.email, entry.name, entry.rid
        form.phone.data, form.initials.data = entry.phone, entry.initials
        flash(_("Found %(name)s in the directory. Check RID, phone and initials, choose the "
                "teams and save.", name=entry.name), "info")

    def search_directory_name(self, form: Any) -> None:
        """Manual §1.2.1: a look-up by name lists the matches, with the warning that names match
        caseworkers of all job centres; the one chosen is then fetched by e-mail."""
        try:
            g.directory_matches = directory_search.search_by_name(
                get_directory(), request.form.get("directory_name", ""))
        except DomainError as error:
            flash(error_text(error), "error")
            return
        flash(_("The name search matches caseworkers of all job centres: check that it is the "
                "right person. The e-mail address is the safe key."), "warning")

    def pick_directory_email(self, form: Any) -> None:
        form.email.data = request.form.get("pick_directory_email", "")
        self.fetch_directory(form)

    def copy_monday(self, form: Any) -> None:
        form.working_time.data = caseworker_service.copy_monday_to_weekdays(form.working_time.data)

    def copy_breaks(self, form: Any) -> None:
        raw = (request.form.get("copy_breaks_day") or "").strip()
        # ASCII digits only: int() also reads other scripts' digits and fails on "½" (R-7.4).
        day = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 1 else None
        form.breaks.data = caseworker_service.copy_breaks_to_other_days(
            form.breaks.data, day, form.working_time.data)

    def copy_breaks_from(self, form: Any) -> None:
        # A key the database cannot hold is no caseworker: 404, not a failing statement.
        other_id = row_key(Caseworker, request.form.get("copy_breaks_caseworker"))
        if other_id is None:
            abort(404)
        other = get_scoped_or_404(Caseworker, other_id)
        form.breaks.data = caseworker_service.breaks_of(other)
        flash(_("The breaks of %(name)s are filled in. Save to keep them.", name=other.name), "info")

    def add_break(self, form: Any) -> None:
        """Blank rows are always shown; the button keeps the manual's way of working."""

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        caseworker_service.validate_identity(model, directory=get_directory(), is_created=is_created)
        changes = caseworker_service.set_teams(model, form.teams.data, now_local(), actor=current_user)
        g.pending_team_removals, g.teams_left = changes.needs_decision, changes.left
        g.schedule_warnings = caseworker_service.set_schedule(model, form.working_time.data,
                                                              form.breaks.data)

    def related_snapshot(self, model: Any) -> dict[str, Any]:
        return caseworker_service.schedule_summary(model)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        for warning in g.pop("schedule_warnings", []):
            flash(warning, "warning")
        for left in g.pop("teams_left", []):
            _flash_team_left(model, left)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        pending = g.pop("pending_team_removals", [])
        if pending:
            # Flask-Admin has just said "saved"; the team is not left until the dialog's
            # choice, so say that instead.
            saved = admin_gettext("Record was successfully saved.")
            session["_flashes"] = [(category, message) for category, message
                                   in session.get("_flashes", []) if message != saved]
            flash(_("The other changes are saved. %(name)s stays in %(team)s until you choose "
                    "below what happens to the meetings.", name=model.name,
                    team=pending[0].name), "info")
            return url_for(".remove_team_view", id=model.id, team_id=pending[0].id)
        return super().get_save_return_url(model, is_created)

    def check_delete(self, model: Any) -> None:
        caseworker_service.check_delete(model, now_local())

    # the two-choice dialog when a team with future meetings is unticked.
    @expose("/remove-team/", methods=("GET", "POST"))
    def remove_team_view(self) -> Any:
        caseworker = get_scoped_or_404(Caseworker, request.args.get("id", type=int))
        team = get_scoped_or_404(Team, request.args.get("team_id", type=int))
        now = now_local()
        meetings = caseworker_service.future_meetings(caseworker.id, team.id, now)
        if request.method == "POST":
            choice = request.form.get("choice")
            if choice == "keep":
                caseworker_service.close_keep_meetings(caseworker, team, actor=current_user)
                db.session.commit()
                flash(_("%(name)s keeps the meetings for %(team)s; no new self-bookings reach "
                        "them for that team.", name=caseworker.name, team=team.name), "success")
                return redirect(url_for(".edit_view", id=caseworker.id))
            if choice == "rebook":
                return redirect(url_for(".rebook_view", id=caseworker.id, team_id=team.id))
        offers = caseworker_service.offers_left_without_team_caseworker(caseworker, team)
        return self.render("admin/caseworker_remove_team.html", caseworker=caseworker, team=team,
                           meetings=meetings, offers=offers)

    @expose("/rebook/", methods=("GET", "POST"))
    def rebook_view(self) -> Any:
        caseworker = get_scoped_or_404(Caseworker, request.args.get("id", type=int))
        team = get_scoped_or_404(Team, request.args.get("team_id", type=int))
        now = now_local()
        plan = caseworker_service.rebooking_plan(caseworker, team, now)
        if request.method == "POST":
            choices = {item.booking.id: request.form.get(f"booking-{item.booking.id}", type=int)
                       for item in plan}
            try:
                result = caseworker_service.apply_rebooking(caseworker, team, choices,
                                                            actor=current_user, now=now)
            except DomainError as error:
                db.session.rollback()
                flash(error_text(error), "error")
                return redirect(url_for(".rebook_view", id=caseworker.id, team_id=team.id))
            db.session.commit()
            return self.render("admin/caseworker_rebooked.html", caseworker=caseworker, team=team,
                               result=result)
        return self.render("admin/caseworker_rebook.html", caseworker=caseworker, team=team,
                           plan=plan)


def _flash_team_left(caseworker: Caseworker, left: Any) -> None:
    """R-6.6, R-1.2.9: tell the administrator what leaving the team changed besides the team."""
    for offer in left.deactivated_offers:
        flash(_("The online offer %(offer)s is deactivated: no caseworker of %(team)s is left on "
                "it. Add a caseworker of the team to activate it again.",
                offer=offer.name, team=left.team.name), "warning")
    if left.left_offers:
        flash(_("%(name)s is taken off the online offers of %(team)s: %(offers)s.",
                name=caseworker.name, team=left.team.name,
                offers=", ".join(offer.name for offer in left.left_offers)), "info")
    if left.callins:
        flash(ngettext("%(name)s is no longer a candidate caseworker on %(num)d waiting call-in "
                       "of %(team)s.",
                       "%(name)s is no longer a candidate caseworker on %(num)d waiting call-ins "
                       "of %(team)s.", len(left.callins), name=caseworker.name,
                       team=left.team.name), "info")


class CompetenceView(PlannerModelView):
    """In the model, not in use (R-1.2.11): reachable but not in the menu."""

    def is_visible(self) -> bool:
        return False


# --- Teams (R-1.1.x) ---------------------------------------------------------------

def _team_name(view: Any, context: Any, model: Team, name: str) -> Markup:
    depth = g.get("team_depths", {}).get(model.id, 0)
    must_rename = escape(_("Must be renamed"))
    mark = f' <span class="badge badge-warning">{must_rename}</span>' if model.pending_rename else ""
    # §1.1 "højre-klikke på teamet og vælge Rediger team": an edit action on the node itself.
    edit = escape(_("Edit team »%(name)s«", name=model.name))
    href = escape(url_for(".edit_view", id=model.id, url=request.full_path))
    return Markup(f'<span class="planner-tree-row"><span class="planner-tree-node depth-{min(depth, 1)}" '
                  f'style="margin-left:{depth * 1.5}rem">{escape(model.name)}</span>{mark}'
                  f' <a class="planner-tree-edit btn btn-sm btn-outline-secondary py-0 ml-2" href="{href}" '
                  f'aria-label="{edit}" title="{edit}">{escape(_("Edit team"))}</a></span>')


def _team_calendar_link(view: Any, context: Any, model: Team, name: str) -> Markup:
    text = escape(_("Calendar"))
    return Markup(f'<a href="{url_for("teamcalendar.index", team_id=model.id)}">{text}</a>')


class PostalCityLookup:
    """R-1.1.3, R-1.4.1 (§1.1, §1.4 "fremkommer bynavnet automatisk"): the city of a postal code
    while it is typed, for the form's script; saving fills it in without the script too."""

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs.setdefault("postal_city_url", url_for(".postal_city"))
        return super().render(template, **kwargs)  # type: ignore[misc]

    @expose("/postal-city/")
    def postal_city(self) -> Any:
        try:
            city = postal_city(request.args.get("postal_code", ""))
        except DomainError as error:
            return jsonify(city=None, code=error.code, message_da=error.message_da,
                           message_en=error.message_en, field="postal_code"), 400
        return jsonify(city=city)


class TeamView(PostalCityLookup, PlannerModelView):
    column_list = ("name", "postal_code", "city", "email", "phone", "calendar")
    column_labels = {**PlannerModelView.column_labels, "calendar": _l("Team calendar")}
    column_sortable_list = ()
    column_searchable_list = ("name",)
    column_formatters = {"name": _team_name, "calendar": _team_calendar_link}
    form_columns = ("name", "parent", "address", "postal_code", "city", "email", "phone", "description")
    form_args = {
        "address": {"description": _l("A house-number letter is written in upper case: Vestergade 12B.")},
        "city": {"description": _l("Filled in from the postal code.")},
        "email": {"description": _l("Gets the notice when an online offer runs out of free "
                                    "times; without one, the team above is used.")},
    }
    form_widget_args = {"city": {"readonly": True}}

    def get_list(self, page: Any, sort_column: Any, sort_desc: Any, search: Any, filters: Any,
                 execute: bool = True, page_size: Any = None) -> Any:
        """R-1.1.6: the tree, shown as a tree (depth-first, indented)."""
        count, rows = super().get_list(None, None, False, search, filters, execute=True,
                                       page_size=0)
        ordered = _teams_in_tree(staff_job_centre_id())
        g.team_depths = {team.id: depth for team, depth in ordered}
        wanted = {row.id for row in rows}
        tree = [team for team, _d in ordered if team.id in wanted]
        size = page_size or self.page_size
        start = (page or 0) * size
        return count, tree[start:start + size]

    def list_notices(self) -> list[str]:
        job_centre_id = staff_job_centre_id()
        pending = ([t for t in db.session.scalars(select(Team).where(Team.pending_rename))]
                   if job_centre_id is None else team_service.pending_renames(job_centre_id))
        return [_("Two levels of the team tree are named \"%(name)s\". Rename the lower one "
                  "before other changes: the two teams must be told apart.", name=t.name)
                for t in pending]

    def edit_notice(self, model: Team) -> str | None:
        if model.pending_rename:
            return _("This team has the same name as the team above it. Rename it first; other "
                     "changes are possible after that.")
        return None

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.parent)
        if obj is None and request.method == "GET" and form.parent.data is None:
            roots = [team for team, depth in _teams_in_tree(staff_job_centre_id()) if depth == 0]
            if len(roots) == 1:
                form.parent.data = roots[0]
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # Support works in every job centre: a new team belongs to its parent's.
        if is_created and staff_job_centre_id() is None and model.job_centre_id is None:
            if model.parent is None:
                error = DomainError(
                    "Vælg det overordnede team: det afgør, hvilket jobcenter teamet hører til.",
                    "Choose the parent team: it decides which job centre the team belongs to.",
                    field="parent", code="parent_missing")
                self.field_error(form, error)
                raise ValidationError(error_text(error))
            with db.session.no_autoflush:
                model.job_centre = model.parent.job_centre
        super().on_model_change(form, model, is_created)

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        changed = _changed(model) - {"city", "children"}
        team_service.validate_team(model, is_created=is_created, changed=changed)

    def check_delete(self, model: Any) -> None:
        team_service.check_delete(model, now_local())

    def on_model_delete(self, model: Any) -> None:
        super().on_model_delete(model)
        for closure in team_service.closure_days_only_on(model):
            db.session.delete(closure)


# --- Closure days (R-1.3.x) ---------------------------------------------------------

def _calendar_links(view: Any, context: Any, model: Any, name: str) -> Markup:
    month = model.first_day.strftime("%Y-%m")
    return Markup(", ").join(
        Markup(f'<a href="{escape(url_for("teamcalendar.index", team_id=team.id, month=month))}">'
               f'{escape(team.name)}</a>')
        for team in model.teams)


class LocalClosureDayView(PlannerModelView):
    # one entry for one or more teams.: closure days can be edited; a change
    # is checked for the meetings it now falls on, as a new one is.
    can_view_details = False
    column_list = ("teams", "name", "first_day", "last_day")
    column_default_sort = ("first_day", True)
    column_formatters = {"teams": _calendar_links}
    form_columns = ("teams", "name", "first_day", "last_day")
    form_extra_fields = {"teams": TeamChecklistField(
        _l("Teams"), query_factory=lambda: [],
        description=_l("The closure day applies to every chosen team and every team below "
                       "them; on the top team it applies to the whole job centre."))}
    audited_relations = ("teams",)

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.teams)
        return form

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        model.teams = list(form.teams.data or [])
        closure_service.validate_local_closure(model)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        if closure_service.colliding_bookings(model.first_day, model.last_day, model.teams):
            return url_for(".collisions_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    @expose("/collisions/")
    def collisions_view(self) -> Any:
        """R-1.3.4: the bookings a new closure day falls on, for rebooking."""
        closure = self.get_one(request.args.get("id"))
        bookings = closure_service.colliding_bookings(closure.first_day, closure.last_day, closure.teams)
        return self.render("admin/closure_collisions.html", closure=closure, bookings=bookings,
                           first_day=closure.first_day, last_day=closure.last_day,
                           movable=self._movable(closure))

    def _movable(self, closure: Any) -> list[Any]:
        """The colliding meetings still to come: what Genplanlæg moves (R-6.4)."""
        now = now_local()
        return [b for b in closure_service.colliding_bookings(closure.first_day, closure.last_day, closure.teams)
                if b.status == BookingStatus.BOOKED and b.starts_at > now
                and b.job_centre_id == closure.job_centre_id]

    @expose("/collisions/replan/", methods=("POST",))
    def collisions_replan_view(self) -> Any:
        """R-6.4: a closure day added late goes the absence's way: a dry run first."""
        closure = self.get_one(request.args.get("id"))
        movable = self._movable(closure)
        planned = replan.plan(closure.job_centre_id, movable, now=now_local())
        db.session.rollback()
        closure = self.get_one(request.args.get("id"))
        names = {c.id: c.name for c in db.session.scalars(
            select(Caseworker).where(Caseworker.job_centre_id == closure.job_centre_id))}
        return self.render("admin/closure_collisions.html", closure=closure,
                           bookings=closure_service.colliding_bookings(closure.first_day, closure.last_day,
                                                                       closure.teams),
                           first_day=closure.first_day, last_day=closure.last_day, movable=movable,
                           planned=planned, form_plan=replan_form.plan_to_form(planned),
                           by_id={b.id: b for b in movable},
                           who=lambda ids: ", ".join(names.get(cw, "?") for cw in ids))

    @expose("/collisions/replan/confirm/", methods=("POST",))
    def collisions_confirm_view(self) -> Any:
        closure = self.get_one(request.args.get("id"))
        movable = self._movable(closure)
        try:
            planned = replan_form.plan_from_form(request.form.getlist("move"), request.form.getlist("left"),
                                            movable, request.form.get("signature"))
            done = replan.publish(closure.job_centre_id, movable, planned, now=now_local(),
                                  actor=current_user)
            db.session.commit()
            flash(_("Re-planned: %(summary)s.", summary=done.summary_da()), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error), "error")
        return redirect(url_for(".collisions_view", id=request.args.get("id")))


class NationalClosureDayView(SupportModelView):
    can_edit = False
    service_checked_fields = ("day",)
    can_view_details = False
    column_list = ("day", "name")
    column_default_sort = "day"

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        closure_service.validate_national_closure(model)

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        if closure_service.colliding_bookings(model.day, model.day):
            return url_for(".collisions_view", id=model.id)
        return super().get_save_return_url(model, is_created)

    @expose("/collisions/")
    def collisions_view(self) -> Any:
        # A national day closes every job centre: support (national, R-0.1) sees the meetings of
        # all of them, each with its job centre; administrators never reach this view.
        closure = self.get_one(request.args.get("id"))
        bookings = closure_service.colliding_bookings(closure.day, closure.day)
        return self.render("admin/closure_collisions.html", closure=closure, bookings=bookings,
                           first_day=closure.day, last_day=closure.day, national=True)


def _absent_by_day(team: Team, first: date, last: date) -> dict[date, list[str]]:
    """The team's caseworkers away on each day, "Name (Sygdom)", for the team calendar (R-6.4)."""
    members = [member.id for member in team_service.active_members([team.id])]
    absent: dict[date, list[str]] = {}
    for absence in absence_service.absences_of(team.job_centre_id, members, first, last):
        day = max(absence.starts_at.date(), first)
        while day <= min(absence_service.last_day(absence), last):
            absent.setdefault(day, []).append(
                f"{absence.caseworker.name} ({absence_service.label(absence.kind)})")
            day += timedelta(days=1)
    return absent


class TeamCalendarView(PlannerBaseView):
    """A team's month with its closure days greyed: national and inherited local (R-1.3.4)."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        team_id = request.args.get("team_id", type=int)
        teams = _teams_in_tree(staff_job_centre_id())
        if team_id is None:
            if not teams:
                abort(404)
            team_id = teams[0][0].id
        team = get_scoped_or_404(Team, team_id)
        today = today_local()
        try:
            year, month = (int(x) for x in request.args.get("month", "").split("-"))
            first = date(year, month, 1)
        except ValueError:
            first = today.replace(day=1)
        if not bounds.within_years(first):
            first = today.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        grid_start = first - timedelta(days=first.weekday())
        grid_end = last + timedelta(days=6 - last.weekday())
        closed = closed_days([team.id], grid_start, grid_end)
        weeks, day = [], grid_start
        while day <= grid_end:
            weeks.append([day + timedelta(days=i) for i in range(7)])
            day += timedelta(days=7)
        previous = (first - timedelta(days=1)).replace(day=1)
        following = last + timedelta(days=1)
        return self.render("admin/team_calendar.html", team=team, teams=teams, weeks=weeks,
                           closed=closed, absent=_absent_by_day(team, grid_start, grid_end),
                           first=first, today=today,
                           why=why_on_team_calendar(team),
                           weekday_names=[str(w)[:3] for w in WEEKDAYS],
                           month_names=[str(m) for m in MONTHS],
                           previous=previous.strftime("%Y-%m"), following=following.strftime("%Y-%m"))


# --- Meeting rooms (R-1.4.x) --------------------------------------------------------

class RoomView(PostalCityLookup, PlannerModelView):
    column_list = ("name", "capacity", "accepts_overbooking", "overbooking_seats", "address",
                   "postal_code", "city", "usable_for_callins", "teams")
    column_searchable_list = ("name",)
    column_formatters = {"teams": lambda v, c, m, n: ", ".join(t.name for t in m.teams)}
    form_columns = ("name", "resource_type", "capacity", "accepts_overbooking", "overbooking_seats",
                    "address", "postal_code", "city", "email", "usable_for_callins", "comment", "teams")
    form_overrides = {"resource_type": SelectField}
    form_args = {
        "resource_type": {"choices": [("meeting_room", _l("Meeting room"))]},
        "capacity": {"description": _l("How many people can be called to meetings here; empty = unlimited.")},
        "overbooking_seats": {"description": _l("Extra chairs beyond the capacity.")},
        "address": {"description": _l("Citizens are called to this address; if empty, the team's. "
                                      "A house-number letter is upper case: 12B.")},
        "city": {"description": _l("Filled in from the postal code.")},
        "comment": {"description": _l("Internal: only administrators see it.")},
    }
    form_widget_args = {"city": {"readonly": True}}
    form_rules = [Tabs(
        (_l("Details"), ["name", "resource_type", "capacity", "accepts_overbooking",
                         "overbooking_seats", "address", "postal_code", "city", "email",
                         "usable_for_callins", "comment"]),
        (_l("Teams"), ["teams"]),
    )]
    form_extra_fields = {"teams": TeamChecklistField(_l("Teams"), query_factory=lambda: [])}
    audited_relations = ("teams",)

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.teams)
        return form

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        model.teams = list(form.teams.data)
        room_service.validate_room(model)

    def check_delete(self, model: Any) -> None:
        room_service.check_delete(model, now_local())


# --- Call-in templates (R-1.5.x) -----------------------------------------------------

class CallInTemplateView(PlannerModelView):
    column_list = ("name", "conversation_type", "variant", "meeting_form", "team",
                   "duration_minutes", "distribution")
    column_searchable_list = ("name",)
    form_columns = ("name", "conversation_type", "variant", "meeting_form", "holding_form", "team",
                    "room", "caseworkers", "duration_minutes", "reporting_minutes", "deadline_mode",
                    "deadline_days", "distribution", "earliest_after_days", "description",
                    "message_to_caseworkers", "letter_text", "accept_cancellation",
                    "accept_rebooking", "rebooking_until_days", "activate_offer_at_once",
                    "citizen_chooses_caseworker", "first_meeting_date", "fixed_end_date",
                    "rolling_end_weeks", "visible_from", "contact_groups")
    form_rules = [Tabs(
        (_l("Details"), ["name", "conversation_type", "variant", "meeting_form", "holding_form",
                         "team", "room", "caseworkers", "duration_minutes", "reporting_minutes",
                         "deadline_mode", "deadline_days", "distribution", "earliest_after_days"]),
        (_l("Messages"), ["description", "message_to_caseworkers", "letter_text"]),
        (_l("Online booking"), ["accept_cancellation", "accept_rebooking", "rebooking_until_days",
                                "activate_offer_at_once", "citizen_chooses_caseworker",
                                "first_meeting_date", "fixed_end_date", "rolling_end_weeks",
                                "visible_from", "contact_groups"]),
    )]
    form_args = {
        "name": {"label": _l("Template name")},
        "meeting_form": {"description": _l("Individual meeting: one of the chosen caseworkers per "
                                           "meeting. Group meeting: all chosen caseworkers on every meeting.")},
        "team": {"description": _l("Pre-selected when the template is used; it can be changed there.")},
        "caseworkers": {"description": _l("Only caseworkers of the chosen team.")},
        "reporting_minutes": {"description": _l("Post-processing after the meeting, reserved in the calendar.")},
        "deadline_days": {"description": _l("Needed for the two settings with N days.")},
        "earliest_after_days": {"description": _l("Days from the day the call-in is created to the first conversation.")},
        "description": {"description": _l("Used for call-ins and online offers.")},
        "message_to_caseworkers": {"description": _l("Sent with the invitation to the caseworker's calendar.")},
        "letter_text": {"description": _l("Merged into letters.")},
        "rolling_end_weeks": {"description": _l("Whole weeks from the day the citizen looks.")},
        "contact_groups": {"description": _l("Online offers only: which citizens see the offer.")},
    }
    audited_relations = ("caseworkers", "contact_groups")

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs.setdefault("team_options_url", url_for(".team_options"))
        return super().render(template, **kwargs)

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.team)
        return form

    @expose("/team-options/")
    def team_options(self) -> Any:
        """The caseworkers and rooms a template of a team may use (for the form's filter)."""
        team = get_scoped_or_404(Team, request.args.get("team_id", type=int))
        caseworkers = [m.caseworker_id for m in db.session.scalars(_active_memberships(team.id))]
        rooms = [room.id for room in team_service.rooms_of_team(team.id)]
        return jsonify(caseworkers=caseworkers, rooms=rooms)

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        template_service.validate_template(model)


def _active_memberships(team_id: int) -> Any:
    from webapp.models import TeamMembership
    return select(TeamMembership).where(TeamMembership.team_id == team_id,
                                        TeamMembership.state == MembershipState.ACTIVE)


# --- Conversation types and variants (R-1.6, R-1.7) -------------------------------------

class ConversationTypeView(ReferenceModelView):
    """The central list, read-only for job centres (R-1.6.1)."""

    column_list = ("code", "name")
    column_default_sort = "code"
    can_view_details = False


def _scoped_letter_templates() -> list[LetterTemplate]:
    return list(db.session.scalars(scoped(LetterTemplate).order_by(LetterTemplate.name)))


class VariantView(PlannerModelView):
    column_list = ("name", "conversation_types", "teams")
    column_searchable_list = ("name",)
    form_columns = ("name", "description", "conversation_types", "teams")
    inline_models = [(LetterRule, {
        "form_columns": ("id", "conversation_type", "activity", "letter_template", "contact_group",
                         "holding_form", "meeting_form"),
        "form_label": _l("Letter rule"),
        "column_labels": {"conversation_type": _l("Conversation type"), "activity": _l("Activity"),
                          "letter_template": _l("Letter template"),
                          "contact_group": _l("Contact group"), "holding_form": _l("Holding form"),
                          "meeting_form": _l("Meeting form")},
        "form_args": {"letter_template": {"query_factory": _scoped_letter_templates},
                      "contact_group": {"blank_text": _l("All")},
                      "holding_form": {"blank_text": _l("All")}},
    })]
    form_rules = [Tabs(
        (_l("Details"), ["name", "description", "conversation_types"]),
        (_l("Letters"), [rules.Macro("planner.letter_rules_help"), "letter_rules"]),
        (_l("Teams"), ["teams"]),
    )]
    form_extra_fields = {"teams": TeamChecklistField(_l("Teams"), query_factory=lambda: [])}
    form_args = {"conversation_types": {"description": _l("One or more of the 11 conversation types.")}}
    audited_relations = ("conversation_types", "teams")

    def prepare_form(self, form: Any, obj: Any) -> Any:
        _tree_choices(form.teams)
        return form

    def related_snapshot(self, model: Any) -> dict[str, Any]:
        snapshot = super().related_snapshot(model)
        snapshot["letter_rules"] = sorted(
            " / ".join(str(part) for part in (
                r.conversation_type, enum_label(r.activity) if r.activity else "",
                r.letter_template, r.contact_group or _("All"), r.holding_form or _("All"),
                enum_label(r.meeting_form) if r.meeting_form else _("All")))
            for r in model.letter_rules)
        return snapshot

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        model.teams = list(form.teams.data)
        variant_service.validate_variant(model)


class LetterTemplateView(PlannerModelView):
    """R-8.4: the merge fields are listed beside the text, a preview renders the letter with
    sample data, and a template that reads an unknown merge field is refused on save."""

    column_list = ("name", "subject")
    column_searchable_list = ("name", "subject")
    form_columns = ("name", "subject", "body")
    form_rules = ("name", "subject", rules.Container("planner.letter_body_with_fields", rules.Field("body")))
    form_helper_actions = {"preview": "preview"}
    form_widget_args = {"body": {"rows": 12}}

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        variant_service.validate_letter_template(model)

    def merge_fields(self) -> list[tuple[str, str]]:
        language = current_language()
        return [(name, text.en if language == "en" else text.da) for name, text in MERGE_FIELDS]

    def preview(self, form: Any) -> None:
        """Render what is in the form with sample data; nothing is saved (R-8.4)."""
        draft = LetterTemplate(job_centre_id=staff_job_centre_id(), name=(form.name.data or "").strip() or "-",
                               subject=form.subject.data or "", body=form.body.data or "")
        draft_id = request.args.get("id", type=int)
        draft.id = draft_id
        try:
            variant_service.validate_letter_template(draft)
        finally:
            # The draft is never added: keep it out of the session the form's save would flush.
            if draft in db.session:
                db.session.expunge(draft)
        team = db.session.scalar(scoped(Team, select(Team)).order_by(Team.id).limit(1))
        g.letter_preview = render_preview(draft.subject, draft.body, sample_context(team, now=now_local()))


# --- Audit trail, logs, about (R-1.9 to) ---------------------------------------

CPR_SEARCHES = "audit_cpr_searches"
KEPT_CPR_SEARCHES = 5


class _CprSearches:
    """This session's CPR searches as filter options (token, masked CPR), read on every page."""

    def __iter__(self) -> Any:
        return iter([(token, label) for token, (_ids, label) in session.get(CPR_SEARCHES, {}).items()])


class CprSearchFilter(sqla_filters.BaseSQLAFilter):
    """R-1.9.3, R-7.8: the citizens a CPR search found, named by an opaque token.

    The CPR number is posted to `AuditTrailView.search_cpr` and never sent in a URL; the
    search leaves the citizens' ids under a random token in the session, and the list is
    reached with that token. The filter offers only this session's searches, so nobody
    types a CPR number into the filter's field; another session's token finds nothing.
    """

    def get_options(self, view: Any) -> Any:
        return _CprSearches()

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        ids, _label = session.get(CPR_SEARCHES, {}).get(str(value), ([], ""))
        return query.filter(AuditEntry.citizen_id.in_(ids or [-1]))

    def operation(self) -> str:
        return str(_l("equals"))


class CaseworkerFilter(sqla_filters.BaseSQLAFilter):
    """R-1.9.3: search by the caseworker's name, among the user's job centre's caseworkers."""

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        ids = list(db.session.scalars(scoped(Caseworker, select(Caseworker.id)).where(
            Caseworker.name.ilike(f"%{str(value).strip()}%"))))
        return query.filter(AuditEntry.caseworker_id.in_(ids or [-1]))

    def operation(self) -> str:
        return str(_l("contains"))


class EventFilter(sqla_filters.FilterEqual):
    def get_options(self, view: Any) -> list[tuple[str, Any]]:
        return [(event.value, ENUM_LABELS[event]) for event in AuditEvent]


def _caseworker_name(view: Any, context: Any, model: AuditEntry, name: str) -> str:
    if model.caseworker_id is None:
        return ""
    caseworker = db.session.get(Caseworker, model.caseworker_id)
    return caseworker.name if caseworker is not None else _("Deleted caseworker no. %(id)s",
                                                              id=model.caseworker_id)


def _citizen_name(view: Any, context: Any, model: AuditEntry, name: str) -> str:
    """The citizen by name and masked CPR number, not the internal id (manual §1.9)."""
    if model.citizen_id is None:
        return ""
    citizen = db.session.get(Citizen, model.citizen_id)
    return (f"{citizen.name} ({citizen.masked_cpr})" if citizen is not None
            else _("Deleted citizen no. %(id)s", id=model.citizen_id))


def _audit_object(view: Any, context: Any, model: AuditEntry, name: str) -> str:
    return audit_details.object_text(model.object_type, model.object_id, session=db.session)


def _audit_changes(view: Any, context: Any, model: AuditEntry, name: str) -> Any:
    return audit_details.changes_table(model.before, model.after)


class AuditTrailView(ReadOnlyModelView):
    """Append-only (R-1.9.2): nobody creates, edits or deletes here. 7 search fields (R-1.9.3)."""

    column_list = ("occurred_at", "event", "user_name", "booking_id", "citizen_id",
                   "caseworker_id", "object_type")
    # what changed as a table of Danish field names, before and after; no raw JSON.
    column_details_list = ("occurred_at", "event", "user_name", "booking_id", "citizen_id",
                           "caseworker_id", "object_type", "before", "details")
    column_default_sort = ("occurred_at", True)
    column_labels = COLUMN_LABELS | {"before": _l("Changes")}
    column_formatters = {"caseworker_id": _caseworker_name, "citizen_id": _citizen_name,
                         "object_type": _audit_object, "before": _audit_changes}
    column_filters = (
        sqla_filters.IntEqualFilter(AuditEntry.booking_id, _l("Conversation number")),
        CprSearchFilter(AuditEntry.citizen_id, _l("Citizen (CPR)")),
        CaseworkerFilter(AuditEntry.caseworker_id, _l("Caseworker")),
        EventFilter(AuditEntry.event, _l("Event")),
        sqla_filters.DateTimeGreaterFilter(AuditEntry.occurred_at, _l("From")),
        sqla_filters.DateTimeSmallerFilter(AuditEntry.occurred_at, _l("To")),
        sqla_filters.FilterLike(AuditEntry.user_name, _l("User")),
    )
    list_template = "admin/audit_list.html"

    @expose("/cpr-search/", methods=("POST",))
    def search_cpr(self) -> Any:
        """R-7.8: the CPR search is a POST; the answer is a redirect to the list by token."""
        try:
            cpr = normalise_cpr(request.form.get("cpr", ""), today=today_local())
            ids = list(db.session.scalars(scoped(Citizen, select(Citizen.id)).where(Citizen.cpr == cpr)))
            if not ids:
                raise DomainError(f"Ingen borger i jobcentret har CPR-nummeret {mask_cpr(cpr)}.",
                                  f"No citizen of the job centre has the CPR number {mask_cpr(cpr)}.",
                                  field="cpr", code="citizen_not_found")
        except DomainError as error:
            flash(error_text(error), "error")
            return redirect(url_for(".index_view"))
        token = secrets.token_urlsafe(12)
        # Only ids and the masked number: Flask's session cookie is signed, not encrypted.
        kept = list(session.get(CPR_SEARCHES, {}).items())[-(KEPT_CPR_SEARCHES - 1):]
        session[CPR_SEARCHES] = dict(kept) | {token: (ids, mask_cpr(cpr))}
        index = next(i for i, flt in enumerate(self._filters or ()) if isinstance(flt, CprSearchFilter))
        arg = self.get_filter_arg(index, self._filters[index])  # type: ignore[index]
        return redirect(url_for(".index_view", **{f"flt0_{arg}": token}))


class SystemLogView(ReadOnlyModelView):
    """Technical events and batch runs, searchable (R-1.10.1)."""

    column_list = ("occurred_at", "level", "category", "message")
    column_default_sort = ("occurred_at", True)
    column_filters = ("level", "category", "occurred_at")
    column_searchable_list = ("message", "category")


class InboundOutcomeFilter(sqla_filters.FilterEqual):
    def get_options(self, view: Any) -> list[tuple[str, Any]]:
        return list(INBOUND_OUTCOME_LABELS.items())


class InboundLogView(SystemLogView):
    """Raw inbound appointment messages with their outcome (R-1.11.1)."""

    column_list = ("received_at", "external_id", "outcome", "detail")
    column_details_list = ("received_at", "external_id", "outcome", "detail", "raw")
    column_default_sort = ("received_at", True)
    column_formatters = {"outcome": lambda view, context, model, name: inbound_outcome_label(model.outcome)}
    column_filters = (InboundOutcomeFilter(InboundMessage.outcome, _l("Outcome")), "received_at",
                      "external_id")
    column_searchable_list = ("external_id", "detail")


class AboutView(PlannerBaseView):
    """Version, database, scheduler status and last batch run (R-1.12.1)."""

    @expose("/")
    def index(self) -> str:
        from webapp.version import __version__
        engine = db.engine
        # Another job centre's runs are not this one's business; support sees all.
        last_run = planning_status.last_run(staff_job_centre_id())
        # From the heartbeat: a crashed scheduler no longer reads "started".
        scheduler = planning_status.scheduler_status()
        version_info = engine.dialect.server_version_info
        return self.render("admin/about.html", version=__version__,
                           database=f"{engine.dialect.name} "
                                    f"{'.'.join(str(p) for p in version_info) if version_info else ''}",
                           last_run=last_run, scheduler=scheduler,
                           timezone=current_app.config["PLANNER_TIMEZONE"])


# --- Overview and support ------------------------------------------------------

class CitizenAuditMixin:
    """Lists that show citizens record a citizen card viewed for each one shown (R-1.9.1)."""

    def citizens_shown(self, rows: list) -> list[Citizen]:
        return rows

    def get_list(self, *args: Any, **kwargs: Any) -> Any:
        count, rows = super().get_list(*args, **kwargs)  # type: ignore[misc]
        if g.get("planner_exporting"):
            # An export is audited as one entry with its rows.
            return count, rows
        seen: set[int] = set()
        for citizen in self.citizens_shown(rows):
            if citizen.id in seen:
                continue
            seen.add(citizen.id)
            audit.record(AuditEvent.CITIZEN_CARD_VIEWED, actor=current_user,
                         job_centre_id=citizen.job_centre_id, citizen_id=citizen.id,
                         details=f"admin: {request.path}")
        g.audit_to_commit = g.get("audit_to_commit", False) or bool(seen)
        return count, rows

    @expose("/")
    def index_view(self) -> Any:
        response = super().index_view()  # type: ignore[misc]
        if g.pop("audit_to_commit", False):
            db.session.commit()
        return response


class CitizenView(PlannerModelView):
    """Citizens (R-6.1): the job centre corrects contact details; name and address are the
    register's. The list shows names and masked CPR numbers only and audits nothing per row;
    opening a citizen's form is one audit entry, a correction another."""

    can_create = False
    can_delete = False
    can_view_details = False
    column_list = ("name", "masked_cpr", "contact_group", "postal_code", "city")
    column_searchable_list = ("name",)
    form_columns = ("email", "phone")
    form_widget_args = {"email": {"autocomplete": "off"}, "phone": {"autocomplete": "off"}}

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        # Checked here, saved and audited by the base view's flush.
        model.email, model.phone = citizen_service.checked_contact(model.email, model.phone)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        if request.method == "GET" and request.args.get("id"):
            citizen = self.get_one(request.args["id"])
            if citizen is not None:
                audit.record(AuditEvent.CITIZEN_CARD_VIEWED, actor=current_user,
                             job_centre_id=citizen.job_centre_id, citizen_id=citizen.id,
                             details="admin: kontaktoplysninger")
                db.session.commit()
        return super().edit_view()


class BookingView(ReadOnlyModelView):
    can_view_details = False
    column_list = ("id", "starts_at", "ends_at", "team", "room", "conversation_type", "status",
                   "origin")
    column_default_sort = ("starts_at", True)
    column_filters = ("id", "status", "origin", "starts_at")


def _callin_citizen(view: Any, context: Any, model: Any, name: str) -> str:
    return f"{model.citizen.name} ({model.citizen.masked_cpr})"


class _CallInStatusFilter(sqla_filters.BaseSQLAFilter):
    """The call-in's status by its stored value; "all" filters nothing. (Flask-Admin's own enum
    filter looks members up by name, which a StrEnum's lower-case values are not.)"""

    def __init__(self) -> None:
        super().__init__(CallIn.status, _l("Status"), options=(
            ("waiting", _l("Waiting")), ("placed", _l("Placed")), ("cancelled", _l("Withdrawn")),
            ("all", _l("All"))))

    def validate(self, value: Any) -> bool:
        return value == "all" or value in {s.value for s in CallInStatus}

    def apply(self, query: Any, value: Any, alias: Any = None) -> Any:
        return query if value == "all" else query.filter(CallIn.status == CallInStatus(value))

    def operation(self) -> Any:
        return _l("is")


class CallInView(ReadOnlyModelView):
    """*Afventerliste* (R-6.2): waiting call-ins unless another status is chosen in the filter."""

    can_view_details = False
    column_list = ("id", "citizen", "team", "conversation_type", "earliest_date", "deadline_date",
                   "priority", "status", "unplaced_reason")
    column_labels = PlannerModelView.column_labels | {"priority": _l("Priority")}
    column_formatters = {"citizen": _callin_citizen}
    column_filters = (_CallInStatusFilter(), "deadline_date")

    @expose("/")
    def index_view(self) -> Any:
        # Opened without arguments, the list starts at the waiting call-ins; the status filter's
        # other values (placed, withdrawn, all) reach the rest.
        if not request.args:
            for key, (_index, flt) in (self._filter_args or {}).items():
                if isinstance(flt, _CallInStatusFilter):
                    return redirect(url_for(".index_view", **{f"flt0_{key}": "waiting"}))
        return super().index_view()


class OnlineOfferView(PlannerModelView):
    column_list = ("name", "team", "conversation_type", "meeting_form", "active", "deactivated_reason")
    form_excluded_columns = ("out_of_slots_notified_at", "created_at", "deactivated_reason")
    audited_relations = ("caseworkers", "contact_groups")

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        # only a room linked to the offer's team.
        room_rules.check_room_for_team(model.team, model.room, field="room")
        # an offer switched off when its last team caseworker left can be reactivated.
        caseworker_service.check_offer_activation(model)


def _three_digits(code: str | None) -> None:
    # The message is made per request: Flask-Admin shows a field's error only when it is a str.
    if code is not None and not (len(code) == 3 and code.isascii() and code.isdigit()):
        raise ValidationError(_("The municipality code is three digits, e.g. 751 for Aarhus."))


class JobCentreView(SupportModelView):
    """Support creates job centres with the default two-level team structure (R-1.1.1)."""

    column_list = ("name", "municipality", "municipality_code", "sync_modes", "allocation_time")
    # Three digits, said in one message (`_three_digits`), not the generic length check's.
    service_checked_fields = (*SupportModelView.service_checked_fields, "municipality_code")
    form_columns = ("name", "municipality", "municipality_code", "sync_modes", "allocation_time",
                    "root_team", "child_team")
    form_args = {
        "municipality_code": {
            "filters": [lambda value: (value or "").strip() or None],
            "validators": [lambda form, field: _three_digits(field.data)],
            "description": _l("Names the job centre in the reports to the national data hub (DFDG)."),
        },
        "allocation_time": {"description": _l(
            "When the nightly allocation runs for this job centre, HH:MM. Empty: the common time.")},
    }

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        # "HH:MM" or empty (the common PLANNER_ALLOCATION_TIME).
        model.allocation_time = planning_status.check_allocation_time(model.allocation_time)
    form_extra_fields = {
        "root_team": StringField(_l("Name of the top team"), description=_l(
            "Recommended: \"<Municipality> Jobcenter\". Empty: that name.")),
        "child_team": StringField(_l("Name of the team below it"), description=_l(
            "The job centre renames it if both get the same name.")),
    }

    def prepare_form(self, form: Any, obj: Any) -> Any:
        if obj is not None:
            # The structure is created once; afterwards teams are edited under Teams.
            del form.root_team
            del form.child_team
        return form

    def create_model(self, form: Any) -> Any:
        from webapp.administration.organisation import create_job_centre
        try:
            job_centre = create_job_centre(form.name.data or "", form.municipality.data or "",
                                           form.root_team.data or None, form.child_team.data or None)
            if form.sync_modes.data:
                job_centre.sync_modes = form.sync_modes.data
            job_centre.allocation_time = planning_status.check_allocation_time(
                form.allocation_time.data)
            job_centre.municipality_code = form.municipality_code.data
            db.session.flush()
            audit.record(AuditEvent.ADMIN_CREATED, actor=current_user, obj=job_centre,
                         after=audit.snapshot(job_centre)
                         | {"teams": sorted(t.name for t in job_centre.teams)})
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            self.field_error(form, error)
            flash(error_text(error), "error")
            return False
        return job_centre


class HoldingFormView(ReferenceModelView):
    column_list = ("code", "name")


class ContactGroupView(ReferenceModelView):
    column_list = ("code", "name")


class SelfBookingDeadlineView(CitizenAuditMixin, ReadOnlyModelView):
    can_view_details = False

    def citizens_shown(self, rows: list) -> list[Citizen]:
        return [row.citizen for row in rows]

    column_list = ("citizen", "conversation_type", "deadline_date", "status")
    column_default_sort = "deadline_date"
    column_filters = ("status", "deadline_date")


class OutboxKindFilter(sqla_filters.FilterEqual):
    def get_options(self, view: Any) -> list[tuple[str, Any]]:
        return list(OUTBOX_KIND_LABELS.items())


class OutboxView(ReadOnlyModelView):
    """What was and will be sent; message bodies may hold personal data, so no details."""

    can_view_details = False
    column_list = ("created_at", "kind", "recipient", "subject", "status", "attempts", "sent_at")
    column_default_sort = ("created_at", True)
    # the kind by its Danish name, in the list and in the filter.
    column_formatters = {"kind": lambda view, context, model, name: outbox_kind_label(model.kind)}
    column_filters = ("status", OutboxKindFilter(OutboxMessage.kind, _l("Kind")))

