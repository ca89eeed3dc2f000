"""R-8.1: 400, 403, 404, 405 and 429 are Danish pages that say what to do, phone-sized in the
portal, in English when the user chose English, and JSON in both languages on machine paths."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import BadRequest

from tests.factories import login
from webapp.models import Role

ENGLISH_DEFAULTS = ("Not Found", "Method Not Allowed", "Forbidden", "Bad Request",
                    "The requested URL was not found")


def _page(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="da">' in html
    for english in ENGLISH_DEFAULTS:
        assert english not in html
    return html


def test_r_8_1_an_unknown_page_is_a_danish_page_with_the_way_on(client) -> None:
    html = _page(client.get("/findes-ikke"), 404)
    assert "Siden findes ikke" in html and 'href="/"' in html


def test_r_8_1_an_unknown_portal_page_has_the_portals_phone_sized_frame(client) -> None:
    html = _page(client.get("/portal/findes-ikke"), 404)
    assert "Siden findes ikke" in html and "portal.css" in html and "width=device-width" in html


def test_r_8_1_a_wrong_method_is_a_danish_page_that_keeps_the_allow_header(client) -> None:
    response = client.delete("/login")
    html = _page(response, 405)
    assert "Det kan ikke lade sig gøre her" in html and "GET" in response.headers["Allow"]


def test_r_8_1_a_forbidden_page_is_danish(client, create_user, create_job_centre) -> None:
    login(client, create_user(Role.CASEWORKER, create_job_centre(), username="sagsbehandler"))
    html = _page(client.get("/admin/"), 403)
    assert "Ingen adgang" in html and "Forsiden" in html


@pytest.mark.fresh_app
def test_r_8_1_a_bad_request_is_danish(app, client) -> None:
    def refuse() -> None:
        raise BadRequest()
    app.add_url_rule("/daarlig", "test_bad", refuse)
    html = _page(client.get("/daarlig"), 400)
    assert "Forespørgslen kunne ikke læses" in html


def test_r_8_1_the_chosen_language_holds_on_error_pages_and_get_lang_works(client) -> None:
    response = client.get("/lang/en")
    assert response.status_code == 302  # not 405
    html = client.get("/findes-ikke").get_data(as_text=True)
    assert "Page not found" in html and "Siden findes ikke" not in html


@pytest.mark.parametrize("path", ["/api/v1/findes-ikke", "/integration/findes-ikke"])
def test_r_8_1_machine_paths_answer_json_in_both_languages(client, path: str) -> None:
    body = client.get(path).get_json()
    assert body["message_da"] and body["message_en"] and body["code"]
