"""Small view helpers of the portal: the current citizen, messages, dates in Danish."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote_plus

from flask import Flask, abort
from flask_babel import format_date
from flask_login import current_user

from webapp.config import setting
from webapp.domain.errors import DomainError
from webapp.language import current_language, error_text
from webapp.models import Booking, Citizen
from webapp.selfbooking import meetings as meeting_service


def citizen() -> Citizen:
    if getattr(current_user, "role", None) != "citizen":
        abort(403)
    return current_user._get_current_object()  # type: ignore[attr-defined]


def message(error: DomainError) -> str:
    return error_text(error)


def long_day(day: date | datetime) -> str:
    """'mandag 1. marts 2027' (or the English form)."""
    if isinstance(day, datetime):
        day = day.date()
    return format_date(day, "EEEE d. MMMM y")


def long_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{long_day(moment)} {'at' if current_language() == 'en' else 'kl.'} {moment:%H:%M}"


def short_day(day: date) -> str:
    """'man. 1.3.' for the day strip (R-8.6)."""
    return f"{format_date(day, 'EEE')} {day.day}.{day.month}."


def map_link(address: str) -> str:
    """A plain link to the map service with the address as its query; no embedded map (R-8.6)."""
    return f"{setting('PLANNER_MAP_URL')}{quote_plus(address)}" if address else ""


def terms_text(booking: Booking, now: datetime) -> list[str]:
    """R-4.9: what the citizen may change, the same sentences as the receipt and the API."""
    return meeting_service.terms_text(booking, now, current_language(), long_datetime)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["long_day"] = long_day
    app.jinja_env.filters["long_datetime"] = long_datetime
    app.jinja_env.filters["terms_text"] = terms_text
    app.jinja_env.filters["short_day"] = short_day
