"""Fravær in the admin: a list of the job centre's absences, thin over `webapp.calendar.absences` (R-6.4).

Registering, changing and removing go through the service (its checks, its messages, its
audit entries); after saving, the absence's workspace page lists the meetings it hits with
*Genplanlæg*.
"""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from webapp.admin.base import PlannerModelView
from webapp.auth.tenancy import staff_job_centre_id
from webapp.calendar import absences
from webapp.calendar.absences import AbsenceInput
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import error_text


def _workspace_link(view: Any, context: Any, model: Any, name: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(
        url_for("workspace.absence_detail", absence_id=model.id), escape(absences.span_da(model)))


class AbsenceView(PlannerModelView):
    column_list = ("caseworker", "kind", "starts_at", "note")
    column_labels = PlannerModelView.column_labels | {"starts_at": _l("Period"), "note": _l("Note"),
                                                      "kind": _l("Kind of absence")}
    column_default_sort = ("starts_at", True)
    column_formatters = {"starts_at": _workspace_link}
    column_searchable_list = ()
    can_view_details = False
    form_columns = ("caseworker", "kind", "starts_at", "ends_at", "note")
    form_args = {
        "starts_at": {"description": _l("Whole days run from 00:00 on the first day to 00:00 on the "
                                        "day after the last.")},
    }

    def _input(self, form: Any, caseworker_id: int | None = None) -> AbsenceInput:
        kind = form.kind.data
        caseworker = form.caseworker.data
        return AbsenceInput(
            caseworker_id=caseworker_id or (caseworker.id if caseworker is not None else None),
            kind=getattr(kind, "value", kind), whole_days=False, starts_at=form.starts_at.data,
            ends_at=form.ends_at.data, note=form.note.data)

    def _refused(self, form: Any, error: DomainError) -> bool:
        db.session.rollback()
        if not self.field_error(form, error):
            flash(error_text(error), "error")
        return False

    def create_model(self, form: Any) -> Any:
        try:
            model = absences.register(staff_job_centre_id() or 0, self._input(form), actor=current_user)
            db.session.commit()
        except DomainError as error:
            return self._refused(form, error)
        return model

    def update_model(self, form: Any, model: Any) -> bool:
        try:
            absences.change(model, self._input(form, model.caseworker_id), actor=current_user)
            db.session.commit()
        except DomainError as error:
            return self._refused(form, error)
        return True

    def delete_model(self, model: Any) -> bool:
        try:
            absences.remove(model, actor=current_user)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(error_text(error), "error")
            return False
        return True

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        # The meetings the absence hits, with Genplanlæg.
        return url_for("workspace.absence_detail", absence_id=model.id)
