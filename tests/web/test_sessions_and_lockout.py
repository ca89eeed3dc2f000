"""Sessions end on the server, and repeated failed logins lock the account and the address (R-7.3)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import _config
from tests.factories import PASSWORD, login
from tests.timehelpers import MONDAY, at
from webapp import create_app
from webapp.extensions import db
from webapp.models import Role

NOW = at(MONDAY, 9)
LOCKED_DA = "For mange mislykkede forsøg"


@pytest.fixture
def clock(monkeypatch):
    """The login views' clock, moved by the test: `clock.now += timedelta(...)`."""
    import webapp.auth.sessions
    import webapp.portal.routes

    class Clock:
        now = NOW

    for module in (webapp.auth.sessions, webapp.portal.routes):
        monkeypatch.setattr(module, "now_local", lambda: Clock.now, raising=False)
    return Clock


@pytest.fixture
def server(app, database_url):
    """The app under test, a second instance on the test database.

    The `app` fixture keeps an application context open for the factories, and requests of
    that same app would share its `g` (where Flask-Login caches the user) between requests;
    this instance's requests each get their own context, as in a real server.
    """
    server = create_app(_config(database_url))
    yield server
    dispose(server)


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(server):
    return server.test_client()


@pytest.fixture
def admin(create_user, create_job_centre):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"))


@pytest.fixture
def citizen(create_job_centre, create_citizen):
    return create_citizen(create_job_centre(), cpr="0101054000", name="Bente Borger")


def kept_cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(server, cookie: str):
    """A second browser that presents a copied session cookie."""
    other = server.test_client()
    other.set_cookie("session", cookie)
    return other


def staff_post(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def portal_post(client, cpr: str, code: str, address: str = "127.0.0.1"):
    return client.post("/portal/login", data={"cpr": cpr, "code": code},
                       environ_base={"REMOTE_ADDR": address})


# ---------------------------------------------------------------------------
# Finding 3: logging out ends the session on the server
# ---------------------------------------------------------------------------

def test_r_7_3_a_kept_staff_cookie_stops_working_after_logout(server, client, admin):
    """R-7.3: logout ends the session; a copy of the cookie taken before no longer opens the admin."""
    login(client, admin)
    assert client.get("/admin/caseworker/").status_code == 200
    cookie = kept_cookie(client)
    assert client.post("/logout").status_code == 302
    replay = with_cookie(server, cookie)
    response = replay.get("/admin/caseworker/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_r_7_3_a_kept_citizen_cookie_stops_working_after_logout(server, client, citizen):
    """R-7.3: the same for the citizen portal."""
    assert portal_post(client, "010105-4000", "1234").status_code == 302
    assert client.get("/portal/").status_code == 200
    cookie = kept_cookie(client)
    client.post("/logout")
    response = with_cookie(server, cookie).get("/portal/")
    assert response.status_code == 302
    assert "/portal/login" in response.headers["Location"]


def test_r_7_3_logging_in_again_after_logout_works(client, admin):
    """R-7.3: ending the session does not lock the user out."""
    login(client, admin)
    client.post("/logout")
    login(client, admin)
    assert client.get("/admin/caseworker/").status_code == 200


def test_r_7_3_a_password_change_ends_every_session(server, client, admin):
    """R-7.3: a cookie from before a password change no longer works."""
    login(client, admin)
    cookie = kept_cookie(client)
    admin.set_password("a new password 43")
    db.session.commit()
    assert with_cookie(server, cookie).get("/admin/caseworker/").status_code == 302
    login(client, admin, "a new password 43")
    assert client.get("/admin/caseworker/").status_code == 200


def test_r_7_3_disabling_a_login_ends_its_sessions_also_after_enabling_again(server, client, admin):
    """R-7.3: a cookie from before the user was disabled stays dead when the user is enabled again."""
    login(client, admin)
    cookie = kept_cookie(client)
    admin.is_enabled = False
    db.session.commit()
    admin.is_enabled = True
    db.session.commit()
    assert with_cookie(server, cookie).get("/admin/caseworker/").status_code == 302


def test_r_7_3_a_cookie_without_the_session_version_is_refused(client, admin):
    """R-7.3: a session naming only the user (as before versions existed) is not trusted."""
    login(client, admin)
    with client.session_transaction() as session:
        session["_user_id"] = f"user:{admin.id}"
    assert client.get("/admin/caseworker/").status_code == 302


def test_r_7_3_strong_session_protection_still_refuses_another_browser(server, client, admin):
    """R-7.3: the cookie copied into a browser with another user agent is dropped (strong protection)."""
    login(client, admin)
    other = with_cookie(server, kept_cookie(client))
    response = other.get("/admin/caseworker/", headers={"User-Agent": "another browser"})
    assert response.status_code == 302


# ---------------------------------------------------------------------------
# Finding 4: lockout after repeated failures, counted in the database
# ---------------------------------------------------------------------------

def test_r_7_3_six_wrong_staff_passwords_lock_the_account_even_for_the_right_one(client, admin, clock):
    """R-7.3: after 5 failures the right password is refused, with a Danish message, until the lock ends."""
    for _ in range(5):
        response = staff_post(client, admin.username, "wrong")
        assert "Forkert brugernavn eller adgangskode." in response.get_data(as_text=True)
    response = staff_post(client, admin.username, "wrong")
    assert response.status_code == 429 and LOCKED_DA in response.get_data(as_text=True)
    response = staff_post(client, admin.username, PASSWORD)
    assert response.status_code == 429 and LOCKED_DA in response.get_data(as_text=True)
    assert client.get("/admin/caseworker/").status_code == 302

    clock.now += timedelta(minutes=14)
    assert staff_post(client, admin.username, PASSWORD).status_code == 429
    clock.now += timedelta(minutes=2)
    assert staff_post(client, admin.username, PASSWORD).status_code == 302
    assert client.get("/admin/caseworker/").status_code == 200


def test_r_7_3_the_lock_message_does_not_tell_whether_the_account_exists(client, admin, clock):
    """R-7.3: an unknown username is locked the same way, with the same words."""
    answers = {}
    for username in (admin.username, "nobody-here"):
        for _ in range(6):
            response = staff_post(client, username, "wrong")
        # The page's CSRF tokens carry a timestamp, so two pages a second apart differ there.
        page = re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))
        answers[username] = (response.status_code, page.replace(username, ""))
    assert answers[admin.username] == answers["nobody-here"]
    assert answers[admin.username][0] == 429


def test_r_7_3_a_successful_login_clears_the_accounts_failures(client, admin, clock):
    """R-7.3: four failures, a success, four failures again: still not locked."""
    for _ in range(4):
        staff_post(client, admin.username, "wrong")
    assert staff_post(client, admin.username, PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(4):
        staff_post(client, admin.username, "wrong")
    assert staff_post(client, admin.username, PASSWORD).status_code == 302


def test_r_7_3_failures_outside_the_window_do_not_add_up(client, admin, clock):
    """R-7.3: five failures spread over more than the window lock nothing."""
    for _ in range(5):
        staff_post(client, admin.username, "wrong")
        clock.now += timedelta(minutes=4)
    assert staff_post(client, admin.username, PASSWORD).status_code == 302


def test_r_7_3_many_accounts_from_one_address_lock_the_address(server, client, admin, create_user, clock):
    """R-7.3: failures spread over many usernames lock the address at a higher threshold; others still log in."""
    server.config["PLANNER_LOGIN_ADDRESS_MAX_FAILURES"] = 8
    for n in range(8):
        staff_post(client, f"guess{n}", "wrong", address="10.9.9.9")
    response = staff_post(client, admin.username, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and LOCKED_DA in response.get_data(as_text=True)
    assert staff_post(client, admin.username, PASSWORD, address="10.0.0.2").status_code == 302


def test_r_7_3_two_app_instances_share_the_count(database_url, admin, clock):
    """R-7.3: the count lives in the database, so two worker processes (two apps) add up to one lock."""
    apps = [create_app(_config(database_url)) for _ in range(2)]
    first, second = (worker.test_client() for worker in apps)
    for client in (first, second, first, second, first):
        assert staff_post(client, admin.username, "wrong").status_code == 200
    assert staff_post(second, admin.username, PASSWORD).status_code == 429
    assert staff_post(first, admin.username, PASSWORD).status_code == 429
    for worker in apps:
        dispose(worker)


def test_r_7_3_portal_login_locks_after_repeated_wrong_codes(server, client, citizen, clock):
    """R-7.3: the citizen portal locks the CPR number the same way; the CPR is stored only hashed."""
    for _ in range(5):
        response = portal_post(client, "010105-4000", "forkert")
        assert "CPR-nummer eller kode er forkert." in response.get_data(as_text=True)
    response = portal_post(client, "010105-4000", "1234")
    assert response.status_code == 429 and LOCKED_DA in response.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302

    from webapp.models.users import LoginFailure
    rows = db.session.scalars(select(LoginFailure)).all()
    assert len(rows) == 5
    assert all("0101054000" not in row.account_key and "010105" not in row.account_key for row in rows)

    clock.now += timedelta(minutes=16)
    assert portal_post(client, "010105-4000", "1234").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_r_7_3_lock_windows_are_configurable(server, client, admin, clock):
    """R-7.3: PLANNER_LOGIN_MAX_FAILURES and PLANNER_LOGIN_LOCKOUT_MINUTES are honoured."""
    server.config.update(PLANNER_LOGIN_MAX_FAILURES=2, PLANNER_LOGIN_LOCKOUT_MINUTES=3)
    staff_post(client, admin.username, "wrong")
    staff_post(client, admin.username, "wrong")
    assert staff_post(client, admin.username, PASSWORD).status_code == 429
    clock.now += timedelta(minutes=4)
    assert staff_post(client, admin.username, PASSWORD).status_code == 302


def test_r_7_3_memory_rate_limit_storage_warns_in_production(database_url, caplog):
    """R-7.3: per-process rate-limit counters are named in the log when running in production."""
    from webapp.ratelimit import warn_if_not_shared
    app = create_app(_config(database_url))
    app.config.update(PLANNER_ENV="production", RATELIMIT_STORAGE_URI="memory://")
    with caplog.at_level(logging.WARNING):
        warn_if_not_shared(app)
    assert any("memory://" in record.getMessage() for record in caplog.records)
    caplog.clear()
    app.config.update(RATELIMIT_STORAGE_URI="redis://cache:6379/0")
    with caplog.at_level(logging.WARNING):
        warn_if_not_shared(app)
    assert caplog.records == []
    dispose(app)


@pytest.mark.parametrize("proxies", [0, 1])
def test_r_7_3_behind_a_proxy_each_client_address_is_locked_on_its_own(database_url, admin, clock, proxies):
    """R-7.3: with PLANNER_PROXY_COUNT the address is the client's from X-Forwarded-For, not the
    proxy's (which would lock everyone); without it the header is ignored, so it cannot dodge the lock."""
    server = create_app(_config(database_url) | {"PLANNER_PROXY_COUNT": proxies,
                                                 "PLANNER_LOGIN_ADDRESS_MAX_FAILURES": 3})
    client = server.test_client()
    for n in range(3):
        client.post("/login", data={"username": f"guess{n}", "password": "wrong"},
                    headers={"X-Forwarded-For": "203.0.113.5"})
    other_client = client.post("/login", data={"username": admin.username, "password": PASSWORD},
                               headers={"X-Forwarded-For": "203.0.113.6"})
    assert other_client.status_code == (302 if proxies else 429)
    same_client = client.post("/login", data={"username": admin.username, "password": PASSWORD},
                              headers={"X-Forwarded-For": "203.0.113.5"})
    assert same_client.status_code == 429
    dispose(server)


def test_r_7_3_support_disabling_a_user_in_the_admin_ends_the_users_sessions(server, client, admin,
                                                                            create_user):
    """R-7.3: the admin's user form disables through the model, so the user's kept cookie stops working;
    the form offers no session version to set back."""
    user_browser = server.test_client()
    login(user_browser, admin)
    cookie = kept_cookie(user_browser)
    support = create_user(Role.SUPPORT, None)
    login(client, support)
    form = client.get(f"/admin/user/edit/?id={admin.id}").get_data(as_text=True)
    assert 'name="is_enabled"' in form and 'name="session_version"' not in form
    response = client.post(f"/admin/user/edit/?id={admin.id}", data={
        "job_centre": admin.job_centre_id, "username": admin.username, "name": admin.name,
        "role": admin.role.value, "locale": ""})  # is_enabled unticked
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert admin.is_enabled is False
    admin.is_enabled = True
    db.session.commit()
    assert with_cookie(server, cookie).get("/admin/caseworker/").status_code == 302
    login(user_browser, admin)
    assert user_browser.get("/admin/caseworker/").status_code == 200
