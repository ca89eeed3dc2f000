"""Bounds every stored value keeps (R-7.4): text lengths, no control characters, dates 1900–2100, integers."""

from __future__ import annotations

import re
from datetime import date, datetime

from webapp.domain.errors import DomainError

FIRST_YEAR, LAST_YEAR = 1900, 2100
# A column without its own length (Text) still holds no more than this: a letter is a few pages.
TEXT_MAX = 20_000
# PostgreSQL's integer; SQLite would store more and PostgreSQL refuse it, so both refuse it here.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Sensible upper bounds: a room's seats, and spans in minutes (a day), days (ten years), weeks.
SEATS_MAX, MINUTES_MAX, DAYS_MAX, WEEKS_MAX = 10_000, 24 * 60, 3650, 520

# C0 controls and DEL, besides tab, line feed and carriage return in multi-line text. NUL cannot be
# stored in PostgreSQL at all; the others are never typed and break letters, mails and exports.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _invalid(field: str | None, message_da: str, message_en: str) -> DomainError:
    return DomainError(message_da, message_en, field=field, code="out_of_bounds")


def check_text(value: str | None, label_da: str, label_en: str, *, max_length: int = TEXT_MAX,
               multiline: bool = False, field: str | None = None) -> None:
    """Refuse text longer than `max_length` or holding control characters (tab always allowed)."""
    if value is None:
        return
    if len(value) > max_length:
        raise _invalid(field, f"»{label_da}« må højst have {max_length} tegn (der er {len(value)}).",
                       f"'{label_en}' may have at most {max_length} characters ({len(value)} given).")
    if (_CONTROL_MULTI_LINE if multiline else _CONTROL_ONE_LINE).search(value):
        raise _invalid(field, f"»{label_da}« må ikke indeholde styretegn, fx et nul-tegn eller linjeskift.",
                       f"'{label_en}' must not contain control characters such as NUL or a line break.")


def check_date(value: date | datetime | None, label_da: str, label_en: str, *,
               field: str | None = None) -> None:
    """Refuse a date outside 1900–2100: beyond it a typing error, and 9999 overflows date arithmetic."""
    if value is None:
        return
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _invalid(field, f"»{label_da}« skal ligge mellem {FIRST_YEAR} og {LAST_YEAR} "
                              f"(skrevet: {value:%d.%m.%Y}).",
                       f"'{label_en}' must lie between {FIRST_YEAR} and {LAST_YEAR} "
                       f"(given: {value:%d.%m.%Y}).")


def within_years(day: date) -> bool:
    """Whether a date from a query string lies in 1900–2100; pages fall back to their default
    otherwise, as date arithmetic on year 9999 or year 1 overflows (R-7.4)."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def day_or(raw: str | None, default: date) -> date:
    """A date from a query string (YYYY-MM-DD, anything after ignored), or `default` when it is
    not one or lies outside 1900–2100 (R-7.4)."""
    try:
        day = date.fromisoformat((raw or "")[:10])
    except ValueError:
        return default
    return day if within_years(day) else default


def check_integer(value: int | None, label_da: str, label_en: str, *, minimum: int = INT_MIN,
                  maximum: int = INT_MAX, field: str | None = None) -> None:
    """Refuse an integer outside [minimum, maximum], which never exceed the database's integer."""
    if value is None:
        return
    low, high = max(minimum, INT_MIN), min(maximum, INT_MAX)
    if value > high:
        raise _invalid(field, f"»{label_da}« må højst være {high}.", f"'{label_en}' may be at most {high}.")
    if value < low:
        raise _invalid(field, f"»{label_da}« skal være mindst {low}.", f"'{label_en}' must be at least {low}.")
