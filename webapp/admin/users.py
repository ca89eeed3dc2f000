"""*Brugere*: staff logins (R-6.3). Administrators manage their own job centre's caseworkers and
administrators, support everyone's; the rules are in webapp/administration/staff_logins."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.form import FormOpts
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from wtforms import SelectField, validators

from webapp.admin.base import PlannerModelView, error_text, row_key
from webapp.admin.labels import enum_label
from webapp.administration import staff_logins
from webapp.auth.tenancy import staff_job_centre_id
from webapp.clock import now_local
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.models import AuditEvent, Role, User
from webapp.storage import audit

LANGUAGE_CHOICES = [("", _l("Danish (standard)")), ("da", "Dansk"), ("en", "English")]


def link_for(token: str) -> str:
    return url_for("password_link.set_password", token=token, _external=True)


class UserView(PlannerModelView):
    column_list = ("username", "name", "email", "role", "job_centre", "is_enabled")
    column_details_exclude_list = ("password_hash", "session_version", "password_link_hash")
    # The session version only ever goes up: setting it back would revive old cookies.
    form_columns = ("username", "name", "email", "role", "job_centre", "caseworker", "locale",
                    "oidc_subject", "is_enabled")
    form_overrides = {"locale": SelectField}
    form_args = {"locale": {"label": _l("Language"), "choices": LANGUAGE_CHOICES,
                            "validators": [validators.Optional()]},
                 "caseworker": {"description": _l(
                     "The caseworker whose calendar and teams the login opens. A caseworker's "
                     "login needs one.")},
                 "oidc_subject": {"description": _l(
                     "Only for login with the organisation account matched by subject: the "
                     "account's \"sub\" at the identity provider. Leave empty otherwise.")}}
    column_searchable_list = ("username", "name")
    can_delete = False  # a login is disabled, never deleted: the audit trail names its user

    def _support_form(self) -> bool:
        return True  # the job centre field is kept, and removed for administrators per form

    # --- scoping: an administrator never sees support's logins (R-6.3) -----------------
    def get_query(self) -> Any:
        query = super().get_query()
        return query if staff_job_centre_id() is None else query.filter(User.role != Role.SUPPORT)

    def get_count_query(self) -> Any:
        query = super().get_count_query()
        return query if staff_job_centre_id() is None else query.filter(User.role != Role.SUPPORT)

    def get_one(self, id: Any) -> Any:
        user = super().get_one(id)
        try:
            staff_logins.check_may_manage(current_user, user)
        except DomainError:
            abort(404)
        return user

    def prepare_form(self, form: Any, obj: Any) -> Any:
        roles = staff_logins.grantable_roles(current_user)
        form.role.choices = [(role.value, enum_label(role)) for role in roles]
        if obj is None and request.method == "GET":
            form.role.data = roles[0].value  # the least powerful role, never support
        if not current_user.is_support:
            del form.job_centre
        if obj is None:
            del form.is_enabled
        return form

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if model.role == Role.SUPPORT and current_user.is_support:
            model.job_centre = None  # support is national: no job centre to check
            with db.session.no_autoflush:
                try:
                    self.apply_rules(form, model, is_created)
                except DomainError as error:
                    self.field_error(form, error)
                    raise validators.ValidationError(error_text(error)) from error
                self._record_change(model, is_created)
            return
        super().on_model_change(form, model, is_created)

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        staff_logins.check_login(current_user, model)
        if "is_enabled" in {attr.key for attr in sa_inspect(model).attrs
                            if attr.history.has_changes()}:
            staff_logins.set_enabled(current_user, model, bool(model.is_enabled))

    # --- a new login: created by the service, its link shown once ----------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        form = self.create_form()
        if request.method == "POST" and self.validate_form(form):
            job_centre = getattr(form, "job_centre", None)
            try:
                user, link = staff_logins.create_login(
                    current_user, username=form.username.data or "", name=form.name.data or "",
                    email=form.email.data or "", role=form.role.data,
                    job_centre_id=job_centre.data.id if job_centre is not None and job_centre.data
                    else None,
                    locale=form.locale.data or None, now=now_local(), link_for=link_for,
                    oidc_subject=form.oidc_subject.data or None,
                    caseworker_id=form.caseworker.data.id if form.caseworker.data else None)
                audit.record(AuditEvent.ADMIN_CREATED, actor=current_user, obj=user,
                             after=audit.snapshot(user))
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                if not self.field_error(form, error):
                    flash(error_text(error), "error")
            else:
                return self._render_link(user, link)
        form_opts = FormOpts(widget_args=self.form_widget_args, form_rules=self._form_create_rules)
        return self.render(self.create_template, form=form, form_opts=form_opts,
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    def _render_link(self, user: User, link: str) -> str:
        return self.render("admin/user_link.html", user=user, link=link,
                           return_url=self.get_url(".index_view"))

    # --- disable, re-enable, a new link --------------------------------------------------
    def _selected(self, ids: list[str]) -> list[User]:
        keys = [row_key(User, raw) for raw in ids]
        return [user for user in self.get_query().filter(User.id.in_([k for k in keys if k])).all()]

    def _set_enabled(self, ids: list[str], enabled: bool) -> None:
        try:
            users = self._selected(ids)
            for user in users:
                staff_logins.set_enabled(current_user, user, enabled)
                audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=user,
                             before={"is_enabled": not enabled}, after={"is_enabled": enabled})
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error), "error")
            return
        flash(_("%(count)s logins enabled.", count=len(users)) if enabled
              else _("%(count)s logins disabled; their sessions are ended.", count=len(users)), "success")

    @action("disable", _l("Disable login"), _l("Disable the selected logins? Their sessions end at once."))
    def action_disable(self, ids: list[str]) -> None:
        self._set_enabled(ids, False)

    @action("enable", _l("Enable login"))
    def action_enable(self, ids: list[str]) -> None:
        self._set_enabled(ids, True)

    @action("password_link", _l("New set-password link"))
    def action_password_link(self, ids: list[str]) -> Any:
        users = self._selected(ids)
        if len(users) != 1:
            flash(_("Choose exactly one user for a new link."), "error")
            return None
        try:
            link = staff_logins.issue_password_link(current_user, users[0], now=now_local(),
                                                    link_for=link_for)
            audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=users[0],
                         after={"password_link": "sent"})
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error), "error")
            return None
        return self._render_link(users[0], link)
