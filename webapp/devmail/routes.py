"""Read the development mailbox in the browser: a list, one message, its attachments.

The pages exist only while `PLANNER_DEV_MAILBOX` names a directory (`flask dev` sets it);
otherwise they answer 404. Production refuses the setting (R-7.1). Administrators and
support only: the mailbox holds every job centre's mail.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template
from werkzeug.wrappers import Response

from webapp.auth.tenancy import roles_required
from webapp.devmail.blueprint import bp
from webapp.messaging import mailbox
from webapp.models import Role


def _directory() -> Path:
    configured = current_app.config.get("PLANNER_DEV_MAILBOX") or ""
    if not configured:
        abort(404)
    return Path(configured)


@bp.get("/")
@roles_required(Role.ADMINISTRATOR, Role.SUPPORT)
def inbox() -> str:
    return render_template("devmail/inbox.html", messages=mailbox.messages(_directory()))


@bp.get("/<name>")
@roles_required(Role.ADMINISTRATOR, Role.SUPPORT)
def show(name: str) -> str:
    found = mailbox.message(_directory(), name)
    if found is None:
        abort(404)
    return render_template("devmail/message.html", message=found)


@bp.get("/<name>/<int:index>")
@roles_required(Role.ADMINISTRATOR, Role.SUPPORT)
def download(name: str, index: int) -> Response:
    found = mailbox.attachment(_directory(), name, index)
    if found is None:
        abort(404)
    part, content = found
    response = Response(content, mimetype=part.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(part.filename)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _safe(filename: str) -> str:
    return "".join(c for c in filename if c.isalnum() or c in "._-") or "bilag"
