"""Starting and ending a login session, the same for every way of logging in (R-7.3)."""

from __future__ import annotations

from flask import session
from flask_login import current_user, login_user, logout_user

from webapp.extensions import db
from webapp.language import chosen_language, supported
from webapp.models import Citizen, User


def start_session(principal: User | Citizen) -> None:
    """Log `principal` in on a fresh session; the language chosen before is kept.

    Flask-Login stores `principal.get_id()`, which carries the session version, so
    `end_session`, a new password or disabling the user ends this session too.
    """
    language = supported(getattr(principal, "locale", None)) or chosen_language()
    session.clear()  # nothing from before the login (no session fixation)
    login_user(principal)
    if language is not None:
        session["lang"] = language


def end_session() -> None:
    """Log out and end every session of the current principal on the server.

    The session version is raised (flushed; the caller commits), so a copy of the cookie
    kept from before no longer logs anyone in.
    """
    principal = current_user._get_current_object() if current_user.is_authenticated else None
    if isinstance(principal, (User, Citizen)):
        principal.end_sessions()
        db.session.flush()
    logout_user()
    session.clear()
