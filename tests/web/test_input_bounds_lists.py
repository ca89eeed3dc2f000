"""R-7.4 and R-7.6 follow-ups: refusals before the inbound service are logged, hostile list and query
arguments never give a 500."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from webapp.extensions import db
from webapp.models import ApiClient, Booking, InboundMessage

INBOUND = "/integration/v1/appointments"
NOW = datetime(2027, 2, 26, 12, 0)
CPR = "0101901234"


# --- every authenticated message is logged, also one refused before the service ----------

@pytest.fixture
def kss(app, reference_data, create_job_centre, create_caseworker, monkeypatch):
    """Headers of the case system of a job centre."""
    from webapp.api.clients import issue_client

    monkeypatch.setattr("webapp.integration.now_local", lambda: NOW)
    centre = create_job_centre()
    create_caseworker(centre, rid="55501")
    _, token = issue_client(centre, "KSS", ApiClient.CASE_SYSTEM)
    db.session.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


class Body(io.RawIOBase):
    """A request body of `size` bytes of `fill`, made while it is read; counts what the app read."""

    def __init__(self, size: int, fill: bytes = b" ") -> None:
        self.left, self.read_bytes, self.fill = size, 0, fill

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.left)
        buffer[:n] = (self.fill * (n // len(self.fill) + 1))[:n]
        self.left -= n
        self.read_bytes += n
        return n


def post_stream(client, headers: dict, body: Body, content_length: int | None):
    """POST `body` as a server hands it on: chunked (no length, input terminated) or with a length."""
    environ = EnvironBuilder(path=INBOUND, method="POST", headers=headers).get_environ()
    environ["wsgi.input"] = body
    if content_length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ.update({"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return client.open(Request(environ))


def logged_messages() -> list[InboundMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def assert_refused_json(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    body = response.get_json()
    assert body["code"] == code and body["outcome"] == "rejected", body
    assert body["message_da"] and body["message_en"] and body["message_da"] != body["message_en"]
    return body


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_r_7_6_a_body_over_the_cap_is_logged_as_rejected(client, kss, chunked):
    """R-7.6: an authenticated message over the size cap is answered 413 in JSON and logged as
    rejected, saying why; a body with its Content-Length is still not read (R-7.4)."""
    size = 30 * 1024 * 1024
    body = Body(size)
    response = post_stream(client, kss, body, None if chunked else size)
    assert_refused_json(response, 413, "too_large")
    assert body.read_bytes <= (128 * 1024 if chunked else 0)
    [logged] = logged_messages()
    assert logged.outcome == "rejected" and "for stor" in logged.detail
    assert logged.job_centre_id is not None and logged.external_id is None


def test_r_7_6_a_body_over_the_cap_without_a_valid_token_is_not_logged(client, kss):
    """R-7.6 logs authenticated messages: an oversized body without a valid token stays out of the log."""
    headers = kss | {"Authorization": "Bearer wrong"}
    response = post_stream(client, headers, Body(1024 * 1024), 1024 * 1024)
    assert response.status_code == 413 and response.is_json
    assert logged_messages() == []


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_r_7_6_json_nested_too_deep_is_logged_truncated_escaped_and_masked(client, kss):
    """R-7.6: JSON nested deeper than the cap is refused 400 before it is parsed, and logged as
    rejected with its raw body as the service keeps others: CPR numbers masked, control characters
    escaped, cut to the log's length (R-7.8)."""
    raw = ('{"appointment_id": "KSS-7", "citizen_cpr": "' + CPR + '", "note": "a\\u0000b\x7f", "x": '
           + _nested(30_000) + "}")
    response = client.post(INBOUND, data=raw.encode(), headers=kss)
    body = assert_refused_json(response, 400, "json_too_deep")
    assert "32" in body["message_da"]
    [logged] = logged_messages()
    assert logged.outcome == "rejected" and "for dybt" in logged.detail
    assert CPR not in logged.raw and "010190-****" in logged.raw
    assert "\x7f" not in logged.raw and "\\x7f" in logged.raw
    assert len(logged.raw) == 20_000
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_r_7_6_a_body_cut_short_by_the_client_is_logged_as_rejected(client, kss):
    """R-7.6: a body that ends before its Content-Length (the client went away) is a JSON 400,
    logged as rejected; never an HTML page or a 500."""
    response = post_stream(client, kss, Body(10, b"{"), 1000)
    assert_refused_json(response, 400, "incomplete_body")
    [logged] = logged_messages()
    assert logged.outcome == "rejected"

