"""The admin lists' CSV and Excel export (R-6.11): the list's rows as a file, audited once."""

from __future__ import annotations

import enum
from typing import Any

from flask import Response, flash, g, redirect, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_babel import force_locale
from flask_login import current_user
from markupsafe import Markup
from werkzeug.utils import secure_filename

from webapp.admin.labels import enum_label
from webapp.auth.tenancy import staff_job_centre_id
from webapp.clock import now_local
from webapp.domain import export as export_file
from webapp.domain.cpr import mask_cpr
from webapp.extensions import db
from webapp.language import error_text
from webapp.storage import audit

# Columns holding a CPR number in clear: masked in every export, for every role. Administrators
# and support see masked numbers on the screens too; nobody's work needs a file of CPR numbers.
CPR_COLUMNS = frozenset({"cpr"})


def _enum_cell(view: Any, value: enum.Enum, name: str) -> str:
    return enum_label(value)


class ExportMixin:
    """CSV and Excel export on a model view's list: the same job centre, search, filters and order
    as the list on the screen; labels and words in Danish; dates dd.mm.yyyy; CPR numbers masked;
    no cell a spreadsheet runs as a formula; one audit entry per export (R-6.11)."""

    can_export = True
    export_types = list(export_file.EXPORT_TYPES)
    # Every row of the list: a job centre's lists are thousands of rows, not millions.
    export_max_rows = 0
    # Stored values as their words; dates, yes/no and empty cells are written by export_file.
    column_type_formatters_export: dict[type, Any] = {enum.Enum: _enum_cell}

    def get_export_value(self, model: Any, name: Any) -> Any:
        value = super().get_export_value(model, name)  # type: ignore[misc]
        if isinstance(value, Markup):
            # A column shown as a link on the screen is its text in a file.
            value = value.striptags()
        if name in CPR_COLUMNS and value:
            value = mask_cpr(str(value))
        return value

    def get_export_name(self, export_type: str = "csv") -> str:
        return f"{self.name}_{now_local():%Y-%m-%d_%H-%M}.{export_type}"  # type: ignore[attr-defined]

    def _export_filters(self) -> dict[str, str]:
        """The list's search and filters as the audit trail names them."""
        shown: dict[str, str] = {}
        filter_args = getattr(self, "_filter_args", None) or {}
        for arg, value in request.args.items():
            if arg == "search":
                shown["Søgning"] = value
            elif arg.startswith("flt") and "_" in arg:
                key = arg[3:].split("_", 1)[1]
                if key in filter_args:
                    flt = filter_args[key][1]
                    shown[f"{flt.name} {flt.operation()}"] = value
        return shown

    @expose("/")
    def index_view(self) -> Any:
        """The list; an `export_type` argument, which would break the list's export links
        (Flask-Admin passes the list's arguments on to them), is dropped (R-7.4)."""
        if "export_type" in request.args:
            args = request.args.to_dict(flat=False)
            args.pop("export_type")
            return redirect(url_for(".index_view", **args))
        return super().index_view()  # type: ignore[misc]

    @expose("/export/<export_type>/")
    def export(self, export_type: str) -> Any:
        return_url = get_redirect_target() or self.get_url(".index_view")  # type: ignore[attr-defined]
        if not self.can_export or export_type not in self.export_types:
            flash(error_text(export_file.EXPORT_TYPE_UNKNOWN), "error")
            return redirect(return_url)
        g.planner_exporting = True
        with force_locale("da"):
            _count, rows = self._export_data()  # type: ignore[attr-defined]
            columns = self._export_columns  # type: ignore[attr-defined]
            headers = [str(label) for _name, label in columns]
            values = [[self.get_export_value(row, name) for name, _label in columns] for row in rows]
            list_name = str(self.name)  # type: ignore[attr-defined]
            filters = {str(key): value for key, value in self._export_filters().items()}
        body = export_file.render(export_type, headers, values, title=list_name)
        audit.record_export(actor=current_user, job_centre_id=staff_job_centre_id(),
                            list_name=list_name, export_type=export_type, rows=len(values),
                            filters=filters)
        db.session.commit()
        filename = secure_filename(self.get_export_name(export_type)) or f"eksport.{export_type}"
        return Response(body, mimetype=export_file.MIMETYPES[export_type],
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
