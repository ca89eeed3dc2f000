"""The set-password page a new staff login's one-time link opens (R-6.3). Thin: the link's
rules and the password policy live in webapp/administration/staff_logins and webapp/domain/passwords."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms import PasswordField

from webapp.administration import staff_logins
from webapp.clock import now_local
from webapp.domain import passwords
from webapp.domain.errors import DomainError
from webapp.extensions import db
from webapp.language import current_language, error_text

bp = Blueprint("password_link", __name__)


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"))
    repeated = PasswordField(_l("Repeat the new password"))


def policy_text() -> str:
    return passwords.POLICY_EN if current_language() == "en" else passwords.POLICY_DA


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> str | Response | tuple[str, int]:
    try:
        user = staff_logins.user_for_link(token, now_local())
    except DomainError as error:
        return render_template("auth/set_password.html", form=None, problem=error_text(error)), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            staff_logins.set_password_with_link(token, form.password.data or "",
                                                form.repeated.data or "", now_local())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors.append(error_text(error))
        else:
            flash(_("Your password is set. Log in with your user name and the new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, user=user, policy=policy_text(),
                           problem=None)


@bp.after_request
def no_referrer(response: Response) -> Response:
    # The token is in the address: it must not travel on to another site in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
