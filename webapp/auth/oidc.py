"""OpenID Connect login for citizens (MitID through a broker) and staff (e.g. Entra ID) (R-7.2)."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from webapp.ratelimit import limiter, login_limit
from webapp.auth.landing import home_for, safe_next
from webapp.auth.methods import LOGIN_METHODS, LOGIN_SETTINGS, login_methods
from webapp.auth import staff
from webapp.auth.sessions import start_session
from webapp.config import ConfigurationError
from webapp.domain.cpr import normalise_cpr
from webapp.domain.errors import DomainError
from webapp.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__, url_prefix="/login/oidc")

_LOGIN_PAGE = {"citizen": "portal.login", "staff": "auth.login"}
_NEXT_KEY = "oidc_next"

# What a provider that is down, misconfigured or answering nonsense can raise on the way:
# state and token errors (Authlib), ID token signature or claims (joserfc), HTTP and JSON.
_PROVIDER_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError,
                    RuntimeError)


def init_oidc(app: Flask) -> None:
    """Check the login settings and register an OpenID Connect client for each audience using one."""
    oauth = OAuth(app)
    for audience, allowed in LOGIN_METHODS.items():
        setting = LOGIN_SETTINGS[audience]
        methods = login_methods(audience, app.config)
        if not methods or not methods <= set(allowed):
            raise ConfigurationError(f"{setting} must name one or more of {', '.join(allowed)} "
                               f"(comma-separated), not {app.config.get(setting)!r}.")
        if "oidc" in methods:
            _register(oauth, app.config, audience)
    if "oidc" in login_methods("staff", app.config):
        staff.check_configuration(app.config)
    app.extensions["planner_oidc"] = oauth
    app.jinja_env.globals["login_methods"] = login_methods
    app.register_blueprint(bp)


def _register(oauth: OAuth, config: Mapping[str, Any], audience: str) -> None:
    prefix = f"PLANNER_OIDC_{audience.upper()}_"
    missing = [prefix + key for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET") if not config.get(prefix + key)]
    if missing:
        raise ConfigurationError(f"{LOGIN_SETTINGS[audience]} includes oidc, so set {', '.join(missing)}.")
    issuer = config[prefix + "ISSUER"].rstrip("/")
    if not _secure(issuer):
        raise ConfigurationError(f"{prefix}ISSUER must be an https:// address (http only on this machine).")
    oauth.register(
        audience,
        client_id=config[prefix + "CLIENT_ID"],
        client_secret=config[prefix + "CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": config.get(prefix + "SCOPES") or "openid",
                       "code_challenge_method": "S256", "default_timeout": 10},
    )


def _secure(issuer: str) -> bool:
    parts = urlsplit(issuer)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _client(audience: str) -> Any:
    if audience not in LOGIN_METHODS or "oidc" not in login_methods(audience):
        abort(404)
    return current_app.extensions["planner_oidc"].create_client(audience)


def _refuse(audience: str, message: str) -> Response:
    flash(message, "error")
    return redirect(url_for(_LOGIN_PAGE[audience]))


def _unreachable(audience: str) -> str:
    if audience == "citizen":
        return _("MitID login does not answer right now. Please try again shortly.")
    return _("The organisation account login does not answer right now. Please try again shortly.")


def _failed() -> str:
    return _("The login was cancelled or failed. Please try again.")


@bp.errorhandler(429)
def too_many(error: Exception) -> Response:
    audience = (request.view_args or {}).get("audience")
    return _refuse(audience if audience in _LOGIN_PAGE else "staff",
                   _("Too many attempts. Please wait a minute and try again."))


@bp.get("/<audience>/start")
@limiter.limit(login_limit)
def start(audience: str) -> Response:
    client = _client(audience)
    session[_NEXT_KEY] = safe_next("")
    try:
        metadata = client.load_server_metadata()
        # Discovery must describe the issuer we trust, or the ID token's issuer check means nothing.
        configured = current_app.config[f"PLANNER_OIDC_{audience.upper()}_ISSUER"].rstrip("/")
        if str(metadata.get("issuer", "")).rstrip("/") != configured:
            log.error("OpenID Connect %s: discovery names issuer %r, configured is %r",
                      audience, metadata.get("issuer"), configured)
            return _refuse(audience, _failed())
        return client.authorize_redirect(url_for("oidc.callback", audience=audience, _external=True))
    except requests.RequestException as error:
        log.warning("OpenID Connect %s: provider unreachable (%s)", audience, type(error).__name__)
        return _refuse(audience, _unreachable(audience))
    except _PROVIDER_ERRORS as error:
        log.warning("OpenID Connect %s: cannot start (%s)", audience, type(error).__name__)
        return _refuse(audience, _failed())


@bp.get("/<audience>/callback")
@limiter.limit(login_limit)  # each callback makes us call the provider
def callback(audience: str) -> Response:
    client = _client(audience)
    try:
        token = client.authorize_access_token()
        # Authlib verifies the ID token (signature, issuer, audience, expiry, nonce) when there is one.
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("no ID token in the token response")
    except requests.RequestException as error:
        log.warning("OpenID Connect %s: provider unreachable (%s)", audience, type(error).__name__)
        return _refuse(audience, _unreachable(audience))
    except _PROVIDER_ERRORS as error:
        # Never log the error's text: a provider's answer may carry personal data.
        log.warning("OpenID Connect %s: login refused (%s)", audience, type(error).__name__)
        return _refuse(audience, _failed())
    if audience == "citizen":
        return _citizen_login(client, token, claims)
    return _staff_login(client, token, claims)


def _claim(client: Any, token: dict, claims: Mapping[str, Any], name: str) -> Any:
    """A claim from the ID token, else from the userinfo endpoint (brokers differ in where they put it)."""
    if claims.get(name) is not None:
        return claims[name]
    if not client.load_server_metadata().get("userinfo_endpoint"):
        return None
    try:
        info = client.userinfo(token=token)
    except _PROVIDER_ERRORS as error:
        log.warning("OpenID Connect: userinfo failed (%s)", type(error).__name__)
        return None
    # The userinfo answer counts only for the subject of the verified ID token.
    return info.get(name) if info.get("sub") == claims.get("sub") else None


def _citizen_login(client: Any, token: dict, claims: Mapping[str, Any]) -> Response:
    from webapp.portal.authn import find_citizen  # the portal imports the auth package
    value = _claim(client, token, claims, current_app.config["PLANNER_OIDC_CITIZEN_CPR_CLAIM"])
    try:
        cpr = normalise_cpr(value if isinstance(value, str) else "")
    except DomainError:
        log.warning("OpenID Connect citizen: no usable CPR claim")
        return _refuse("citizen", _("MitID login did not give us your CPR number. "
                                    "Please try again or contact your job centre."))
    citizen = find_citizen(cpr)
    if citizen is None:
        log.info("OpenID Connect citizen: no citizen with the CPR number of the claim")
        return _refuse("citizen", _("The job centre does not know you in self-service. "
                                    "Please contact your job centre."))
    session.pop(_NEXT_KEY, None)
    start_session(citizen)  # the one way into a session, as for the demo and password logins
    return redirect(url_for("portal.home"))


def _staff_login(client: Any, token: dict, claims: Mapping[str, Any]) -> Response:
    adapter = staff.oidc_login()
    assert adapter is not None  # _client answered 404 otherwise
    value = _claim(client, token, claims, adapter.claim)
    outcome = adapter.identify({**claims, adapter.claim: value})
    staff.record_login(outcome, address=request.remote_addr)
    if outcome.refusal is not None or outcome.user is None:
        db.session.commit()  # the refusal's entry in the system log
        if outcome.refusal == staff.Refusal.DISABLED:
            return _refuse("staff", _("Your user in the conversation planner is disabled. "
                                      "Please contact your administrator."))
        return _refuse("staff", _("Your organisation account gives no access to the conversation "
                                  "planner. Please contact your administrator."))
    next_page = session.pop(_NEXT_KEY, "")
    start_session(outcome.user)  # the one way into a session, as for the demo and password logins
    db.session.commit()
    return redirect(next_page or home_for(outcome.user))
