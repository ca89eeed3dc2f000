"""How a citizen proves who they are with the portal's form: pluggable (R-0.1, R-7.2).

`PLANNER_CITIZEN_AUTHENTICATOR` names a class "module:Class" with
`authenticate(cpr, code) -> Citizen | None`. The demo set-up checks the CPR number
against the register and a shared code. The form is on only while `PLANNER_CITIZEN_LOGIN`
names "demo"; MitID through a broker is the OpenID Connect login (webapp/auth/oidc.py).
"""

from __future__ import annotations

import hmac
import importlib
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from webapp.auth.methods import login_methods
from webapp.extensions import db
from webapp.models import Citizen


class CitizenAuthenticator(Protocol):
    def authenticate(self, cpr: str, code: str) -> Citizen | None: ...


class DemoCodeAuthenticator:
    """CPR number + the shared demo code (PLANNER_DEMO_CITIZEN_CODE); empty code = off."""

    def authenticate(self, cpr: str, code: str) -> Citizen | None:
        expected = current_app.config.get("PLANNER_DEMO_CITIZEN_CODE") or ""
        citizen = find_citizen(cpr)
        # Compare even when the citizen is unknown, so timing tells nothing.
        ok = bool(expected) and hmac.compare_digest((code or "").encode(), expected.encode())
        return citizen if ok and citizen is not None else None


class FormLoginOff:
    """The portal's form logs nobody in when the configuration leaves it out."""

    def authenticate(self, cpr: str, code: str) -> Citizen | None:
        return None


def find_citizen(cpr: str) -> Citizen | None:
    """The citizen with this CPR number (10 digits), whichever login vouched for it."""
    return db.session.scalar(select(Citizen).where(Citizen.cpr == cpr).order_by(Citizen.id).limit(1))


def authenticator() -> CitizenAuthenticator:
    if "demo" not in login_methods("citizen"):
        return FormLoginOff()
    target = current_app.config["PLANNER_CITIZEN_AUTHENTICATOR"]
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()
