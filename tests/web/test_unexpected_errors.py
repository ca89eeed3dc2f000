"""An unexpected error: a Danish 500 page (or JSON in both languages) with a reference number,
and one system log entry under that number without personal data (R-1.10.1)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webapp.errors import ERROR_CATEGORY
from webapp.extensions import db
from webapp.models import LogLevel, SystemLogEntry

CPR = "010180-1234"
pytestmark = pytest.mark.fresh_app  # the tests add failing routes to the app


def _boom(**_: object) -> None:
    raise RuntimeError(f"citizen {CPR} broke it")


@pytest.fixture
def failing_app(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, not raise into the test
    app.add_url_rule("/fejl/<int:booking_id>", "test_boom", _boom, methods=["GET", "POST"])
    app.add_url_rule("/api/v1/test-boom", "test_api_boom", _boom)
    return app


def _logged() -> list[SystemLogEntry]:
    return list(db.session.scalars(select(SystemLogEntry).where(SystemLogEntry.category == ERROR_CATEGORY)))


def test_r_1_10_1_a_500_page_is_danish_and_names_the_reference_the_system_log_keeps(failing_app) -> None:
    client = failing_app.test_client()
    response = client.post("/fejl/17?cpr=0101801234", data={"cpr": CPR})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Der opstod en fejl" in page and "fejlnummer" in page
    reference = re.search(r"<strong>([0-9A-F]{8})</strong>", page).group(1)
    [entry] = _logged()
    assert entry.level == LogLevel.ERROR and entry.figures["reference"] == reference
    assert entry.figures == {"reference": reference, "method": "POST", "route": "/fejl/<int:booking_id>",
                             "exception": "RuntimeError"}
    stored = entry.message + repr(entry.figures)
    assert reference in entry.message
    for personal in (CPR, "0101801234", "17", "citizen"):
        assert personal not in stored.replace(reference, "")


def test_r_1_10_1_json_paths_answer_500_in_both_languages_with_the_reference(failing_app) -> None:
    response = failing_app.test_client().get("/api/v1/test-boom")

    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "internal_error" and body["message_da"] and body["message_en"]
    assert [entry.figures["reference"] for entry in _logged()] == [body["reference"]]


def test_r_1_10_1_an_error_inside_an_api_view_is_logged_with_its_reference(app, monkeypatch) -> None:
    """The API blueprint answers its own errors; they reach the system log the same way."""
    from webapp.api import routes
    monkeypatch.setattr(routes, "_citizen", _boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = app.test_client().get("/api/v1/offers")

    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "internal_error"
    [entry] = _logged()
    assert entry.figures["reference"] == body["reference"] and entry.figures["route"] == "/api/v1/offers"


def test_r_1_10_1_the_page_is_shown_even_when_the_system_log_cannot_be_written(failing_app, monkeypatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise RuntimeError("no database")

    monkeypatch.setattr(db.session, "commit", refuse)
    response = failing_app.test_client().get("/fejl/1")
    assert response.status_code == 500 and "fejlnummer" in response.get_data(as_text=True)
