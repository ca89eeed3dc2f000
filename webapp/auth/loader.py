"""Flask-Login user loading for staff users and citizens, told apart by id prefix.

The id in the session is "user:<id>:<session version>" or "citizen:<id>:<session version>";
a session whose version is no longer the principal's was ended on the server (R-7.3).
"""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_login import LoginManager

from webapp.extensions import db
from webapp.models import Citizen, User


def load_principal(key: str) -> User | Citizen | None:
    kind, _, rest = key.partition(":")
    raw_id, _, raw_version = rest.partition(":")
    if not (raw_id.isdigit() and raw_version.isdigit()):
        return None  # also ids from before session versions: those sessions log in again
    model = {"user": User, "citizen": Citizen}.get(kind)
    if model is None:
        return None
    principal = db.session.get(model, int(raw_id))
    if principal is None or principal.session_version != int(raw_version):
        return None
    if isinstance(principal, User) and not principal.is_enabled:
        return None
    return principal


def configure_login(manager: LoginManager) -> None:
    manager.user_loader(load_principal)
    manager.login_view = "auth.login"
    manager.login_message = lazy_gettext("Log in to see the page.")
    manager.login_message_category = "info"
    manager.session_protection = "strong"
