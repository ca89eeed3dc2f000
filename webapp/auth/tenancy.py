"""Roles and job-centre scoping (R-0.1): one place decides who sees what."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select

from webapp.domain.bounds import INT_MAX
from webapp.extensions import db
from webapp.models import Role

M = TypeVar("M")


def own_job_centre_id() -> int:
    """The job centre of a caseworker or an administrator; support, bound to none, gets 403."""
    job_centre_id = staff_job_centre_id()
    if job_centre_id is None:
        abort(403)
    return job_centre_id


def staff_job_centre_id() -> int | None:
    """The job centre the current staff user is bound to; None for support (all)."""
    if getattr(current_user, "role", None) == Role.SUPPORT:
        return None
    job_centre_id = getattr(current_user, "job_centre_id", None)
    if job_centre_id is None:
        abort(403)
    return job_centre_id


def scoped(model: type[M], stmt: Select | None = None) -> Select:
    """`stmt` (default: select all of `model`) limited to the user's job centre."""
    stmt = select(model) if stmt is None else stmt
    job_centre_id = staff_job_centre_id()
    if job_centre_id is not None:
        stmt = stmt.where(model.job_centre_id == job_centre_id)  # type: ignore[attr-defined]
    return stmt


def get_scoped_or_404(model: type[M], object_id: Any) -> M:
    """An object of the user's job centre; 404, never 403, for anything else.

    An id that cannot be a key (missing, 0, negative, 2**70 from a query string) is 404 without
    asking the database, which would refuse it with an error (R-7.4)."""
    if type(object_id) is not int or not 0 < object_id <= INT_MAX:
        abort(404)
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    job_centre_id = staff_job_centre_id()
    if job_centre_id is not None and getattr(obj, "job_centre_id", None) != job_centre_id:
        abort(404)
    return obj


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from flask import redirect, request, url_for
                return redirect(url_for("auth.login", next=request.full_path))
            if getattr(current_user, "role", None) not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
