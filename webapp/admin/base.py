"""Base admin views: role checks, job-centre scoping, tabs, Danish errors and the audit of every change."""

from __future__ import annotations

import logging
import math
import re
import traceback
from datetime import date
from enum import Enum
from typing import Any

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.actions import action
from flask_admin.babel import gettext as admin_gettext
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.babel import ngettext as admin_ngettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import tools as sqla_tools
from flask_admin.contrib.sqla.form import AdminModelConverter, InlineModelConverter
from flask_admin.form import BaseForm, FormOpts, rules
from flask_admin.form.fields import Select2Field
from flask_admin.contrib.sqla.validators import Unique
from flask_admin.helpers import get_redirect_target
from flask_admin.model.form import converts
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import BigInteger, SmallInteger, select
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.exc import IntegrityError, StatementError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError, validators, widgets
from wtforms.fields import DateField, TextAreaField

from webapp.admin.empty_lists import EmptyList, empty_list
from webapp.admin.export import ExportMixin
from webapp.admin.labels import COLUMN_LABELS, COLUMN_TYPE_FORMATTERS, enum_label, object_label
from webapp.auth.tenancy import staff_job_centre_id
from webapp.domain import bounds
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import current_language, error_text
from webapp.models import AuditEvent, JobCentre
from webapp.storage import audit

log = logging.getLogger(__name__)

# Kept for callers that import the labels from here.
LABELS = COLUMN_LABELS

BAD_ROW_ID = DomainError("Ugyldigt række-id: intet blev slettet.", "Invalid row id: nothing was deleted.",
                         code="bad_row_id")
FILTER_LEFT_OUT = DomainError("Listen vises uden dette filter.", "The list is shown without this filter.")
SEARCH_LEFT_OUT = DomainError("Listen vises uden søgningen.", "The list is shown without the search.")
BAD_PAGE = DomainError("Sidetallet findes ikke; listens første side vises.",
                       "There is no such page; the list's first page is shown.", code="bad_page")
NOT_DONE = DomainError.of("not_done", code="not_done")


def row_key(model: type, raw: Any) -> Any:
    """A row id from a request in the type of the model's key; None if it cannot be one (R-7.4).

    Flask-Admin passes row ids on as the request's strings, and PostgreSQL refuses to compare
    a string with an integer key, so every id is coerced here, once, and anything else refused.
    """
    keys = sa_inspect(model).primary_key
    if len(keys) != 1 or keys[0].type.python_type is not int:
        return raw
    text = "" if raw is None else str(raw).strip()
    # ASCII digits only: int() would also take "+1", "1_000" and other scripts' digits.
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    value = int(text)
    largest = (2**63 - 1 if isinstance(keys[0].type, BigInteger)
               else 2**15 - 1 if isinstance(keys[0].type, SmallInteger) else 2**31 - 1)
    return value if 0 < value <= largest else None


# A list's search and filter values: a few words, never a document.
LIST_TEXT_MAX = 200
# More pages than any list has; beyond, page * page size overflows the database's offset.
LIST_PAGE_MAX = 100_000


def _unusable_filter(label: str) -> DomainError:
    return DomainError(f"»{label}«: værdien kan ikke bruges som filter.",
                       f"'{label}': the value cannot be used as a filter.", code="bad_filter")


def list_filter_error(flt: Any, value: str) -> DomainError | None:
    """Why a list filter's value from the URL cannot go to the database, or None (R-7.4).

    Flask-Admin checks only that a value parses: 2**70 for an integer column, a name that is no
    member of an enum column, a NUL in a text or year 9999 would each end in a 500.
    """
    label = str(flt.name)
    try:
        bounds.check_text(value, label, label, max_length=LIST_TEXT_MAX)
        cleaned = flt.clean(value)
        column_type = getattr(flt.column, "type", None)
        for item in cleaned if isinstance(cleaned, list | tuple) else [cleaned]:
            if isinstance(item, bool) or item is None:
                continue
            if isinstance(item, int):
                bounds.check_integer(item, label, label)
            elif isinstance(item, float) and not math.isfinite(item):
                return _unusable_filter(label)
            elif isinstance(item, date):
                bounds.check_date(item, label, label)
            elif isinstance(item, str) and isinstance(column_type, SqlEnum) and item not in column_type.enums:
                return _unusable_filter(label)
    except DomainError as error:
        return error
    except (ValueError, LookupError, TypeError, OverflowError):
        return _unusable_filter(label)
    return None


def log_failure(exc: BaseException, where: str) -> None:
    """Log an unexpected error with its traceback, but never a statement's parameters.

    The parameters and a database's detail line may hold a CPR number or other personal data,
    so only the error's type, its SQLSTATE and the statement (placeholders only) are written.
    """
    if isinstance(exc, StatementError):
        orig = exc.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        summary = f"{type(exc).__name__} ({type(orig).__name__}, {sqlstate}) in: {exc.statement}"
    else:
        summary = f"{type(exc).__name__}: {exc}"
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s failed: %s\n%s", where, summary, frames)


def item_text(model: Any, *, in_sentence: bool = False) -> str:
    """"Vejleder »Anna Holm«": the kind of an admin row in Danish and, when it has one, its name.

    `in_sentence` writes the kind in lower case, as inside a sentence ("Slet vejleder …?")."""
    kind = object_label(type(model).__name__)
    if in_sentence and kind[1:2].islower():  # "API-klient" keeps its capitals
        kind = kind[:1].lower() + kind[1:]
    name = getattr(model, "name", None)
    return f"{kind} »{name}«" if isinstance(name, str) and name else kind


def _login_redirect() -> Any:
    return redirect(url_for("auth.login", next=request.full_path))


class AccessMixin:
    """Administrators of a job centre and support; `support_only` narrows to support."""

    support_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated or not getattr(current_user, "can_administer", False):
            return False
        return current_user.is_support or not self.support_only

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _login_redirect()
        abort(403)


class PlannerIndexView(AccessMixin, AdminIndexView):
    @expose("/")
    def index(self) -> Any:
        """The module opens on Vejledere, as the manual shows it; its list carries the set-up
        order (teams, caseworkers, closure days, rooms, Brevmodul, templates, variants)."""
        return redirect(url_for("caseworker.index_view"))


class Bounded:
    """A WTForms validator running a check of webapp.domain.bounds with the field's label (R-7.4)."""

    def __init__(self, check: Any, *, stop: bool = False, **limits: Any) -> None:
        self.check, self.stop, self.limits = check, stop, limits

    def __call__(self, form: Any, field: Any) -> None:
        label = str(field.label.text)
        try:
            self.check(field.data, label, label, **self.limits)
        except DomainError as error:
            raise (validators.StopValidation if self.stop else ValidationError)(error_text(error)) from error


class TextLength(Bounded):
    """The column's length; dropped where a service checks the field with a more precise message."""

    def __init__(self, max_length: int, multiline: bool) -> None:
        super().__init__(bounds.check_text, stop=True, max_length=max_length, multiline=multiline)
        self.field_flags = {"maxlength": max_length}


# Upper bounds of whole numbers by column, below the database's integer: more is a typing error.
INTEGER_MAX = {"capacity": bounds.SEATS_MAX, "overbooking_seats": bounds.SEATS_MAX}
INTEGER_MAX_BY_SUFFIX = (("_minutes", bounds.MINUTES_MAX), ("_days", bounds.DAYS_MAX),
                         ("_weeks", bounds.WEEKS_MAX))


def integer_max(name: str) -> int:
    """The largest value a form takes for the integer column `name`."""
    if name in INTEGER_MAX:
        return INTEGER_MAX[name]
    return next((high for suffix, high in INTEGER_MAX_BY_SUFFIX if name.endswith(suffix)), bounds.INT_MAX)


class PlannerModelConverter(AdminModelConverter):
    """Stored vocabularies are offered with their words, not their stored values; every field is
    bounded by its column (R-7.4)."""

    @classmethod
    def _string_common(cls, column: Any, field_args: dict, **extra: Any) -> None:
        length = getattr(column.type, "length", None)
        multiline = not isinstance(length, int) or not length
        # First, and stopping the chain: Unique would otherwise hand a NUL to PostgreSQL (a 500).
        field_args["validators"].insert(0, TextLength(bounds.TEXT_MAX if multiline else length, multiline))
        cls._nullable_common(column, field_args)

    @converts("Integer")
    def handle_integer_types(self, column: Any, field_args: dict, **extra: Any) -> Any:
        # First, and stopping the chain: Unique would otherwise hand 2**70 to the database.
        field_args["validators"].insert(0, Bounded(bounds.check_integer, stop=True,
                                                   maximum=integer_max(column.key)))
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("DateTime")
    def convert_datetime(self, field_args: dict, **extra: Any) -> Any:
        field_args["validators"].append(Bounded(bounds.check_date))
        return super().convert_datetime(field_args=field_args, **extra)

    @converts("sqlalchemy.sql.sqltypes.Enum")
    def convert_enum(self, column: Any, field_args: dict, **extra: Any) -> Select2Field:
        enum_cls = column.type.enum_class
        field_args["choices"] = [(m.value, _EnumLabel(m)) for m in enum_cls]
        accepted: list[Any] = [m.value for m in enum_cls]
        if column.nullable:
            field_args["allow_blank"] = True
            field_args.setdefault("blank_text", _l("All"))
            accepted.append(None)
            self._nullable_common(column, field_args)
        field_args["validators"].append(validators.AnyOf(accepted))
        field_args["coerce"] = lambda v: v.value if isinstance(v, Enum) else (None if v is None else str(v))
        return Select2Field(**field_args)


    @converts("Date")
    def convert_date(self, field_args: dict, **extra: Any) -> DateField:
        """R-8.4: a date picker (`<input type=date>`: the browser shows the date the user's way and
        sends ISO); a date typed the Danish way (31.12.2027) is read too, for clients without one.
        No placeholder: an example date in the field looked like a value."""
        field_args.setdefault("format", ["%Y-%m-%d", "%d.%m.%Y"])
        field_args.setdefault("widget", widgets.DateInput())
        field_args.setdefault("render_kw", {"autocomplete": "off"})
        field_args["validators"].append(Bounded(bounds.check_date))
        return PickerDateField(**field_args)


class PickerDateField(DateField):
    """A date field for `<input type=date>`: a date read from any accepted format is shown
    again in ISO, the only one the picker understands (else it would show an empty field)."""

    def _value(self) -> str:
        if isinstance(self.data, date):
            return self.data.isoformat()
        return super()._value()


class _EnumLabel:
    """A choice label resolved when rendered, so it follows the user's language."""

    def __init__(self, member: Enum) -> None:
        self.member = member

    def __str__(self) -> str:
        return enum_label(self.member)

    def __html__(self) -> str:
        return str(escape(str(self)))


# WTForms ships no Danish catalog: its messages the admin forms can show, in Danish.
WTFORMS_DA = {
    "This field is required.": "Feltet skal udfyldes.",
    "Not a valid integer value.": "Skriv et helt tal, fx 30.",
    "Not a valid decimal value.": "Skriv et tal.",
    "Not a valid float value.": "Skriv et tal.",
    "Not a valid date value.": "Skriv en gyldig dato som dd.mm.åååå, fx 31.12.2027.",
    "Not a valid datetime value.": "Skriv en gyldig dato og et gyldigt klokkeslæt.",
    "Not a valid time value.": "Skriv et gyldigt klokkeslæt, fx 12:30.",
    "Not a valid choice.": "Vælg en af mulighederne.",
    "Not a valid choice": "Vælg en af mulighederne.",
    "Invalid Choice: could not coerce.": "Vælg en af mulighederne.",
    "Invalid value, must be one of: %(values)s.": "Vælg en af mulighederne.",
    "Field cannot be longer than %(max)d character.": "Feltet må højst have %(max)d tegn.",
    "Field cannot be longer than %(max)d characters.": "Feltet må højst have %(max)d tegn.",
    "Field must be at least %(min)d character long.": "Feltet skal have mindst %(min)d tegn.",
    "Field must be at least %(min)d characters long.": "Feltet skal have mindst %(min)d tegn.",
    "Number must be at least %(min)s.": "Tallet skal være mindst %(min)s.",
    "Number must be at most %(max)s.": "Tallet må højst være %(max)s.",
    "Already exists.": "Findes allerede.",
}


class _FormTranslations:
    """WTForms messages in the user's language: Danish from WTFORMS_DA, else English."""

    def gettext(self, string: str) -> str:
        if current_language() == "da":
            return WTFORMS_DA.get(string, string)
        return string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


class PlannerBaseForm(BaseForm):
    class Meta:
        def get_translations(self, form: Any) -> _FormTranslations:
            return _FormTranslations()

    def validate(self, extra_validators: Any = None) -> bool:
        """Every text field, also those no column makes, refuses control characters and endless text."""
        valid = super().validate(extra_validators)
        for field in self:
            if not isinstance(field.data, str) or field.errors:
                continue
            label = str(field.label.text)
            try:
                bounds.check_text(field.data, label, label, multiline=isinstance(field, TextAreaField))
            except DomainError as error:
                field.errors = [*field.errors, error_text(error)]
                valid = False
        return valid


class PlannerInlineModelConverter(InlineModelConverter):
    """Inline forms (a variant's letter rules) are PlannerBaseForms too: Danish messages and the text
    checks; Flask-Admin would make them plain BaseForms (R-7.4)."""

    def get_info(self, p: Any) -> Any:
        info = super().get_info(p)
        if info is not None and info.form_base_class is None:
            info.form_base_class = PlannerBaseForm
        return info


class Tabs(rules.BaseRule):
    """The manual's tabs: one Bootstrap tab per (label, fields); a tab with an error opens first.

    ARIA's tab pattern: the list items are presentation only, so the tablist owns its tabs
    directly, and each tab names the panel it controls (axe-core, R-8.2)."""

    def __init__(self, *tabs: tuple[Any, list[Any]]) -> None:
        super().__init__()
        self.tabs = [(label, rules.NestedRule(items)) for label, items in tabs]

    def configure(self, rule_set: rules.RuleSet, parent: rules.BaseRule | None) -> rules.BaseRule:
        self.tabs = [(label, nested.configure(rule_set, self)) for label, nested in self.tabs]
        return super().configure(rule_set, parent)

    @property
    def visible_fields(self) -> list[str]:
        return [name for _, nested in self.tabs for name in nested.visible_fields]

    def __call__(self, form: Any, form_opts: Any = None, field_args: Any = None) -> str:
        with_errors = [any(getattr(form, name, None) is not None and getattr(form, name).errors
                           for name in nested.visible_fields) for _, nested in self.tabs]
        active = with_errors.index(True) if True in with_errors else 0
        nav, panes = [], []
        for index, (label, nested) in enumerate(self.tabs):
            tab_id = f"tab-{index}"
            is_active = index == active
            mark = (f' <span class="badge badge-danger" aria-hidden="true">!</span>'
                    f'<span class="sr-only"> ({escape(str(_l("has errors")))})</span>'
                    if with_errors[index] else "")
            nav.append(
                f'<li class="nav-item" role="presentation"><a class="nav-link{" active" if is_active else ""}" '
                f'id="{tab_id}-link" data-toggle="tab" href="#{tab_id}" role="tab" '
                f'aria-controls="{tab_id}" aria-selected="{"true" if is_active else "false"}">'
                f"{escape(str(label))}{mark}</a></li>")
            panes.append(
                f'<div class="tab-pane fade{" show active" if is_active else ""}" id="{tab_id}" '
                f'role="tabpanel" aria-labelledby="{tab_id}-link">'
                f"{nested(form, form_opts=form_opts, field_args=field_args)}</div>")
        return Markup(f'<ul class="nav nav-tabs planner-form-tabs mb-3" role="tablist">{"".join(nav)}</ul>'
                      f'<div class="tab-content">{"".join(panes)}</div>')


class PlannerModelView(ExportMixin, AccessMixin, ModelView):
    """A model view scoped to the user's job centre, auditing every change; its list exports
    to CSV and Excel (R-6.11)."""

    column_labels = COLUMN_LABELS
    column_type_formatters = COLUMN_TYPE_FORMATTERS
    column_type_formatters_detail = COLUMN_TYPE_FORMATTERS
    model_form_converter = PlannerModelConverter
    inline_model_form_converter = PlannerInlineModelConverter
    form_base_class = PlannerBaseForm
    list_template = "admin/planner_list.html"
    create_template = "admin/planner_create.html"
    edit_template = "admin/planner_edit.html"
    list_template = "admin/planner_list.html"
    page_size = 50
    can_view_details = True
    can_set_page_size = True
    # Set on views whose rows belong to one job centre through `job_centre_id`.
    tenant_scoped = True
    # Reference data administrators may read but only support may change.
    support_edits_only = False
    # Many-to-many relations whose before/after go into the audit trail with the columns.
    audited_relations: tuple[str, ...] = ()
    # Buttons inside a form that fill or copy values without saving: request key -> method.
    form_helper_actions: dict[str, str] = {}

    def __init__(self, model: type, **kwargs: Any) -> None:
        super().__init__(model, db, **kwargs)

    def list_notices(self) -> list[str]:
        """Warnings shown above the list (the team tree's names to tell apart, say)."""
        return []

    def empty_list(self, narrowed: object = False) -> EmptyList:
        """What the list says when it has no rows (R-8.4); `narrowed` (truthy) by a search or filter."""
        return empty_list(self.endpoint, narrowed=bool(narrowed))

    # --- permissions -------------------------------------------------------
    def _may_edit(self) -> bool:
        return not self.support_edits_only or current_user.is_support

    def is_action_allowed(self, name: str) -> bool:
        return self._may_edit() and super().is_action_allowed(name)

    # --- scoping (R-0.1) ---------------------------------------------------
    def _scope(self, query: Any) -> Any:
        job_centre_id = staff_job_centre_id()
        if self.tenant_scoped and job_centre_id is not None:
            query = query.filter(self.model.job_centre_id == job_centre_id)
        return query

    # --- list arguments (R-7.4) ------------------------------------------------
    def _get_list_filter_args(self) -> list[Any] | None:
        """Flask-Admin's reading of the `flt<pos>_<key>` arguments, with every value checked by
        `list_filter_error`; a bad one is flashed and left out, so the list shows without it."""
        if not self._filters:
            return None
        filters = []
        for arg, value in request.args.items():
            if not arg.startswith("flt") or "_" not in arg:
                continue
            position, key = arg[3:].split("_", 1)
            if key not in (self._filter_args or {}):
                continue
            index, flt = self._filter_args[key]  # type: ignore[index]
            error = list_filter_error(flt, value)
            if error is not None:
                flash(f"{error_text(error)} {error_text(FILTER_LEFT_OUT)}", "error")
                continue
            filters.append((position, (index, str(flt.name), value)))
        return [item for _position, item in sorted(filters, key=lambda pair: pair[0])]

    def _get_list_extra_args(self) -> Any:
        """The list's page and search within bounds; otherwise the first page, or no search."""
        view_args = super()._get_list_extra_args()
        if view_args.page is not None and not 0 <= view_args.page <= LIST_PAGE_MAX:
            flash(error_text(BAD_PAGE), "error")
            view_args.page = 0
        if view_args.search and self._search_supported:
            try:
                bounds.check_text(view_args.search, "Søgning", "Search", max_length=LIST_TEXT_MAX)
            except DomainError as error:
                flash(f"{error_text(error)} {error_text(SEARCH_LEFT_OUT)}", "error")
                view_args.search = None
        return view_args

    def get_query(self) -> Any:
        return self._scope(super().get_query())

    def get_count_query(self) -> Any:
        return self._scope(super().get_count_query())

    def get_one(self, id: Any) -> Any:
        key = row_key(self.model, id)
        obj = db.session.get(self.model, key) if key is not None else None
        job_centre_id = staff_job_centre_id()
        if obj is None:
            abort(404)
        if self.tenant_scoped and job_centre_id is not None and obj.job_centre_id != job_centre_id:
            abort(404)
        return obj

    def _scope_form(self, form: Any) -> Any:
        """Limit every choice of a related row to the user's job centre."""
        job_centre_id = staff_job_centre_id()
        for field in form:
            query_factory = getattr(field, "query_factory", None)
            if query_factory is None or job_centre_id is None:
                continue
            related = _related_model(self.model, field.name)
            if related is None:
                continue
            if related is JobCentre:
                field.query_factory = (lambda jc=job_centre_id:
                                       db.session.scalars(select(JobCentre).where(JobCentre.id == jc)).all())
            elif hasattr(related, "job_centre_id"):
                field.query_factory = (lambda m=related, jc=job_centre_id:
                                       db.session.scalars(select(m).where(m.job_centre_id == jc)).all())
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self.prepare_form(self._loosen(self._scope_form(super().create_form(obj))), None)

    def edit_form(self, obj: Any = None) -> Any:
        if obj is not None:
            g.planner_related_before = self.related_snapshot(obj)
        return self.prepare_form(self._loosen(self._scope_form(super().edit_form(obj))), obj)

    def prepare_form(self, form: Any, obj: Any) -> Any:
        """Adjust a form instance (choices, read-only fields) before it is used."""
        return form

    # Fields a service normalises and checks with a precise message: no generic length check.
    service_checked_fields = ("postal_code", "phone", "rid", "guid", "email")

    def _loosen(self, form: Any) -> Any:
        for field in form:
            # An empty choice reads "(none)", not Flask-Admin's "__None".
            if getattr(field, "allow_blank", False) and not str(getattr(field, "blank_text", "") or "").strip():
                field.blank_text = _l("(none)")
        for name in self.service_checked_fields:
            field = getattr(form, name, None)
            if field is not None:
                field.validators = [v for v in field.validators
                                    if not isinstance(v, validators.Length | TextLength | Unique)]
        return form

    def scaffold_form(self) -> Any:
        form_class = super().scaffold_form()
        # Administrators never choose a job centre: theirs is set on save.
        if self.tenant_scoped and hasattr(form_class, "job_centre") and not self._support_form():
            delattr(form_class, "job_centre")
        return form_class

    def _support_form(self) -> bool:
        return False

    # --- buttons that fill a form without saving ----------------------------
    def _helper_action(self) -> str | None:
        if request.method != "POST":
            return None
        return next((key for key in self.form_helper_actions if key in request.form), None)

    def _render_after_helper(self, form: Any, action: str, template: str, ruleset: Any,
                             **context: Any) -> str:
        try:
            getattr(self, self.form_helper_actions[action])(form)
        except DomainError as error:
            self.field_error(form, error)
        form_opts = FormOpts(widget_args=self.form_widget_args, form_rules=ruleset)
        return_url = get_redirect_target() or self.get_url(".index_view")
        return self.render(template, form=form, form_opts=form_opts, return_url=return_url, **context)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        action = self._helper_action()
        if action and self.can_create:
            form = self.create_form()
            return self._render_after_helper(form, action, self.create_template, self._form_create_rules)
        return self._naming_the_item(super().create_view())

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        action = self._helper_action()
        if action and self.can_edit and request.args.get("id"):
            model = self.get_one(request.args["id"])
            form = self.edit_form(obj=model)
            return self._render_after_helper(form, action, self.edit_template, self._form_edit_rules,
                                             model=model)
        return self._naming_the_item(super().edit_view())

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Any:
        return self._naming_the_item(super().delete_view())

    # --- messages that name the item (R-8.4) ----------------------------------
    def delete_confirmation(self, row: Any) -> str:
        """The list's question before deleting one row: "Slet vejleder »Anna Holm«?"."""
        return str(_l("Delete %(item)s?", item=item_text(row, in_sentence=True)))

    def _naming_the_item(self, response: Any) -> Any:
        """Flask-Admin's "Posten blev gemt." becomes "Vejleder »Anna Holm« er gemt.": the flash
        of this request is rewritten with the item the save or delete recorded in `g`."""
        saved, deleted = g.pop("planner_saved_item", None), g.pop("planner_deleted_item", None)
        named = {}
        if saved is not None:
            named[str(admin_gettext("Record was successfully created."))] = _l("%(item)s is created.", item=saved)
            named[str(admin_gettext("Record was successfully saved."))] = _l("%(item)s is saved.", item=saved)
        if deleted is not None:
            named[str(admin_ngettext("Record was successfully deleted.",
                                     "%(count)s records were successfully deleted.", 1, count=1))] = \
                _l("%(item)s is deleted.", item=deleted)
        if named and session.get("_flashes"):
            session["_flashes"] = [(category, str(named.get(message, message)))
                                   for category, message in session["_flashes"]]
        return response

    # --- errors ---------------------------------------------------------------
    def field_error(self, form: Any, error: DomainError) -> bool:
        """Show a domain error on its form field; False if the form has no such field."""
        field = getattr(form, error.field, None) if error.field else None
        if field is None or form is None:
            return False
        field.errors = [*field.errors, error_text(error)]
        return True

    # --- saving, with audit -----------------------------------------------
    def related_snapshot(self, model: Any) -> dict[str, Any]:
        """Values of related rows that the audit trail records with the columns."""
        return {name: sorted(str(item) for item in getattr(model, name))
                for name in self.audited_relations}

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        # No autoflush until the changes are read: a lazy load would flush them away.
        with db.session.no_autoflush:
            job_centre_id = staff_job_centre_id()
            if self.tenant_scoped and hasattr(model, "job_centre_id"):
                if job_centre_id is not None:
                    model.job_centre_id = job_centre_id
                    if getattr(model, "job_centre", None) is None:
                        model.job_centre = db.session.get(JobCentre, job_centre_id)
                elif model.job_centre_id is None and getattr(model, "job_centre", None) is None:
                    raise ValidationError(str(_l("Choose a job centre.")))
            try:
                self.apply_rules(form, model, is_created)
            except DomainError as error:
                self.field_error(form, error)
                raise ValidationError(error_text(error)) from error
            self._record_change(model, is_created)

    def _record_change(self, model: Any, is_created: bool) -> None:
        # Read the changes before the flush, which resets attribute history.
        before, after = ({}, {}) if is_created else audit.changes(model)
        related_before = {} if is_created else g.pop("planner_related_before", {})
        related_after = self.related_snapshot(model)
        for key, value in related_after.items():
            if not is_created and related_before.get(key) != value:
                before[key], after[key] = related_before.get(key), value
        db.session.flush()
        if is_created:
            audit.record(AuditEvent.ADMIN_CREATED, actor=current_user, obj=model,
                         after=audit.snapshot(model) | related_after)
        elif after:
            audit.record(AuditEvent.ADMIN_UPDATED, actor=current_user, obj=model,
                         before=before, after=after)
        g.planner_saved_item = item_text(model)

    def apply_rules(self, form: Any, model: Any, is_created: bool) -> None:
        """Call the services for this model; raise DomainError to refuse."""

    def on_model_delete(self, model: Any) -> None:
        self.check_delete(model)
        g.planner_deleted_item = item_text(model)
        audit.record(AuditEvent.ADMIN_DELETED, actor=current_user, obj=model,
                     before=audit.snapshot(model) | self.related_snapshot(model))

    def check_delete(self, model: Any) -> None:
        """Raise DomainError when the row may not be deleted."""

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids: Any) -> None:
        """The list's bulk delete, with the row ids coerced to the key's type (R-7.4)."""
        keys = [row_key(self.model, raw) for raw in ids]
        if not keys or any(key is None for key in keys):
            flash(error_text(BAD_ROW_ID), "error")
            return
        try:
            rows = sqla_tools.get_query_for_ids(self.get_query(), self.model, keys).all()
            # delete_model commits each row and reports its own refusals.
            count = sum(1 for row in rows if self.delete_model(row))
        except Exception as exc:
            db.session.rollback()
            if not self.handle_view_exception(exc):
                raise
            return
        if count:
            flash(admin_ngettext("Record was successfully deleted.",
                                 "%(count)s records were successfully deleted.", count, count=count),
                  "success")

    def handle_view_exception(self, exc: Exception) -> bool:
        """A refusal is shown in words; anything else is logged and shown without its text (R-7.4)."""
        if isinstance(exc, ValidationError):
            flash(str(_l("Not saved: %(reason)s", reason=str(exc))), "error")
            return True
        if isinstance(exc, DomainError):
            flash(error_text(exc), "error")
            return True
        if isinstance(exc, HTTPException):
            raise exc
        if current_app.config.get("FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION"):
            raise exc
        log_failure(exc, f"Admin {self.endpoint} {request.method} {request.path}")
        if isinstance(exc, IntegrityError):
            flash(str(_l("Could not be saved: the value already exists or breaks a rule.")), "error")
        else:
            flash(error_text(NOT_DONE), "error")
        return True


class ReadOnlyModelView(PlannerModelView):
    can_create = False
    can_edit = False
    can_delete = False


class ReferenceModelView(PlannerModelView):
    """National reference data: everyone with admin access reads, support edits."""

    tenant_scoped = False
    support_edits_only = True

    @property
    def can_create(self) -> bool:  # type: ignore[override]
        return current_user.is_authenticated and current_user.is_support

    can_edit = can_create
    can_delete = can_create


class SupportModelView(PlannerModelView):
    support_only = True
    tenant_scoped = False


def _related_model(model: type, attribute: str) -> type | None:
    relationship = sa_inspect(model).relationships.get(attribute)
    return relationship.mapper.class_ if relationship is not None else None


class PlannerBaseView(AccessMixin, BaseView):
    pass
