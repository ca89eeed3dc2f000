"""The audit trail in Danish words (R-8.3): what an entry speaks of, and its changes as a table.

The trail stores class names, column keys and plain JSON values; the screens show the Danish
names of the object and its fields, dates as dd.mm.yyyy and stored vocabularies by their label.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from webapp import models
from webapp.admin.labels import COLUMN_LABELS, ENUM_LABELS, FIELD_LABELS, object_label

_VALUE_LABELS: dict[str, Any] = {}
for _member, _label in ENUM_LABELS.items():
    _VALUE_LABELS.setdefault(str(_member.value), _label)


def field_label(key: str) -> str:
    """A column key's Danish word; keys stored in Danish (an export's "rækker") stay as they are."""
    label = COLUMN_LABELS.get(key) or FIELD_LABELS.get(key)
    if label is None and key.endswith("_id"):
        label = COLUMN_LABELS.get(key.removesuffix("_id")) or FIELD_LABELS.get(key.removesuffix("_id"))
    return str(label) if label is not None else key


def value_text(value: Any) -> str:
    """A stored value as the screens write it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, dict):
        return "; ".join(f"{field_label(str(k))}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, str):
        if value in _VALUE_LABELS:
            return str(_VALUE_LABELS[value])
        try:
            moment = datetime.fromisoformat(value) if value[:4].isdigit() and value[4:5] == "-" else None
        except ValueError:
            moment = None
        if moment is None:
            return value
        if len(value) == 10:
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        return moment.strftime("%d.%m.%Y %H:%M")
    return str(value)


def change_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(field, before, after) for each key of either side, in the order they were stored."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(field_label(key), value_text(before.get(key)) if key in before else "–",
             value_text(after.get(key)) if key in after else "–") for key in keys]


def changes_table(before: dict[str, Any] | None, after: dict[str, Any] | None) -> Markup:
    rows = change_rows(before, after)
    if not rows:
        return Markup("–")
    head = (f"<thead><tr><th scope=\"col\">{escape(_('Field'))}</th><th scope=\"col\">"
            f"{escape(_('Before'))}</th><th scope=\"col\">{escape(_('After'))}</th></tr></thead>")
    body = "".join(f"<tr><th scope=\"row\">{escape(f)}</th><td>{escape(b)}</td><td>{escape(a)}</td></tr>"
                   for f, b, a in rows)
    return Markup(f"<table class=\"table table-sm audit-changes\">{head}<tbody>{body}</tbody></table>")


def object_text(object_type: str | None, object_id: str | None, *, session: Any) -> str:
    """"Brevskabelon »Indkaldelse«": the object's Danish kind and, while it exists, its name."""
    if not object_type:
        return ""
    kind = object_label(object_type)
    cls = getattr(models, object_type, None)
    # A citizen's name is shown in the citizen column, by its own audited rules.
    if cls is None or object_type == "Citizen" or not (object_id or "").isdigit():
        return kind
    obj = session.get(cls, int(object_id))  # type: ignore[arg-type]
    name = getattr(obj, "name", None) if obj is not None else None
    return f"{kind} »{name}«" if name else kind
