"""Helpers for the administration-module tests: reading field errors and flashes from pages."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from flask.testing import FlaskClient


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def field_errors(page: str, field: str) -> list[str]:
    """The messages shown under a form field (Flask-Admin's invalid-feedback list)."""
    start = page.find(f'<label for="{field}"')
    assert start >= 0, f"no field {field!r} on the page"
    if f'<div class="inline-field" id="{field}">' in page:
        # A list of inline forms: its own errors follow the hidden template of a new entry.
        start = page.find("inline-field-template", start)
    end = page.find('<div class="form-group', start + 1)
    chunk = page[start:end if end > 0 else len(page)]
    block = re.search(r'class="invalid-feedback">(.*?)</div>', chunk, re.S)
    if not block:
        return []
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def flashes(page: str) -> list[str]:
    return [_text(m) for m in re.findall(r'<div class="alert alert-[a-z]+[^"]*"[^>]*>(.*?)</div>', page, re.S)]


def post(client: FlaskClient, url: str, data: dict[str, Any]) -> tuple[int, str]:
    response = client.post(url, data=data)
    return response.status_code, response.get_data(as_text=True)


def week_data(week: dict[int, tuple[str, str]] | None = None) -> dict[str, str]:
    """Form fields of the working-time table; default 07:30-16:00 Monday to Friday."""
    week = week or {d: ("07:30", "16:00") for d in range(5)}
    data = {}
    for day in range(7):
        start, end = week.get(day, ("00:00", "00:00"))
        data[f"working_time-{day}-start"], data[f"working_time-{day}-end"] = start, end
    return data


def breaks_data(rows: list[tuple[int, str, str]]) -> dict[str, str]:
    data = {}
    for index, (day, start, end) in enumerate(rows):
        data[f"breaks-{index}-weekday"] = str(day)
        data[f"breaks-{index}-start"], data[f"breaks-{index}-end"] = start, end
    data[f"breaks-{len(rows)}-weekday"] = "0"  # the blank row the form always shows
    return data

