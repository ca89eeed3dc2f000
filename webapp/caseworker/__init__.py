"""The caseworker's workspace: week calendars, call-ins, the waiting list, bookings (R-3.1, R-1.9.1, R-5.1)."""

from webapp.caseworker import absences, overview, planning, rooms, routes  # noqa: F401  (registers the views)
from webapp.caseworker.blueprint import bp

__all__ = ["bp"]
