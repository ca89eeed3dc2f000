"""How staff prove who they are: one adapter per login method, chosen by configuration (R-6.3, R-7.2).

`PLANNER_STAFF_LOGIN` names the adapters switched on, comma-separated: "password" (the
planner's own passwords, the default) and "oidc" (OpenID Connect against the job centre's
identity provider, e.g. Entra ID). Each adapter answers with a `StaffOutcome`: the user to log
in, or why nobody is; the login pages start the session and call `record_login`, so every
login and every refusal of an identity is written to the system log the same way.

- `PasswordLogin.authenticate(username, password)` checks the user name (any case is not
  enough: it is the exact name) and the password hash.
- `OidcLogin.identify(claims)` matches the verified ID token's claims to one user by the
  stable claim `PLANNER_OIDC_STAFF_MATCH` names: "email" (the user's e-mail address, any
  case; refused when the provider says the address is not verified) or "sub" (the subject,
  entered on the user as *Organisationskonto-id*). The redirects, state, nonce and token
  checks around it are Authlib's (webapp/auth/oidc.py).

Neither adapter creates users: roles and job centre stay the planner's own. A disabled user
is refused by both.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from webapp.auth.methods import login_methods
from webapp.config import ConfigurationError, setting
from webapp.extensions import db
from webapp.models import LogLevel, SystemLogEntry, User

log = logging.getLogger(__name__)

# What PLANNER_OIDC_STAFF_MATCH may name: the claim read, and the user's column it must equal.
MATCHES = {"email": "email", "sub": "oidc_subject"}
LOG_CATEGORY = "staff_login"


class Refusal(enum.StrEnum):
    WRONG_PASSWORD = "wrong_password"  # unknown user name or wrong password: never said which
    NO_CLAIM = "no_claim"  # the provider gave no usable value for the matching claim
    UNVERIFIED = "unverified"  # the e-mail claim is marked not verified
    UNKNOWN = "unknown"  # no user, or more than one, has the claim's value
    DISABLED = "disabled"


@dataclass(frozen=True)
class StaffOutcome:
    """A login's answer: `user` to log in, else `refusal`; `said` is the claim's value as shown
    in the system log (never a password)."""

    method: str
    user: User | None = None
    refusal: Refusal | None = None
    said: str = ""


class PasswordLogin:
    """The planner's own user names and passwords (R-6.3's password policy, set by link)."""

    name = "password"

    def authenticate(self, username: str, password: str) -> StaffOutcome:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None or not user.check_password(password):
            return StaffOutcome(self.name, refusal=Refusal.WRONG_PASSWORD, said=username)
        if not user.is_enabled:
            return StaffOutcome(self.name, user=user, refusal=Refusal.DISABLED, said=username)
        return StaffOutcome(self.name, user=user, said=username)


class OidcLogin:
    """OpenID Connect: the verified claims name one user by a stable claim."""

    name = "oidc"

    def __init__(self, match: str | None = None) -> None:
        self.match = check_match(match if match is not None else setting("PLANNER_OIDC_STAFF_MATCH"))

    @property
    def claim(self) -> str:
        return self.match

    def identify(self, claims: Mapping[str, Any]) -> StaffOutcome:
        raw = claims.get(self.claim)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value or len(value) > 254 or not value.isprintable():
            return StaffOutcome(self.name, refusal=Refusal.NO_CLAIM)
        if self.match == "email" and claims.get("email_verified") is False:
            return StaffOutcome(self.name, refusal=Refusal.UNVERIFIED, said=value)
        column = getattr(User, MATCHES[self.match])
        # An e-mail address differs in case between systems ("Anna@Kommune.dk"); a subject is
        # compared exactly. Two users with one value match nobody rather than the wrong one.
        condition = func.lower(column) == value.lower() if self.match == "email" else column == value
        users = db.session.scalars(select(User).where(condition).limit(2)).all()
        if len(users) != 1:
            return StaffOutcome(self.name, refusal=Refusal.UNKNOWN, said=value)
        if not users[0].is_enabled:
            return StaffOutcome(self.name, user=users[0], refusal=Refusal.DISABLED, said=value)
        return StaffOutcome(self.name, user=users[0], said=value)


def password_login() -> PasswordLogin | None:
    """The password adapter, when PLANNER_STAFF_LOGIN switches it on."""
    return PasswordLogin() if "password" in login_methods("staff") else None


def oidc_login() -> OidcLogin | None:
    """The OpenID Connect adapter, when PLANNER_STAFF_LOGIN switches it on."""
    return OidcLogin() if "oidc" in login_methods("staff") else None


def check_configuration(config: Mapping[str, Any]) -> None:
    """Stop the start when the OpenID Connect adapter's match cannot work (R-7.2)."""
    check_match(config.get("PLANNER_OIDC_STAFF_MATCH"))


def check_match(value: Any) -> str:
    match = str(value or "").strip().lower()
    if match not in MATCHES:
        raise ConfigurationError(f"PLANNER_OIDC_STAFF_MATCH must be one of {', '.join(MATCHES)}, "
                                 f"not {value!r}.")
    return match


_METHOD_DA = {"password": "adgangskode", "oidc": "organisationskonto"}
_REFUSAL_DA = {
    Refusal.WRONG_PASSWORD: "forkert brugernavn eller adgangskode",
    Refusal.NO_CLAIM: "identitetsudbyderen gav ingen brugbar værdi for {claim}",
    Refusal.UNVERIFIED: "e-mailadressen {said} er ikke bekræftet hos identitetsudbyderen",
    Refusal.UNKNOWN: "ingen bruger har {claim} {said}",
    Refusal.DISABLED: "brugeren {user} er spærret",
}
_CLAIM_DA = {"email": "e-mailadressen", "sub": "organisationskonto-id'et (sub)"}


def record_login(outcome: StaffOutcome, *, address: str | None = None) -> None:
    """One entry in the system log for a staff login or a refused identity (R-6.3, R-1.10.1),
    with the user's job centre where one is known; also to the application log. The caller's
    transaction commits it. A wrong password is left to the lockout's count (R-7.3)."""
    method = _METHOD_DA.get(outcome.method, outcome.method)
    user = outcome.user
    if outcome.refusal is None and user is not None:
        log.info("Staff login: user %s with %s", user.id, outcome.method)
        message = f"{user.name} ({user.username}) loggede ind med {method}."
        level = LogLevel.INFO
    elif outcome.refusal == Refusal.WRONG_PASSWORD:
        log.info("Staff login refused: wrong user name or password")
        return
    else:
        log.warning("Staff login with %s refused: %s%s", outcome.method, outcome.refusal,
                    f" (user {user.id})" if user is not None else "")
        claim = _CLAIM_DA.get(str(setting("PLANNER_OIDC_STAFF_MATCH")), "kravet")
        reason = _REFUSAL_DA[outcome.refusal].format(
            claim=claim, said=f"»{outcome.said[:254]}«",
            user=f"{user.name} ({user.username})" if user is not None else "")
        message = f"Login med {method} afvist: {reason}."
        level = LogLevel.WARNING
    if address:
        message += f" Adresse: {address[:64]}."
    db.session.add(SystemLogEntry(level=level, category=LOG_CATEGORY, message=message,
                                  job_centre_id=user.job_centre_id if user is not None else None))
