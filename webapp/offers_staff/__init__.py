"""Caseworker pages for online offers and self-booking deadlines, under /caseworker (R-4.1, R-4.8)."""

from flask import Blueprint

bp = Blueprint("offers_staff", __name__, url_prefix="/caseworker")

from webapp.offers_staff import routes  # noqa: E402,F401  (registers the views)
