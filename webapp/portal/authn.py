"""How a citizen proves who they are: pluggable (R-0.1).

`PLANNER_CITIZEN_AUTHENTICATOR` names a class "module:Class" with
`authenticate(cpr, code) -> Citizen | None`. The demo set-up checks the CPR number
against the register and a shared code; a real deployment puts MitID/OIDC in front and
plugs in an authenticator that trusts the identity provider's assertion instead.
"""

from __future__ import annotations

import hmac
import importlib
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Citizen


class CitizenAuthenticator(Protocol):
    def authenticate(self, cpr: str, code: str) -> Citizen | None: ...


class DemoCodeAuthenticator:
    """CPR number + the shared demo code (PLANNER_DEMO_CITIZEN_CODE); empty code = off."""

    def authenticate(self, cpr: str, code: str) -> Citizen | None:
        expected = current_app.config.get("PLANNER_DEMO_CITIZEN_CODE") or ""
        citizen = db.session.scalar(select(Citizen).where(Citizen.cpr == cpr).limit(1))
        # Compare even when the citizen is unknown, so timing tells nothing.
        ok = bool(expected) and hmac.compare_digest((code or "").encode(), expected.encode())
        return citizen if ok and citizen is not None else None


def authenticator() -> CitizenAuthenticator:
    target = current_app.config.get("PLANNER_CITIZEN_AUTHENTICATOR",
                                    "webapp.portal.authn:DemoCodeAuthenticator")
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()
