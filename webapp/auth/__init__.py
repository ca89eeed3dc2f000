"""Login and logout for staff and citizens, and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.auth.forms import LoginForm
from webapp.auth.landing import home_for, safe_next
from webapp.auth import staff
from webapp.auth.sessions import begin_login_attempt, end_session, start_session
from webapp.extensions import db
from webapp.language import choose_language
from webapp.portal.helpers import message
from webapp.administration import login_throttle

bp = Blueprint("auth", __name__)


@bp.get("/")
def index() -> Response:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    # With staff login "oidc" alone the password form is off.
    adapter = staff.password_login()
    if adapter is not None and form.validate_on_submit():
        username = form.username.data.strip()
        account, locked = begin_login_attempt("user", username)
        if locked is not None:
            flash(message(locked), "error")
            return render_template("auth/login.html", form=form), 429
        outcome = adapter.authenticate(username, form.password.data)
        staff.record_login(outcome, address=request.remote_addr)
        if outcome.refusal is None and outcome.user is not None:
            login_throttle.succeeded(account)
            start_session(outcome.user)
            db.session.commit()
            return redirect(safe_next(home_for(outcome.user)))
        db.session.commit()
        # A disabled user is told the same as a wrong password: the form says nothing of who exists.
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    portal = getattr(current_user, "role", None) == "citizen"
    end_session()
    db.session.commit()
    return redirect(url_for("portal.login" if portal else "auth.login"))


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code: str) -> Response:
    """Choose the language; a link (GET) works as well as the menu's button (R-8.1)."""
    choose_language(code)
    return redirect(safe_next(url_for("auth.index")))


@bp.get("/home")
@login_required
def staff_home() -> str:
    return render_template("auth/home.html")


# The citizen portal's login and pages live in webapp/portal (blueprint "portal").
