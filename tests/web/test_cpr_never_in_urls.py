"""CPR numbers never reach a URL, a redirect or the access log (R-7.8)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import _config
from tests.factories import login
from tests.workspace_setup import CPRS, PASSWORD, build_workspace
from webapp import create_app
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent

# Ten digits, or six, a dash and four: how a CPR number is written, in a URL or a log line.
CPR_PATTERN = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")
CPR = CPRS[0]


class _Forms(HTMLParser):
    """Each form of a page with its method, action and the names of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (attributes.get("method") or "get").lower(),
                               "action": attributes.get("action") or "", "fields": set()})
        elif tag in ("input", "textarea", "select") and self.forms and attributes.get("name"):
            self.forms[-1]["fields"].add(attributes["name"])


def form_with(page: str, field: str) -> dict:
    parser = _Forms()
    parser.feed(page)
    found = [form for form in parser.forms if field in form["fields"]]
    assert found, f"no form with a field {field!r}"
    return found[0]


@pytest.fixture
def ws(app, reference_data):
    workspace = build_workspace()
    citizen = workspace.citizens[0]
    db.session.add_all([
        AuditEntry(job_centre_id=workspace.job_centre.id, event=AuditEvent.CALL_IN_CREATED,
                   user_name="Admin", booking_id=101, citizen_id=citizen.id,
                   occurred_at=datetime(2030, 1, 10, 9)),
        AuditEntry(job_centre_id=workspace.job_centre.id, event=AuditEvent.CALL_IN_CREATED,
                   user_name="Admin", booking_id=102, citizen_id=workspace.citizens[1].id,
                   occurred_at=datetime(2030, 1, 11, 9))])
    db.session.commit()
    return workspace


@contextmanager
def access_log() -> Iterator[list[str]]:
    """The lines the werkzeug logger writes, seen by a handler of its own (as `flask run` has
    one), not only by the root handlers the app masks."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _booking_numbers(page: str) -> list[str]:
    return re.findall(r'<td class="col-booking_id">\s*(\d+)\s*</td>', page)


def test_r_7_8_the_audit_trail_search_by_cpr_is_a_post(client, ws):
    """R-7.8 / R-1.9.3: the CPR goes in a POST body; the results page's URL holds no CPR."""
    login(client, ws.admin)
    page = client.get("/admin/audit/").get_data(as_text=True)
    form = form_with(page, "cpr")
    assert form["method"] == "post" and "csrf_token" in form["fields"]
    response = client.post(form["action"], data={"cpr": "010180-1001"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not CPR_PATTERN.search(unquote(location))
    results = client.get(location).get_data(as_text=True)
    assert _booking_numbers(results) == ["101"]
    assert "010180-****" in results
    # The results page's own links (sorting, paging, filters) carry no CPR either.
    assert not any(CPR_PATTERN.search(unquote(href)) for href in re.findall(r'href="([^"]*)"', results))


@pytest.mark.parametrize(("cpr", "words"), [
    ("0101", "10 cifre"),
    ("3201801001", "gyldig dato"),
    ("0909091234", "Ingen borger"),
])
def test_r_7_8_a_bad_or_unknown_cpr_in_the_audit_search_says_why(client, ws, cpr, words):
    """R-7.8: a CPR that is no number or no citizen of the job centre is named, masked."""
    login(client, ws.admin)
    response = client.post("/admin/audit/cpr-search/", data={"cpr": cpr}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and words in page
    assert (len(cpr) < 10 or cpr not in page) and all(not CPR_PATTERN.search(unquote(r.headers.get("Location", "")))
                                   for r in response.history)


def test_r_7_8_a_search_token_of_another_session_shows_nothing(client, app, ws):
    """R-7.8: the token in the URL means something only in the session that searched."""
    login(client, ws.admin)
    location = client.post("/admin/audit/cpr-search/", data={"cpr": CPR}).headers["Location"]
    other = app.test_client()
    login(other, ws.admin)
    assert _booking_numbers(other.get(location).get_data(as_text=True)) == []


def test_r_7_8_the_access_log_masks_a_cpr_in_a_request_line(app):
    """R-7.8: should a CPR still come in a URL (typed by hand), the access log masks it."""
    with access_log() as lines:
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s -', "127.0.0.1", "01/Mar/2027",
                                           f"GET /admin/citizen/?search={CPR} HTTP/1.1", "200")
    assert len(lines) == 1 and not CPR_PATTERN.search(lines[0])
    assert "010180-****" in lines[0]


# ---------------------------------------------------------------------------
# A walk over HTTP through every page that takes a CPR number
# ---------------------------------------------------------------------------

@pytest.fixture
def live_server(app, database_url: str) -> Iterator[str]:
    server_app = create_app(_config(database_url))
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        with server_app.app_context():
            db.engine.dispose()


def test_r_7_8_no_cpr_in_any_url_redirect_or_access_log_line(ws, live_server):
    """R-7.8: a walk through every page where a CPR number is typed or sent: the audit search,
    a call-in, a self-booking deadline, the portal login, the API and the inbound endpoint.
    No URL requested, no redirect and no access log line holds a CPR number."""
    seen: list[str] = []
    browser = requests.Session()

    def go(method: str, path: str, **kwargs) -> requests.Response:
        response = browser.request(method, urljoin(live_server, path), timeout=30, **kwargs)
        for step in [*response.history, response]:
            seen.append(step.request.url)
            seen.append(step.headers.get("Location", ""))
        assert response.status_code < 500, (path, response.text[:300])
        return response

    def submit(path: str, field: str, data: dict) -> requests.Response:
        page = go("GET", path)
        form = form_with(page.text, field)
        assert form["method"] == "post", f"{path}: the form with {field!r} is a GET form"
        return go("POST", urljoin(page.url, form["action"]), data=data)

    with access_log() as access_lines:
        go("POST", "/login", data={"username": ws.admin.username, "password": PASSWORD})
        found = submit("/admin/audit/", "cpr", {"cpr": CPR})
        assert "/admin/audit/" in found.url and _booking_numbers(found.text) == ["101"]
        submit("/caseworker/callins/new", "cprs", {"cprs": f"{CPR}\n{CPRS[1]}"})
        submit("/caseworker/deadlines/new", "cpr", {"cpr": CPR})
        go("POST", "/logout")
        submit("/portal/login", "cpr", {"cpr": CPR, "code": "0000"})
        go("GET", "/api/v1/offers", headers={"X-Citizen-CPR": CPR})
        go("POST", "/integration/v1/appointments", json={"citizen_cpr": CPR})
    assert len(access_lines) >= 10
    assert [url for url in seen if CPR_PATTERN.search(unquote(url))] == []
    assert [line for line in access_lines if CPR_PATTERN.search(unquote(line))] == []
