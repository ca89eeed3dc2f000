"""Where a login lands: the page asked for, if it is ours, else the principal's home page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(default: str) -> str:
    """The `next` page of the request when it is a path on this site, else `default` (no open redirect)."""
    target = request.args.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def home_for(principal: object) -> str:
    role = getattr(principal, "role", None)
    if role == "citizen":
        return url_for("portal.home")
    if getattr(principal, "can_administer", False):
        return url_for("admin.index")
    if getattr(principal, "job_centre_id", None) is not None:
        return url_for("workspace.calendar")  # caseworkers and team leaders start in their calendar
    return url_for("auth.staff_home")
