"""OpenID Connect login for citizens and staff against a local provider (R-7.2, R-7.8)."""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import werkzeug.serving
from authlib.deprecate import AuthlibDeprecationWarning
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import _config
from tests.factories import PASSWORD
from webapp import create_app
from webapp.config import ConfigurationError
from webapp.extensions import db
from webapp.models import Role

with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)  # the provider imports Authlib's old modules
    import oidc_provider_mock

# The provider runs in this process, so the warnings of its own Authlib calls reach our filters.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

CPR_CLAIM = "dk:gov:saml:attribute:CprNumberIdentifier"
CPR = "0101054000"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """One local OpenID Connect provider for the module, on a free port of 127.0.0.1."""
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


def oidc_settings(issuer: str, citizen: str = "oidc", staff: str = "oidc") -> dict[str, str]:
    return {
        "PLANNER_CITIZEN_LOGIN": citizen,
        "PLANNER_STAFF_LOGIN": staff,
        "PLANNER_OIDC_CITIZEN_ISSUER": issuer,
        "PLANNER_OIDC_CITIZEN_CLIENT_ID": "planner-citizens",
        "PLANNER_OIDC_CITIZEN_CLIENT_SECRET": "citizen-secret",
        "PLANNER_OIDC_CITIZEN_CPR_CLAIM": CPR_CLAIM,
        "PLANNER_OIDC_STAFF_ISSUER": issuer,
        "PLANNER_OIDC_STAFF_CLIENT_ID": "planner-staff",
        "PLANNER_OIDC_STAFF_CLIENT_SECRET": "staff-secret",
        "PLANNER_OIDC_STAFF_MATCH": "email",
    }


@pytest.fixture
def app(database_url: str, provider: str) -> Iterator[Flask]:
    """The app with OpenID Connect as the only login for citizens and staff."""
    app = create_app(_config(database_url) | oidc_settings(provider))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def other_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Another app on the same database with other login settings."""
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        made.append(create_app(_config(database_url) | settings))
        return made[-1]
    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def set_claims(provider: str, sub: str, claims: dict[str, Any]) -> None:
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=5).raise_for_status()


def start(client: FlaskClient, audience: str, provider: str, query: str = "") -> str:
    response = client.get(f"/login/oidc/{audience}/start{query}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(f"{provider}/oauth2/authorize?")
    return location


def at_provider(authorize_url: str, sub: str, action: str | None = None) -> str:
    """The user logs in at the provider as `sub`; returns the callback path with its query."""
    data = {"action": action} if action else {"sub": sub}
    answer = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text[:500]
    parts = urlsplit(answer.headers["Location"])
    return f"{parts.path}?{parts.query}"


def provider_login(client: FlaskClient, audience: str, provider: str, sub: str,
                   claims: dict[str, Any], query: str = "") -> Any:
    set_claims(provider, sub, claims)
    callback = at_provider(start(client, audience, provider, query), sub)
    assert callback.startswith(f"/login/oidc/{audience}/callback?")
    return client.get(callback)


def principal(client: FlaskClient) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.fixture
def centre(create_job_centre):
    return create_job_centre()


# ---------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------

def test_r_7_2_staff_logs_in_with_the_organisation_account(client, provider, centre, create_user):
    """R-7.2: code flow with PKCE, state and nonce; the claim names a known, enabled user."""
    user = create_user(Role.ADMINISTRATOR, centre, username="anna", email="anna@kommune.dk", locale="en")
    set_claims(provider, "staff-anna", {"email": "Anna@Kommune.dk"})
    authorize_url = start(client, "staff", provider)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["planner-staff"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://localhost/login/oidc/staff/callback"]

    response = client.get(at_provider(authorize_url, "staff-anna"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert principal(client) == user.get_id()
    with client.session_transaction() as session:
        assert session["lang"] == "en"
        assert not [key for key in session if key.startswith("_state_")]


def test_r_7_2_staff_login_keeps_a_safe_next_page(client, provider, centre, create_user):
    """R-7.2: a deep link survives the round trip; a foreign one does not."""
    create_user(Role.ADMINISTRATOR, centre, username="bo", email="bo@kommune.dk")
    response = provider_login(client, "staff", provider, "staff-bo", {"email": "bo@kommune.dk"},
                              "?next=/admin/team/")
    assert response.headers["Location"] == "/admin/team/"
    client.post("/logout")
    response = provider_login(client, "staff", provider, "staff-bo", {"email": "bo@kommune.dk"},
                              "?next=//evil.example/")
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize("audience", ["staff", "citizen"])
def test_r_7_2_oidc_session_ends_on_the_server_like_the_others(other_app, provider, centre, create_user,
                                                               create_citizen, audience):
    """R-7.2, R-7.3: an OpenID Connect login starts the same session; ending it there ends it here."""
    # Requests of a second instance each get their own context, so Flask-Login loads the user anew.
    client = other_app(**oidc_settings(provider)).test_client()
    user = create_user(Role.ADMINISTRATOR, centre, username="eva", email="eva@kommune.dk")
    citizen = create_citizen(centre, cpr=CPR)
    who, claims, page = {"staff": (user, {"email": "eva@kommune.dk"}, "/admin/caseworker/"),
                         "citizen": (citizen, {CPR_CLAIM: CPR}, "/portal/")}[audience]
    provider_login(client, audience, provider, f"{audience}-eva", claims)
    assert principal(client) == who.get_id()
    assert client.get(page).status_code == 200
    who.end_sessions()
    db.session.commit()
    assert client.get(page).status_code == 302


@pytest.mark.parametrize("case, claims, message", [
    ("unknown", {"email": "nobody@kommune.dk"},
     "Din organisationskonto giver ikke adgang til samtaleplanlæggeren."),
    ("disabled", {"email": "carl@kommune.dk"},
     "Din bruger i samtaleplanlæggeren er spærret."),
    ("no claim", {"preferred_username": "carl@kommune.dk"},
     "Din organisationskonto giver ikke adgang til samtaleplanlæggeren."),
    ("unverified", {"email": "dan@kommune.dk", "email_verified": False},
     "Din organisationskonto giver ikke adgang til samtaleplanlæggeren."),
])
def test_r_7_2_staff_unknown_or_disabled_identity_is_refused(client, provider, centre, create_user,
                                                             case, claims, message):
    """R-7.2: only known, enabled users log in; the others get a Danish message and no session."""
    create_user(Role.ADMINISTRATOR, centre, username="carl", email="carl@kommune.dk",
                is_enabled=False)
    create_user(Role.ADMINISTRATOR, centre, username="dan", email="dan@kommune.dk")
    response = provider_login(client, "staff", provider, f"staff-{case}", claims)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert principal(client) is None
    assert message in client.get("/login").get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


# ---------------------------------------------------------------------------
# State, replay, denial, provider down
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["tampered state", "other browser", "replayed callback"])
def test_r_7_2_callback_without_the_matching_state_is_refused(app, client, provider, centre,
                                                              create_user, case):
    """R-7.2: the state ties the callback to the browser that started; a code is used once."""
    create_user(Role.ADMINISTRATOR, centre, username="dora", email="dora@kommune.dk")
    set_claims(provider, "staff-dora", {"email": "dora@kommune.dk"})
    callback = at_provider(start(client, "staff", provider), "staff-dora")
    browser = client
    if case == "tampered state":
        path, _, query = callback.partition("?")
        params = parse_qs(query)
        callback = f"{path}?code={params['code'][0]}&state=forged"
    elif case == "other browser":
        browser = app.test_client()
    else:
        assert client.get(callback).status_code == 302 and principal(client)
        client.post("/logout")
    response = browser.get(callback)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert principal(browser) is None
    assert "Login blev afbrudt eller mislykkedes. Prøv igen." in browser.get("/login").get_data(as_text=True)


def test_r_7_2_denied_at_the_provider_is_a_danish_message(client, provider):
    """R-7.2: the provider's error answer logs nobody in."""
    callback = at_provider(start(client, "citizen", provider), "", action="deny")
    assert "error=access_denied" in callback
    response = client.get(callback)
    assert response.headers["Location"] == "/portal/login"
    assert principal(client) is None
    assert "Login blev afbrudt eller mislykkedes. Prøv igen." in client.get("/portal/login").get_data(as_text=True)


def test_r_7_2_unreachable_provider_is_a_message_not_a_500(other_app):
    """R-7.2: a provider that is down gives a Danish message on the login page."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app = other_app(**oidc_settings(closed))
    with app.app_context():
        client = app.test_client()
        response = client.get("/login/oidc/staff/start")
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        page = client.get("/login").get_data(as_text=True)
        assert "Login med organisationens konto svarer ikke lige nu. Prøv igen om lidt." in page


def test_r_7_2_callbacks_are_rate_limited_per_address(other_app, provider):
    """R-7.2, R-4.10: every callback makes the app call the provider, so they count as logins."""
    app = other_app(**oidc_settings(provider), RATELIMIT_ENABLED=True, PLANNER_RATELIMIT_LOGIN="2 per minute")
    client = app.test_client()
    responses = [client.get("/login/oidc/citizen/callback?code=x&state=y") for _ in range(3)]
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert all(r.headers["Location"] == "/portal/login" for r in responses)
    page = client.get("/portal/login").get_data(as_text=True)
    assert "For mange forsøg. Vent et minut, og prøv igen." in page


def test_r_7_2_audience_without_oidc_is_not_found(client, other_app):
    """R-7.2: an audience that is not set up for OpenID Connect has no such routes."""
    assert client.get("/login/oidc/partner/start").status_code == 404
    app = other_app()
    with app.app_context():
        assert app.test_client().get("/login/oidc/citizen/start").status_code == 404
        assert app.test_client().get("/login/oidc/staff/callback?code=x&state=y").status_code == 404


# ---------------------------------------------------------------------------
# Citizens
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cpr_claim", [CPR, "010105-4000"])
def test_r_7_2_citizen_logs_in_to_the_portal_with_the_cpr_claim(client, provider, centre,
                                                                create_citizen, caplog, cpr_claim):
    """R-7.2, R-7.8: the broker's CPR claim finds the citizen; the number is in no URL and no log."""
    citizen = create_citizen(centre, cpr=CPR, name="Bente Borger")
    caplog.set_level(logging.DEBUG)
    set_claims(provider, "mitid-bente", {CPR_CLAIM: cpr_claim})
    authorize_url = start(client, "citizen", provider)
    assert parse_qs(urlsplit(authorize_url).query)["client_id"] == ["planner-citizens"]
    callback = at_provider(authorize_url, "mitid-bente")
    response = client.get(callback)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert principal(client) == citizen.get_id()
    assert "Bente Borger" in client.get("/portal/").get_data(as_text=True)
    for url in (authorize_url, callback, response.headers["Location"]):
        assert CPR not in url and "010105-4000" not in url
    assert not [r for r in caplog.records if CPR in r.getMessage() or "010105-4000" in r.getMessage()]


def test_r_7_2_cpr_claim_only_at_the_userinfo_endpoint_is_read_there(client, provider, centre,
                                                                     create_citizen, monkeypatch):
    """R-7.2: some brokers put the CPR number in userinfo, not in the ID token."""
    citizen = create_citizen(centre, cpr=CPR)
    # The provider runs in this process: its ID tokens now carry the subject alone.
    monkeypatch.setattr(oidc_provider_mock._app.OpenIDCode, "generate_user_info",
                        lambda self, user, scope: {"sub": user.sub})
    response = provider_login(client, "citizen", provider, "mitid-userinfo", {CPR_CLAIM: CPR})
    assert response.headers["Location"] == "/portal/"
    assert principal(client) == citizen.get_id()


@pytest.mark.parametrize("case, claims, message", [
    ("missing", {"name": "Bente"}, "MitID-login gav os ikke dit CPR-nummer."),
    ("malformed", {CPR_CLAIM: "01-01-05"}, "MitID-login gav os ikke dit CPR-nummer."),
    ("unknown", {CPR_CLAIM: "0202054000"}, "Jobcentret kender dig ikke i selvbetjeningen."),
])
def test_r_7_2_citizen_without_a_known_cpr_claim_is_refused(client, provider, centre, create_citizen,
                                                            case, claims, message):
    """R-7.2: a missing, malformed or unknown CPR claim logs nobody in; Danish message."""
    create_citizen(centre, cpr=CPR)
    response = provider_login(client, "citizen", provider, f"mitid-{case}", claims)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/login"
    assert principal(client) is None
    assert message in client.get("/portal/login").get_data(as_text=True)
    assert client.get("/portal/").status_code == 302


# ---------------------------------------------------------------------------
# Which logins the pages offer and accept
# ---------------------------------------------------------------------------

def test_r_7_2_default_is_the_demo_and_password_login_without_oidc(other_app, centre, create_citizen):
    """R-7.2: without settings citizens use the demo login and staff their password."""
    create_citizen(centre, cpr=CPR)
    app = other_app()
    assert app.config["PLANNER_CITIZEN_LOGIN"] == "demo"
    assert app.config["PLANNER_STAFF_LOGIN"] == "password"
    with app.app_context():
        client = app.test_client()
        portal = client.get("/portal/login").get_data(as_text=True)
        staff = client.get("/login").get_data(as_text=True)
        assert 'name="cpr"' in portal and "Log ind med MitID" not in portal
        assert 'name="password"' in staff and "Log ind med organisationens konto" not in staff
        assert client.post("/portal/login", data={"cpr": CPR, "code": "1234"}).status_code == 302


def test_r_7_2_oidc_only_hides_and_refuses_the_demo_and_password_forms(client, centre, create_citizen,
                                                                       create_user):
    """R-7.2: with OpenID Connect only, the demo code and the password log nobody in."""
    create_citizen(centre, cpr=CPR)
    user = create_user(Role.ADMINISTRATOR, centre)
    portal = client.get("/portal/login").get_data(as_text=True)
    staff = client.get("/login").get_data(as_text=True)
    assert "Log ind med MitID" in portal and 'name="cpr"' not in portal
    assert "/login/oidc/citizen/start" in portal
    assert "Log ind med organisationens konto" in staff and 'name="password"' not in staff
    assert "/login/oidc/staff/start" in staff
    client.post("/portal/login", data={"cpr": CPR, "code": "1234"})
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert principal(client) is None


def test_r_7_2_password_kept_for_break_glass_next_to_oidc(other_app, provider, centre, create_user):
    """R-7.2: staff "oidc,password" offers both; the password still works."""
    user = create_user(Role.ADMINISTRATOR, centre)
    app = other_app(**oidc_settings(provider, citizen="demo,oidc", staff="oidc,password"))
    with app.app_context():
        client = app.test_client()
        staff = client.get("/login").get_data(as_text=True)
        portal = client.get("/portal/login").get_data(as_text=True)
        assert "Log ind med organisationens konto" in staff and 'name="password"' in staff
        assert "Log ind med MitID" in portal and 'name="cpr"' in portal
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302 and principal(client) == user.get_id()


@pytest.mark.parametrize("settings, named", [
    ({"PLANNER_CITIZEN_LOGIN": "mitid"}, "PLANNER_CITIZEN_LOGIN"),
    ({"PLANNER_STAFF_LOGIN": ""}, "PLANNER_STAFF_LOGIN"),
    ({"PLANNER_STAFF_LOGIN": "oidc"}, "PLANNER_OIDC_STAFF_ISSUER"),
    ({"PLANNER_CITIZEN_LOGIN": "oidc", "PLANNER_OIDC_CITIZEN_ISSUER": "https://broker.example",
      "PLANNER_OIDC_CITIZEN_CLIENT_ID": "planner"}, "PLANNER_OIDC_CITIZEN_CLIENT_SECRET"),
    (oidc_settings("http://broker.example"), "PLANNER_OIDC_CITIZEN_ISSUER"),
])
def test_r_7_2_incomplete_login_settings_stop_the_start(database_url, settings, named):
    """R-7.2: a login that cannot work refuses to start and names the setting."""
    with pytest.raises(ConfigurationError, match=named):
        create_app(_config(database_url) | settings)


# ---------------------------------------------------------------------------
# Staff authentication as an adapter: the stable claim, the system log (R-6.3, R-7.2)
# ---------------------------------------------------------------------------

def _staff_log() -> list:
    from sqlalchemy import select

    from webapp.models import SystemLogEntry
    db.session.expire_all()
    return list(db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "staff_login")
                                   .order_by(SystemLogEntry.id)))


def test_r_6_3_r_7_2_staff_matched_by_subject_when_configured(other_app, provider, centre, create_user):
    """R-6.3, R-7.2: with PLANNER_OIDC_STAFF_MATCH=sub the subject names the user; an e-mail
    address that names another user counts for nothing, nor does the user name."""
    ida = create_user(Role.ADMINISTRATOR, centre, username="ida", email="ida@kommune.dk",
                      oidc_subject="entra-5b1e")
    create_user(Role.ADMINISTRATOR, centre, username="entra-other", email="jon@kommune.dk")
    client = other_app(**oidc_settings(provider) | {"PLANNER_OIDC_STAFF_MATCH": "sub"}).test_client()
    response = provider_login(client, "staff", provider, "entra-5b1e", {"email": "jon@kommune.dk"})
    assert response.headers["Location"] == "/admin/" and principal(client) == ida.get_id()
    client.post("/logout")
    response = provider_login(client, "staff", provider, "entra-other",
                              {"email": "ida@kommune.dk", "preferred_username": "ida"})
    assert response.headers["Location"] == "/login" and principal(client) is None
    success, refusal = _staff_log()
    assert success.job_centre_id == centre.id
    assert "ida" in success.message and "organisationskonto" in success.message
    assert "ingen bruger har organisationskonto-id'et (sub) »entra-other«" in refusal.message
    assert refusal.job_centre_id is None


def test_r_6_3_r_7_2_each_oidc_staff_login_and_refusal_is_logged(client, provider, centre,
                                                                 create_user):
    """R-6.3: one system log entry per staff login and per refused identity, with the reason."""
    create_user(Role.ADMINISTRATOR, centre, username="liv", email="liv@kommune.dk")
    create_user(Role.CASEWORKER, centre, username="max", email="max@kommune.dk", is_enabled=False)
    provider_login(client, "staff", provider, "staff-liv", {"email": "LIV@kommune.dk"})
    client.post("/logout")
    provider_login(client, "staff", provider, "staff-max", {"email": "max@kommune.dk"})
    provider_login(client, "staff", provider, "staff-nn", {"email": "nn@kommune.dk", "email_verified": False})
    login, disabled, unverified = _staff_log()
    assert login.level == "info" and "liv" in login.message and login.job_centre_id == centre.id
    assert disabled.level == "warning" and "brugeren" in disabled.message and "spærret" in disabled.message
    assert disabled.job_centre_id == centre.id
    assert "»nn@kommune.dk« er ikke bekræftet" in unverified.message


def test_r_7_2_an_unknown_staff_match_stops_the_start(database_url, provider):
    """R-7.2: PLANNER_OIDC_STAFF_MATCH names a stable claim, sub or email; nothing else starts."""
    with pytest.raises(ConfigurationError, match="PLANNER_OIDC_STAFF_MATCH"):
        create_app(_config(database_url) | oidc_settings(provider)
                   | {"PLANNER_OIDC_STAFF_MATCH": "preferred_username"})
