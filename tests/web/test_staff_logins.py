"""R-6.3: administrators create, disable and re-enable their own job centre's logins; a new
login's one-time set-password link; the password policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import _config
from tests.factories import PASSWORD, login
from webapp import create_app
from webapp.administration import staff_logins
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import AuditEntry, Caseworker, OutboxMessage, Role, User

STRONG = "grøn kaffe om morgenen 7"


@pytest.fixture
def world(reference_data, create_job_centre, create_user, create_caseworker):
    own, other = create_job_centre(), create_job_centre()
    return {"own": own, "other": other, "caseworker": create_caseworker(own, [own.teams[0]]),
            "admin": create_user(Role.ADMINISTRATOR, own),
            "other_admin": create_user(Role.ADMINISTRATOR, other),
            "support": create_user(Role.SUPPORT, None)}


def _create(client, **fields):
    # The own job centre's caseworker (the world's first) is the one the login opens.
    caseworker = db.session.scalar(select(Caseworker.id).order_by(Caseworker.id))
    data = {"username": "jens.hansen", "name": "Jens Hansen", "email": "jens@aarhus.dk",
            "role": "caseworker", "locale": "", "caseworker": str(caseworker or "")} | fields
    return client.post("/admin/user/new/", data=data)


def _link_path(page: str) -> str:
    return re.search(r'value="http://localhost(/password/[^"]+)"', page).group(1)


def test_r_6_3_admin_creates_a_caseworker_login_link_shown_once_and_queued(client, world):
    login(client, world["admin"])
    form = client.get("/admin/user/new/").get_data(as_text=True)
    # The role never defaults to support and support is not offered; the language is "Sprog".
    assert re.search(r'<option selected value="caseworker"|<option value="caseworker" selected', form)
    assert 'value="support"' not in form and "Sprog" in form and "Locale" not in form
    response = _create(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    path = _link_path(page)
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    assert user.role == Role.CASEWORKER and user.job_centre_id == world["own"].id
    assert not user.check_password("") and user.password_link_hash not in path
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_link"))
    assert mail.recipient == "jens@aarhus.dk" and path in mail.body_text
    # Shown once: the list and the user's page do not show it again.
    assert path not in client.get("/admin/user/").get_data(as_text=True)
    assert path not in client.get(f"/admin/user/details/?id={user.id}").get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == str(user.id),
                                                       AuditEntry.object_type == "User"))
    assert entry is not None and path.rsplit("/", 1)[1] not in str(entry.after)


def test_r_6_3_the_link_sets_a_password_once(app, client, world):
    login(client, world["admin"])
    path = _link_path(_create(client).get_data(as_text=True))
    client.post("/logout")
    page = client.get(path).get_data(as_text=True)
    assert "mindst 12 tegn" in page and "jens.hansen" in page
    response = client.post(path, data={"password": STRONG, "repeated": STRONG})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    db.session.refresh(user)
    assert user.check_password(STRONG) and user.password_link_hash is None
    again = client.post(path, data={"password": STRONG + "x", "repeated": STRONG + "x"})
    assert again.status_code == 404 and "allerede brugt" in again.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(STRONG)
    login(client, user, STRONG)


def test_r_6_3_the_link_expires(app, client, world):
    user, link = staff_logins.create_login(
        world["admin"], username="udloeb", name="Ulla Udløb", email="ulla@aarhus.dk",
        role=Role.CASEWORKER, job_centre_id=None, locale=None,
        now=now_local() - timedelta(hours=49), link_for=lambda token: f"/password/{token}",
        caseworker_id=world["caseworker"].id)
    db.session.commit()
    response = client.post(link, data={"password": STRONG, "repeated": STRONG})
    assert response.status_code == 404 and "udløbet" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.check_password(STRONG)


@pytest.mark.parametrize(("password", "repeated", "message"), [
    ("kort123", "kort123", "for kort: den har 7 tegn, men skal have mindst 12"),
    ("Jobcenter2025", "Jobcenter2025", "en af de mest brugte"),
    ("jens.hansen er mig 2", "jens.hansen er mig 2", "må ikke indeholde dit brugernavn"),
    (STRONG, STRONG + "!", "ikke ens"),
])
def test_r_6_3_the_policy_refuses_weak_passwords_in_danish(client, world, password, repeated, message):
    login(client, world["admin"])
    path = _link_path(_create(client).get_data(as_text=True))
    client.post("/logout")
    response = client.post(path, data={"password": password, "repeated": repeated})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    db.session.refresh(user)
    assert not user.check_password(password) and user.password_link_hash is not None


def test_r_6_3_the_policy_in_english_for_the_api(app):
    from webapp.domain.errors import DomainError
    from webapp.domain.passwords import check_password
    with pytest.raises(DomainError) as error:
        check_password("short", "x")
    assert "at least 12" in error.value.message_en and "mindst 12" in error.value.message_da


@pytest.mark.parametrize("fields", [
    {"role": "support"},
    {"email": "ikke-en-adresse"},
    {"username": "med mellemrum"},
    {"name": ""},
])
def test_r_6_3_admin_cannot_create_support_or_bad_logins(client, world, fields):
    login(client, world["admin"])
    before = db.session.scalar(select(db.func.count(User.id)))
    page = _create(client, **fields).get_data(as_text=True)
    assert "/password/" not in page
    assert db.session.scalar(select(db.func.count(User.id))) == before
    assert db.session.scalar(select(OutboxMessage)) is None


def test_r_6_3_admin_cannot_touch_another_job_centres_or_supports_users(client, world):
    login(client, world["admin"])
    listing = client.get("/admin/user/").get_data(as_text=True)
    assert world["other_admin"].username not in listing and world["support"].username not in listing
    for user in (world["other_admin"], world["support"]):
        assert client.get(f"/admin/user/edit/?id={user.id}").status_code == 404
        client.post("/admin/user/action/", data={"action": "disable", "rowid": [str(user.id)]})
        db.session.refresh(user)
        assert user.is_enabled
    with pytest.raises(Exception) as error:
        staff_logins.set_enabled(world["admin"], world["other_admin"], False)
    assert error.value.code == "user_not_found"


def test_r_6_3_support_creates_logins_for_any_job_centre(client, world):
    login(client, world["support"])
    form = client.get("/admin/user/new/").get_data(as_text=True)
    assert re.search(r'<option selected value="caseworker"|<option value="caseworker" selected', form)
    page = _create(client, role="administrator", job_centre=str(world["other"].id),
                   caseworker="").get_data(as_text=True)
    assert "/password/" in page
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    assert user.role == Role.ADMINISTRATOR and user.job_centre_id == world["other"].id


@pytest.fixture
def server(app, database_url):
    """A second instance on the test database: its requests do not share the `app` fixture's
    open context, where Flask-Login caches the user (as in tests/web/test_sessions_and_lockout.py)."""
    server = create_app(_config(database_url))
    yield server
    with server.app_context():
        db.session.remove()
        db.engine.dispose()


def test_r_6_3_disable_ends_sessions_and_blocks_login_re_enable_works(app, server, client, world,
                                                                       create_user):
    caseworker = create_user(Role.CASEWORKER, world["own"])
    their = server.test_client()
    login(their, caseworker)
    assert their.get("/home").status_code == 200
    login(client, world["admin"])
    client.post("/admin/user/action/", data={"action": "disable", "rowid": [str(caseworker.id)]})
    db.session.refresh(caseworker)
    assert caseworker.is_enabled is False
    assert their.get("/home").status_code == 302  # the session is gone: back to the login
    refused = server.test_client().post("/login", data={"username": caseworker.username, "password": PASSWORD})
    assert refused.status_code == 200
    client.post("/admin/user/action/", data={"action": "enable", "rowid": [str(caseworker.id)]})
    db.session.refresh(caseworker)
    assert caseworker.is_enabled is True
    assert their.get("/home").status_code == 302  # re-enabling revives no old session
    login(their, caseworker)
    assert their.get("/home").status_code == 200


def test_r_6_3_admin_cannot_disable_own_login(client, world):
    login(client, world["admin"])
    page = client.post("/admin/user/action/", data={"action": "disable", "rowid": [str(world["admin"].id)]},
                       follow_redirects=True).get_data(as_text=True)
    db.session.refresh(world["admin"])
    assert world["admin"].is_enabled and "eget login" in page


def test_r_6_3_a_login_may_name_its_organisation_account_id(client, world):
    """R-6.3, R-7.2: the subject an OpenID Connect login is matched by, entered on the user."""
    login(client, world["admin"])
    assert "Organisationskonto-id (sub)" in client.get("/admin/user/new/").get_data(as_text=True)
    assert _create(client, oidc_subject="  7f3c-entra-object  ").status_code == 200
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    assert user.oidc_subject == "7f3c-entra-object"


@pytest.mark.parametrize("subject, message", [
    ("taken-sub", "Der findes allerede"),
    ("x" * 256, "255 tegn"),
    ("med\x01styretegn", "må ikke indeholde styretegn"),
])
def test_r_6_3_a_bad_or_shared_organisation_account_id_is_refused_in_danish(client, world,
                                                                           create_user, subject,
                                                                           message):
    create_user(Role.CASEWORKER, world["own"], oidc_subject="taken-sub")
    login(client, world["admin"])
    before = db.session.scalar(select(db.func.count(User.id)))
    page = _create(client, oidc_subject=subject).get_data(as_text=True)
    field = page.split('id="oidc_subject"', 1)[1].split("</div>", 1)[0]
    assert message in field and "/password/" not in page
    assert db.session.scalar(select(db.func.count(User.id))) == before


@pytest.mark.parametrize("subject, message", [
    ("taken-sub", "Organisationskonto-id'et bruges allerede af brugeren »taken«"),
    ("x" * 256, "højst 255 tegn"),
    ("med\nlinjeskift", "én linje"),
])
def test_r_6_3_the_service_refuses_a_bad_or_shared_organisation_account_id(world, create_user,
                                                                          subject, message):
    """R-6.3: the rule itself, for every caller: one line, bounded, one user's only."""
    from webapp.domain.errors import DomainError
    create_user(Role.CASEWORKER, world["own"], username="taken", oidc_subject="taken-sub")
    with pytest.raises(DomainError) as raised:
        staff_logins.create_login(world["admin"], username="ny", name="Ny Bruger",
                                  email="ny@aarhus.dk", role="caseworker", job_centre_id=None,
                                  locale=None, now=now_local(), link_for=str, oidc_subject=subject)
    assert message in raised.value.message_da and raised.value.field == "oidc_subject"


def test_r_6_3_each_password_login_is_in_the_system_log(client, world):
    """R-6.3: a staff login is one entry in the system log, with the user's job centre; a
    disabled user with the right password is refused like a wrong one and the refusal logged."""
    from webapp.models import LogLevel, SystemLogEntry
    admin = world["admin"]
    assert client.post("/login", data={"username": admin.username, "password": PASSWORD}).status_code == 302
    [entry] = db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "staff_login"))
    assert entry.level == LogLevel.INFO and entry.job_centre_id == world["own"].id
    assert f"{admin.name} ({admin.username}) loggede ind med adgangskode." in entry.message
    client.post("/logout")
    admin.is_enabled = False
    db.session.commit()
    page = client.post("/login", data={"username": admin.username, "password": PASSWORD},
                       follow_redirects=True).get_data(as_text=True)
    assert "Forkert brugernavn eller adgangskode" in page
    refused = db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == "staff_login")
                                 .order_by(SystemLogEntry.id)).all()[-1]
    assert refused.level == LogLevel.WARNING and "er spærret" in refused.message
    assert PASSWORD not in refused.message


def test_r_6_3_a_caseworkers_login_names_the_caseworker_it_opens(client, world):
    """R-6.3: a new caseworker's login is tied to her caseworker, so it opens her calendar."""
    login(client, world["admin"])
    assert _create(client).status_code == 200
    user = db.session.scalar(select(User).where(User.username == "jens.hansen"))
    assert user.caseworker_id == world["caseworker"].id


@pytest.mark.parametrize("case, message", [
    ("none", "Vælg den vejleder, login&#39;et hører til"),
    ("taken", "har allerede login&#39;et »taken«"),
    ("foreign", "Vælg den vejleder, login&#39;et hører til"),  # not offered, so not taken
])
def test_r_6_3_a_caseworkers_login_without_or_with_a_wrong_caseworker_is_refused(
        client, world, create_user, create_caseworker, case, message):
    """R-6.3: without a caseworker, with another login's or another job centre's, nothing is made."""
    if case == "taken":
        create_user(Role.CASEWORKER, world["own"], username="taken", caseworker_id=world["caseworker"].id)
    foreign = create_caseworker(world["other"], [world["other"].teams[0]])
    login(client, world["admin"])
    before = db.session.scalar(select(db.func.count(User.id)))
    value = {"none": "", "taken": str(world["caseworker"].id), "foreign": str(foreign.id)}[case]
    page = _create(client, caseworker=value).get_data(as_text=True)
    assert "/password/" not in page and message in page.replace("'", "&#39;")
    assert db.session.scalar(select(db.func.count(User.id))) == before


def test_r_6_3_the_service_refuses_another_job_centres_caseworker(world, create_caseworker):
    """R-6.3: the rule itself: a login opens a caseworker of its own job centre only."""
    from webapp.domain.errors import DomainError
    foreign = create_caseworker(world["other"], [world["other"].teams[0]])
    with pytest.raises(DomainError) as raised:
        staff_logins.create_login(world["admin"], username="ny", name="Ny Bruger",
                                  email="ny@aarhus.dk", role="caseworker", job_centre_id=None,
                                  locale=None, now=now_local(), link_for=str,
                                  caseworker_id=foreign.id)
    assert "Vejlederen hører ikke til brugerens jobcenter" in raised.value.message_da
    assert raised.value.field == "caseworker"


def test_r_6_3_a_login_without_a_caseworker_is_told_so_in_danish_not_a_404(client, world,
                                                                         create_user):
    """R-6.3: a caseworker's login not (yet) tied to a caseworker sees why there is no calendar."""
    user = create_user(Role.CASEWORKER, world["own"], username="uden")
    login(client, user)
    response = client.get("/caseworker/")
    assert response.status_code == 200
    assert "Dit login er ikke knyttet til en vejleder i et team" in response.get_data(as_text=True)
