"""Which logins are switched on for citizens and for staff (R-7.2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

# Which logins each audience may be given; a comma-separated setting names one or more.
LOGIN_METHODS = {"citizen": ("demo", "oidc"), "staff": ("password", "oidc")}
LOGIN_SETTINGS = {"citizen": "PLANNER_CITIZEN_LOGIN", "staff": "PLANNER_STAFF_LOGIN"}


def login_methods(audience: str, config: Mapping[str, Any] | None = None) -> frozenset[str]:
    """The logins configured for "citizen" or "staff", e.g. {"oidc", "password"}."""
    raw = (current_app.config if config is None else config).get(LOGIN_SETTINGS[audience]) or ""
    return frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
