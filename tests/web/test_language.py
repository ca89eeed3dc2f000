"""One owner per idea (issue #15): one language helper and one reader per setting, seen through the app."""

from __future__ import annotations

import pytest
from flask import session
from flask_babel import force_locale, refresh

from tests.factories import login
from webapp.config import setting
from webapp.extensions import db
from webapp.domain.errors import DomainError
from webapp.language import current_language, error_text, select_locale
from webapp.messages import texts
from webapp.models import Role


@pytest.fixture
def admin(reference_data, create_job_centre, create_user):
    return create_user(Role.ADMINISTRATOR, create_job_centre("Jobcenter Aarhus"))


@pytest.mark.parametrize(("chosen", "expected"), [(None, "da"), ("da", "da"), ("en", "en"), ("fr", "da"),
                                                  ("", "da")])
def test_the_session_chooses_the_language_and_danish_is_the_default(app, chosen, expected) -> None:
    """One owner per idea: Babel's selector, the pages and the error texts give the same answer."""
    with app.test_request_context():
        if chosen is not None:
            session["lang"] = chosen
        assert select_locale() == expected
        assert current_language() == expected
        error = DomainError.of("slot_taken")
        assert error_text(error) == getattr(texts("slot_taken"), expected)


def test_a_forced_locale_renders_errors_in_that_language(app) -> None:
    with app.test_request_context(), force_locale("en"):
        assert current_language() == "en"
        assert error_text(DomainError.of("meeting_not_found")) == "The meeting does not exist."


def test_outside_a_request_the_language_is_danish(app) -> None:
    assert select_locale() == "da"


def test_the_switch_names_the_other_language_and_refuses_unknown_ones(client, admin) -> None:
    login(client, admin)
    client.post("/lang/xx")
    refresh()
    with client.session_transaction() as kept:
        assert "lang" not in kept
    client.post("/lang/en")
    refresh()
    page = client.get("/home").get_data(as_text=True)
    assert '<html lang="en">' in page and ">Dansk</button>" in page


def test_login_keeps_the_language_chosen_before(client, admin) -> None:
    client.post("/lang/en")
    login(client, admin)
    with client.session_transaction() as kept:
        assert kept["lang"] == "en"


@pytest.mark.parametrize("profile", [None, "da"])
def test_english_chosen_on_the_login_page_survives_login_R_8_3(client, admin, profile) -> None:
    """R-8.3: the language chosen on the login page wins over the profile's."""
    admin.locale = profile
    db.session.flush()
    client.post("/lang/en")
    login(client, admin)
    page = client.get("/home").get_data(as_text=True)
    assert '<html lang="en">' in page


def test_without_a_choice_the_profile_language_is_used_at_login_R_8_3(client, admin) -> None:
    admin.locale = "en"
    db.session.flush()
    login(client, admin)
    with client.session_transaction() as kept:
        assert kept["lang"] == "en"


def test_a_setting_is_the_running_apps(app) -> None:
    """One owner per idea: `setting` reads the running app's configuration."""
    app.config["PLANNER_RESERVATION_MINUTES"] = 9
    assert setting("PLANNER_RESERVATION_MINUTES") == 9
