"""National closure days for Denmark from the `holidays` library (R-1.3.1)."""

from __future__ import annotations

from datetime import date

import holidays

# The library files Constitution Day, Christmas Eve, New Year's Eve and 1 May as
# "optional": days most employers, job centres included, keep closed, but not
# statutory public holidays.
_PUBLIC = ("public",)
_OPTIONAL = ("optional",)


def _holidays(years: range, categories: tuple[str, ...]) -> holidays.HolidayBase:
    return holidays.country_holidays("DK", years=years, language="da",
                                     categories=categories)


def national_closure_days(first_year: int, last_year: int,
                          include_may_first: bool = False) -> list[tuple[date, str]]:
    """(date, Danish name) of every national closure day in the years, in date order.

    Public holidays plus Constitution Day, Christmas Eve and New Year's Eve; 1 May
    only when `include_may_first` (a day off under some collective agreements, not
    by law). Sundays that are holidays are kept: they cost
    nothing and the calendar labels them.
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    years = range(first_year, last_year + 1)
    names: dict[date, list[str]] = {}
    for day, name in _holidays(years, _PUBLIC).items():
        names.setdefault(day, []).append(name)
    for day, name in _holidays(years, _OPTIONAL).items():
        # Matched by date, not name, so a translation change cannot let it through;
        # only the optional entry is dropped, so Ascension on 1 May (2008) stays.
        if (day.month, day.day) == (5, 1) and not include_may_first:
            continue
        names.setdefault(day, []).append(name)
    return [(day, "; ".join(names[day])) for day in sorted(names)]


if __name__ == "__main__":
    import sys

    first, last = (int(arg) for arg in sys.argv[1:3])
    for day, name in national_closure_days(first, last, "--may-first" in sys.argv):
        print(day.isoformat(), name)
