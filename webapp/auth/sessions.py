"""Starting and ending a login session, the same for every way of logging in (R-7.3)."""

from __future__ import annotations

from flask import request, session
from flask_login import current_user, login_user, logout_user

from webapp.administration import login_throttle
from webapp.clock import now_local
from webapp.domain.lockout import LoginLocked
from webapp.extensions import db
from webapp.language import chosen_language, supported
from webapp.models import Citizen, User


def start_session(principal: User | Citizen) -> None:
    """Log `principal` in on a fresh session; the language chosen before is kept.

    A language chosen on the login page wins over the one in the user's profile (R-8.3): it is
    the later and the more deliberate choice. Flask-Login stores `principal.get_id()`, which
    carries the session version, so `end_session`, a new password or disabling the user ends
    this session too.
    """
    language = chosen_language() or supported(getattr(principal, "locale", None))
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


def begin_login_attempt(kind: str, who: str) -> tuple[str, LoginLocked | None]:
    """Count a login attempt for the account `who` of `kind` and this request's address (R-7.3).

    The attempt is committed before the slow password or code check, so other workers see it
    at once. Returns the account's key (for `login_throttle.succeeded`) and, when the account
    or the address is locked, the error to show instead of checking anything.
    """
    account = login_throttle.account_key(kind, who)
    try:
        login_throttle.begin_attempt(account, login_throttle.address_key(request.remote_addr),
                                     now=now_local())
    except LoginLocked as error:
        db.session.rollback()
        return account, error
    db.session.commit()
    return account, None
