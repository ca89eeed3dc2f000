"""Staff logins (R-6.3): who may create, disable and re-enable which logins, and the one-time
set-password link a new login gets.

Administrators manage the caseworkers' and administrators' logins of their own job centre,
support those of every job centre. A link's token is shown once and e-mailed through the
outbox; only its SHA-256 is stored, with an expiry, and it works once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from webapp.config import setting
from webapp.domain import passwords
from webapp.domain.contact import normalise_email
from webapp.domain.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.messaging import outbox
from webapp.models import Caseworker, JobCentre, Role, User

# No hash werkzeug can produce: a login without a password yet cannot be logged into.
NO_PASSWORD = "!"
USERNAME_MAX = 120

LINK_INVALID = NotFound("Linket virker ikke: det er allerede brugt, eller der er sendt et nyere. "
                        "Bed din administrator om et nyt link.",
                        "The link does not work: it has been used, or a newer one was sent. Ask your "
                        "administrator for a new link.", code="password_link_invalid")


def grantable_roles(actor: Any) -> list[Role]:
    """The roles `actor` may give a login, the least powerful first (never support by default)."""
    if getattr(actor, "role", None) == Role.SUPPORT:
        return [Role.CASEWORKER, Role.ADMINISTRATOR, Role.SUPPORT]
    if getattr(actor, "role", None) == Role.ADMINISTRATOR:
        return [Role.CASEWORKER, Role.ADMINISTRATOR]
    return []


def check_may_manage(actor: Any, user: User) -> None:
    """Refuse, as not found, a login of another job centre or of support to an administrator."""
    if getattr(actor, "role", None) == Role.SUPPORT:
        return
    if (getattr(actor, "role", None) != Role.ADMINISTRATOR or user.role == Role.SUPPORT
            or user.job_centre_id is None or user.job_centre_id != actor.job_centre_id):
        raise NotFound("Brugeren findes ikke.", "The user does not exist.", code="user_not_found")


def check_login(actor: Any, user: User) -> None:
    """A login's fields as the rules want them: role the actor may grant, the job centre that
    role needs, a unique user name and a valid e-mail address. Normalises in place."""
    role = Role(user.role) if user.role else None
    if role not in grantable_roles(actor):
        raise DomainError("Vælg en rolle, du må give: sagsbehandler eller administrator.",
                          "Choose a role you may grant: caseworker or administrator.",
                          field="role", code="role_not_grantable")
    if actor.role != Role.SUPPORT:
        user.job_centre_id = actor.job_centre_id
        user.job_centre = db.session.get(JobCentre, actor.job_centre_id)
    elif role == Role.SUPPORT:
        user.job_centre_id, user.job_centre = None, None
    elif user.job_centre is None and user.job_centre_id is None:
        raise DomainError("Vælg det jobcenter, brugeren hører til.", "Choose the user's job centre.",
                          field="job_centre", code="job_centre_missing")
    username = (user.username or "").strip()
    if not username or len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
        raise DomainError(f"Skriv et brugernavn uden mellemrum på højst {USERNAME_MAX} tegn, fx »jens.hansen«.",
                          f"Enter a user name without spaces of at most {USERNAME_MAX} characters, "
                          "e.g. 'jens.hansen'.", field="username", code="username_invalid")
    user.username = username
    taken = db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower(),
                                                    User.id != (user.id or 0)))
    if taken is not None:
        raise DomainError(f"Brugernavnet »{username}« er allerede i brug. Vælg et andet.",
                          f"The user name '{username}' is already taken. Choose another.",
                          field="username", code="username_taken")
    if not (user.name or "").strip():
        raise DomainError("Skriv brugerens navn.", "Enter the user's name.", field="name",
                          code="name_missing")
    user.name = user.name.strip()
    # Needed for a set-password link (create_login); a login used with OpenID Connect may have none.
    user.email = normalise_email(user.email) if (user.email or "").strip() else None
    user.locale = user.locale or None
    user.oidc_subject = _checked_subject(user)
    _check_caseworker(user, role)


def _check_caseworker(user: User, role: Role | None) -> None:
    """A caseworker's login opens her calendar and teams, so it names her (R-6.3): a caseworker
    of the login's job centre with no other login. Support has none."""
    caseworker = user.caseworker if user.caseworker is not None else (
        db.session.get(Caseworker, user.caseworker_id) if user.caseworker_id else None)
    if caseworker is None:
        if role == Role.CASEWORKER:
            raise DomainError("Vælg den vejleder, login'et hører til: login'et åbner vejlederens "
                              "kalender og teams.",
                              "Choose the caseworker the login belongs to: the login opens their "
                              "calendar and teams.", field="caseworker", code="caseworker_missing")
        user.caseworker_id = None
        return
    if role == Role.SUPPORT or caseworker.job_centre_id != user.job_centre_id:
        raise DomainError("Vejlederen hører ikke til brugerens jobcenter.",
                          "The caseworker does not belong to the user's job centre.",
                          field="caseworker", code="caseworker_foreign")
    other = db.session.scalar(select(User.username).where(User.caseworker_id == caseworker.id,
                                                          User.id != (user.id or 0)))
    if other is not None:
        raise DomainError(f"{caseworker.name} har allerede login'et »{other}«.",
                          f"{caseworker.name} already has the login '{other}'.",
                          field="caseworker", code="caseworker_has_login")
    user.caseworker_id = caseworker.id


SUBJECT_MAX = 255


def _checked_subject(user: User) -> str | None:
    """The identity provider's subject of the user's account (R-6.3): optional, one line,
    and no other user's, or two users would share one organisation account."""
    subject = (user.oidc_subject or "").strip()
    if not subject:
        return None
    if len(subject) > SUBJECT_MAX or not subject.isprintable():
        raise DomainError(f"Organisationskonto-id'et skal være én linje på højst {SUBJECT_MAX} tegn, "
                          "som identitetsudbyderen viser det (kravet »sub«).",
                          f"The organisation account id must be one line of at most {SUBJECT_MAX} "
                          "characters, as the identity provider shows it (the claim 'sub').",
                          field="oidc_subject", code="oidc_subject_invalid")
    taken = db.session.scalar(select(User.username).where(User.oidc_subject == subject,
                                                          User.id != (user.id or 0)))
    if taken is not None:
        raise DomainError(f"Organisationskonto-id'et bruges allerede af brugeren »{taken}«.",
                          f"The organisation account id is already used by the user '{taken}'.",
                          field="oidc_subject", code="oidc_subject_taken")
    return subject


def create_login(actor: Any, *, username: str, name: str, email: str, role: Role | str,
                 job_centre_id: int | None, locale: str | None, now: datetime,
                 link_for: Callable[[str], str],
                 oidc_subject: str | None = None,
                 caseworker_id: int | None = None) -> tuple[User, str]:
    """A new login without a password, and its set-password link (shown once, e-mailed)."""
    user = User(username=username, name=name, email=email, role=Role(role) if role else None,
                job_centre_id=job_centre_id, locale=locale, password_hash=NO_PASSWORD,
                is_enabled=True, oidc_subject=oidc_subject, caseworker_id=caseworker_id)
    if job_centre_id is not None:
        user.job_centre = db.session.get(JobCentre, job_centre_id)
    with db.session.no_autoflush:
        check_login(actor, user)
    if user.email is None:
        normalise_email("")  # the link goes by e-mail: refused with the field's message
    db.session.add(user)
    db.session.flush()
    return user, issue_password_link(actor, user, now=now, link_for=link_for)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(actor: Any, user: User, *, now: datetime,
                        link_for: Callable[[str], str]) -> str:
    """A new one-time link for `user` (an older one stops working), queued as an e-mail; its URL."""
    check_may_manage(actor, user)
    if not user.email:
        raise DomainError("Brugeren har ingen e-mailadresse. Skriv den på brugeren først.",
                          "The user has no e-mail address. Enter it on the user first.",
                          field="email", code="email_missing")
    token = secrets.token_urlsafe(32)
    hours = int(setting("PLANNER_PASSWORD_LINK_HOURS"))
    user.password_link_hash = _token_hash(token)
    user.password_link_expires_at = now + timedelta(hours=hours)
    db.session.flush()
    url = link_for(token)
    outbox.enqueue(
        kind="password_link", recipient=user.email, subject="Vælg din adgangskode til samtaleplanlæggeren",
        body_text=(f"Kære {user.name}\n\nDer er oprettet et login til samtaleplanlæggeren med "
                   f"brugernavnet {user.username}. Vælg din adgangskode her:\n\n{url}\n\n"
                   f"Linket virker én gang og udløber {user.password_link_expires_at:%d.%m.%Y kl. %H.%M}.\n\n"
                   f"{passwords.POLICY_DA}\n"),
        now=now, job_centre_id=user.job_centre_id)
    return url


def user_for_link(token: str, now: datetime) -> User:
    """The user whose link `token` is, while it works."""
    user = db.session.scalar(select(User).where(User.password_link_hash == _token_hash(token or "")))
    if user is None or not user.is_enabled:
        raise LINK_INVALID
    if user.password_link_expires_at is None or user.password_link_expires_at <= now:
        raise DomainError("Linket er udløbet. Bed din administrator om et nyt link.",
                          "The link has expired. Ask your administrator for a new link.",
                          code="password_link_expired")
    return user


def set_password_with_link(token: str, password: str, repeated: str, now: datetime) -> User:
    """Set the password of the link's user under the policy; the link stops working, and older
    sessions end (User.set_password)."""
    user = user_for_link(token, now)
    passwords.check_password(password, user.username)
    if password != repeated:
        raise DomainError("De to adgangskoder er ikke ens. Skriv den samme to gange.",
                          "The two passwords differ. Type the same one twice.",
                          field="repeated", code="password_mismatch")
    user.set_password(password)
    user.password_link_hash, user.password_link_expires_at = None, None
    db.session.flush()
    return user


def set_enabled(actor: Any, user: User, enabled: bool) -> None:
    """Disable (ending the user's sessions, see User) or re-enable a login."""
    check_may_manage(actor, user)
    if not enabled and user.id == getattr(actor, "id", None):
        raise DomainError("Du kan ikke spærre dit eget login.", "You cannot disable your own login.",
                          field="is_enabled", code="own_login")
    if user.is_enabled != enabled:
        user.is_enabled = enabled
    db.session.flush()
