"""Flask-Login user loading for staff users and citizens, told apart by id prefix."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_login import LoginManager

from webapp.extensions import db
from webapp.models import Citizen, User


def load_principal(key: str) -> User | Citizen | None:
    kind, _, raw_id = key.partition(":")
    if not raw_id.isdigit():
        return None
    if kind == "user":
        user = db.session.get(User, int(raw_id))
        return user if user is not None and user.is_enabled else None
    if kind == "citizen":
        return db.session.get(Citizen, int(raw_id))
    return None


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(load_principal)
    manager.login_view = "auth.login"
    manager.login_message = lazy_gettext("Log in to see the page.")
    manager.login_message_category = "info"
    manager.session_protection = "strong"
