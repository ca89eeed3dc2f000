"""Form fields of the admin screens that do not map to one column: week, breaks, team checklist."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask_admin.contrib.sqla.fields import QuerySelectMultipleField
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms import Field, widgets

from webapp.admin.labels import WEEKDAYS
from webapp.administration.caseworkers import MIDNIGHT, BreakRow, default_week

BLANK_BREAK_ROWS = 2


def _parse_time(text: str, label: str) -> time:
    try:
        return datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise ValueError(_("%(label)s: \"%(text)s\" is not a time; write it as 12:30.",
                           label=label, text=text)) from None


def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value is not None else ""


def _texts() -> dict[str, Markup]:
    """The widgets' words, escaped, in the user's language."""
    return {
        "00:00 to 00:00 means no working time that day.": escape(_("00:00 to 00:00 means no working time that day.")),
        "Add break": escape(_("Add break")),
        "Break from": escape(_("Break from")),
        "Break to": escape(_("Break to")),
        "Copy Monday to all weekdays": escape(_("Copy Monday to all weekdays")),
        "Copy breaks from another caseworker": escape(_("Copy breaks from another caseworker")),
        "Copy the breaks of": escape(_("Copy the breaks of")),
        "Copy to the other days": escape(_("Copy to the other days")),
        "Fetch breaks": escape(_("Fetch breaks")),
        "Fill in an empty row to add a break; empty a row to delete it. Breaks under 15 minutes cannot be shown in the calendar.": escape(_("Fill in an empty row to add a break; empty a row to delete it. Breaks under 15 minutes cannot be shown in the calendar.")),
        "From": escape(_("From")),
        "To": escape(_("To")),
        "Weekday": escape(_("Weekday")),
        "end": escape(_("end")),
        "start": escape(_("start")),
    }


class _NoPopulate:
    """The service applies these fields; `populate_obj` must not set an attribute."""

    def populate_obj(self, obj: Any, name: str) -> None:
        return None


class WeekField(_NoPopulate, Field):
    """Working time: one start and end per weekday (R-1.2.5)."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", default_week)
        super().__init__(label, validators, **kwargs)

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        default = self.default() if callable(self.default) else self.default
        self.data = dict(default)
        self.object_data = None
        if formdata is None or f"{self.name}-0-start" not in formdata:
            return
        for day in range(7):
            try:
                start = _parse_time(formdata.get(f"{self.name}-{day}-start") or "00:00", str(WEEKDAYS[day]))
                end = _parse_time(formdata.get(f"{self.name}-{day}-end") or "00:00", str(WEEKDAYS[day]))
            except ValueError as error:
                self.process_errors.append(str(error))
                continue
            self.data[day] = (start, end)

    def __call__(self, **kwargs: Any) -> Markup:
        t = _texts()
        css = escape(kwargs.get("class", "").replace("form-control", "").strip())
        rows = []
        for day in range(7):
            start, end = self.data.get(day, (MIDNIGHT, MIDNIGHT))
            rows.append(
                f"<tr><th scope=\"row\">{escape(str(WEEKDAYS[day]))}</th>"
                f"<td><input type=\"text\" inputmode=\"numeric\" pattern=\"[0-2]?[0-9]:[0-5][0-9]\" placeholder=\"00:00\" size=\"5\" class=\"form-control form-control-sm planner-time\" name=\"{self.name}-{day}-start\" "
                f"id=\"{self.name}-{day}-start\" value=\"{_hhmm(start)}\" aria-label=\"{escape(str(WEEKDAYS[day]))} {t['start']}\"></td>"
                f"<td><input type=\"text\" inputmode=\"numeric\" pattern=\"[0-2]?[0-9]:[0-5][0-9]\" placeholder=\"00:00\" size=\"5\" class=\"form-control form-control-sm planner-time\" name=\"{self.name}-{day}-end\" "
                f"id=\"{self.name}-{day}-end\" value=\"{_hhmm(end)}\" aria-label=\"{escape(str(WEEKDAYS[day]))} {t['end']}\"></td></tr>")
        return Markup(
            f"<div id=\"{self.id}\" class=\"planner-week {css}\">"
            f"<table class=\"table table-sm w-auto\"><thead><tr><th>{t['Weekday']}</th>"
            f"<th>{t['From']}</th><th>{t['To']}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<button type=\"submit\" name=\"copy_monday\" value=\"1\" class=\"btn btn-outline-secondary btn-sm\">"
            f"{t['Copy Monday to all weekdays']}</button>"
            f"<p class=\"form-text text-muted small mt-2\">{t['00:00 to 00:00 means no working time that day.']}</p></div>")


class BreaksField(_NoPopulate, Field):
    """Breaks: any number per weekday (R-1.2.6). Blank rows are ignored on save."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        super().__init__(label, validators, **kwargs)
        self.copy_from_choices: list[tuple[int, str]] = []
        self.warnings: list[str] = []

    def process(self, formdata: Any, data: Any = None, extra_filters: Any = None) -> None:
        self.process_errors = []
        self.data = []
        self.object_data = None
        if formdata is None:
            return
        index = 0
        while f"{self.name}-{index}-weekday" in formdata:
            prefix = f"{self.name}-{index}-"
            index += 1
            start_text = (formdata.get(prefix + "start") or "").strip()
            end_text = (formdata.get(prefix + "end") or "").strip()
            if not start_text and not end_text:
                continue
            try:
                weekday = int(formdata.get(prefix + "weekday"))
                if weekday not in range(7):
                    raise ValueError
            except (TypeError, ValueError):
                self.process_errors.append(_("Choose a weekday for the break."))
                continue
            label = str(WEEKDAYS[weekday])
            try:
                start = _parse_time(start_text, label)
                end = _parse_time(end_text, label)
            except ValueError as error:
                self.process_errors.append(str(error))
                continue
            self.data.append(BreakRow(weekday, start, end))

    def _row(self, index: int, row: BreakRow | None) -> str:
        t = _texts()
        options = "".join(
            f"<option value=\"{day}\"{' selected' if row is not None and row.weekday == day else ''}>"
            f"{escape(str(WEEKDAYS[day]))}</option>" for day in range(7))
        prefix = f"{self.name}-{index}-"
        return (f"<tr><td><select class=\"form-control form-control-sm\" name=\"{prefix}weekday\" "
                f"aria-label=\"{t['Weekday']}\">{options}</select></td>"
                f"<td><input type=\"text\" inputmode=\"numeric\" pattern=\"[0-2]?[0-9]:[0-5][0-9]\" placeholder=\"00:00\" size=\"5\" class=\"form-control form-control-sm planner-time\" name=\"{prefix}start\" "
                f"value=\"{_hhmm(row.start if row else None)}\" aria-label=\"{t['Break from']}\"></td>"
                f"<td><input type=\"text\" inputmode=\"numeric\" pattern=\"[0-2]?[0-9]:[0-5][0-9]\" placeholder=\"00:00\" size=\"5\" class=\"form-control form-control-sm planner-time\" name=\"{prefix}end\" "
                f"value=\"{_hhmm(row.end if row else None)}\" aria-label=\"{t['Break to']}\"></td></tr>")

    def __call__(self, **kwargs: Any) -> Markup:
        t = _texts()
        css = escape(kwargs.get("class", "").replace("form-control", "").strip())
        rows = [self._row(i, row) for i, row in enumerate(self.data)]
        rows += [self._row(len(self.data) + i, None) for i in range(BLANK_BREAK_ROWS)]
        day_options = "".join(f"<option value=\"{day}\">{escape(str(WEEKDAYS[day]))}</option>"
                              for day in range(7))
        other_options = "".join(f"<option value=\"{cid}\">{escape(name)}</option>"
                                for cid, name in self.copy_from_choices)
        warnings = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
        copy_from = (
            f"<div class=\"form-inline mt-2\"><label class=\"mr-2\" for=\"copy_breaks_caseworker\">"
            f"{t['Copy breaks from another caseworker']}</label>"
            f"<select class=\"form-control form-control-sm mr-2\" id=\"copy_breaks_caseworker\" "
            f"name=\"copy_breaks_caseworker\">{other_options}</select>"
            f"<button type=\"submit\" name=\"copy_breaks_from\" value=\"1\" class=\"btn btn-outline-secondary btn-sm\">"
            f"{t['Fetch breaks']}</button></div>") if self.copy_from_choices else ""
        return Markup(
            f"<div id=\"{self.id}\" class=\"planner-breaks {css}\">"
            + (f"<div class=\"alert alert-warning py-2\" role=\"status\"><ul class=\"mb-0\">{warnings}</ul></div>"
               if warnings else "")
            + f"<table class=\"table table-sm w-auto\"><thead><tr><th>{t['Weekday']}</th>"
            f"<th>{t['From']}</th><th>{t['To']}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"<p class=\"form-text text-muted small\">{t['Fill in an empty row to add a break; empty a row to delete it. Breaks under 15 minutes cannot be shown in the calendar.']}</p>"
            f"<button type=\"submit\" name=\"add_break\" value=\"1\" class=\"btn btn-outline-secondary btn-sm mr-2\">"
            f"{t['Add break']}</button>"
            f"<div class=\"form-inline mt-2\"><label class=\"mr-2\" for=\"copy_breaks_day\">"
            f"{t['Copy the breaks of']}</label>"
            f"<select class=\"form-control form-control-sm mr-2\" id=\"copy_breaks_day\" name=\"copy_breaks_day\">{day_options}</select>"
            f"<button type=\"submit\" name=\"copy_breaks\" value=\"1\" class=\"btn btn-outline-secondary btn-sm\">"
            f"{t['Copy to the other days']}</button></div>"
            f"{copy_from}</div>")


class TeamChecklistField(_NoPopulate, QuerySelectMultipleField):
    """Teams as checkboxes, indented as in the tree (R-1.2.4)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __call__(self, **kwargs: Any) -> Markup:
        kwargs.pop("class", None)
        items = []
        for index, choice in enumerate(self.iter_choices()):
            value, label, selected = choice[:3]
            option_id = f"{self.id}-{index}"
            depth = getattr(self, "depths", {}).get(value, 0)
            items.append(
                f"<div class=\"form-check\" style=\"margin-left:{depth * 1.5}rem\">"
                f"<input class=\"form-check-input\" type=\"checkbox\" name=\"{self.name}\" id=\"{option_id}\" "
                f"value=\"{escape(value)}\"{' checked' if selected else ''}>"
                f"<label class=\"form-check-label\" for=\"{option_id}\">{escape(label)}</label></div>")
        return Markup(f"<div id=\"{self.id}\" class=\"planner-checklist\">{''.join(items)}</div>")
