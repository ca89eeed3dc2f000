"""The caseworker's workspace: week calendars, call-ins, the waiting list, bookings (R-3.1, R-1.9.1, R-5.1)."""

from flask import Blueprint

bp = Blueprint("workspace", __name__, url_prefix="/caseworker")

from webapp.caseworker import routes  # noqa: E402,F401  (registers the views)
