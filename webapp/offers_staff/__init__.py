"""Caseworker pages for online offers and self-booking deadlines, under /caseworker (R-4.1, R-4.8)."""

from webapp.offers_staff import routes  # noqa: F401  (registers the views)
from webapp.offers_staff.blueprint import bp

__all__ = ["bp"]
