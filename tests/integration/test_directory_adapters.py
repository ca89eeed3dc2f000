"""The caseworker directory is chosen by PLANNER_DIRECTORY: file, http or none (R-1.2.1)."""

from __future__ import annotations

import http.server
import json
import logging
import threading

import pytest

from webapp.administration import caseworkers as caseworker_service
from webapp.administration.directory import DirectoryUnavailable, HttpDirectory, get_directory
from webapp.config import ConfigurationError, check_environment
from webapp.domain.directory import FileDirectory
from webapp.domain.errors import DomainError

PERSON = {"email": "mette.lund@kommune.dk", "name": "Mette Lund", "rid": "12345678",
          "phone": "+4520304050", "initials": "ML", "certificate_valid": True}


@pytest.fixture
def directory_server():
    """A local directory service: knows Mette, answers 404 for others, and misbehaves on cue."""
    asked: list[dict] = []
    mode = {"answer": "normal"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append({"path": self.path, "body": body})
            if mode["answer"] == "error":
                self.send_response(500)
                self.end_headers()
                return
            if mode["answer"] == "garbage":
                payload = b"<html>not json</html>"
            elif body["email"] == PERSON["email"]:
                payload = json.dumps(PERSON).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/lookup", asked, mode
    finally:
        server.shutdown()
        server.server_close()


def test_the_file_directory_is_the_default_R_1_2_1(app):
    """R-1.2.1: without a choice the demo's file-backed directory answers."""
    assert app.config["PLANNER_DIRECTORY"] == "file"
    with app.app_context():
        assert isinstance(get_directory(), FileDirectory)


def test_the_http_directory_is_asked_by_post_and_read_R_1_2_1(app, monkeypatch, directory_server):
    """R-1.2.1: PLANNER_DIRECTORY=http asks the service at PLANNER_DIRECTORY_URL; the address is
    sent in the body (never in a URL); a known person is read, an unknown one is "not found"."""
    url, asked, _mode = directory_server
    monkeypatch.setitem(app.config, "PLANNER_DIRECTORY", "http")
    monkeypatch.setitem(app.config, "PLANNER_DIRECTORY_URL", url)
    with app.app_context():
        directory = get_directory()
        assert isinstance(directory, HttpDirectory)
        entry = caseworker_service.look_up(directory, " Mette.Lund@kommune.dk ")
        assert (entry.name, entry.rid, entry.initials, entry.phone) == ("Mette Lund", "12345678", "ML",
                                                                        "+4520304050")
        assert asked[-1] == {"path": "/lookup", "body": {"email": "mette.lund@kommune.dk"}}
        with pytest.raises(DomainError) as caught:
            caseworker_service.look_up(directory, "ukendt@kommune.dk")
        assert caught.value.code == "not_in_directory"


@pytest.mark.parametrize("answer", ["error", "garbage"])
def test_a_directory_that_cannot_answer_says_so_and_is_not_unknown_R_1_2_1(app, monkeypatch,
                                                                          directory_server, answer):
    """R-1.2.1: a server error or an answer that is no person reads "AM-portalen svarer ikke",
    in Danish and English, not "not in the directory"."""
    url, _asked, mode = directory_server
    mode["answer"] = answer
    with pytest.raises(DirectoryUnavailable) as caught:
        caseworker_service.look_up(HttpDirectory(url), PERSON["email"])
    assert caught.value.message_da.startswith("AM-portalen svarer ikke lige nu")
    assert "does not answer" in caught.value.message_en


def test_no_directory_refuses_new_caseworkers_with_a_clear_message_R_1_2_1(app, monkeypatch):
    """R-1.2.1: PLANNER_DIRECTORY=none: the look-up says there is no directory, in both languages."""
    monkeypatch.setitem(app.config, "PLANNER_DIRECTORY", "none")
    with app.app_context():
        assert get_directory() is None
        with pytest.raises(DomainError) as caught:
            caseworker_service.look_up(get_directory(), PERSON["email"])
    assert caught.value.code == "no_directory" and caught.value.field == "email"
    assert "ingen forbindelse til AM-portalen" in caught.value.message_da
    assert "not available" in caught.value.message_en


def test_the_http_directory_without_an_address_does_not_start_R_1_2_1():
    with pytest.raises(ConfigurationError, match="PLANNER_DIRECTORY_URL"):
        check_environment({"PLANNER_DIRECTORY": "http", "PLANNER_DIRECTORY_URL": " "},
                          logging.getLogger("test"))


def test_the_admin_says_so_when_there_is_no_directory_R_1_2_1(client, app, monkeypatch, reference_data,
                                                              create_job_centre, create_user):
    """R-1.2.1: creating a caseworker with PLANNER_DIRECTORY=none shows the Danish message on the
    e-mail field, never a 500."""
    from sqlalchemy import func, select

    from tests.factories import login
    from tests.web.admin_support import field_errors, post, week_data
    from webapp.extensions import db
    from webapp.models import Caseworker, Role

    monkeypatch.setitem(app.config, "PLANNER_DIRECTORY", "none")
    job_centre = create_job_centre()
    login(client, create_user(Role.ADMINISTRATOR, job_centre))
    status, page = post(client, "/admin/caseworker/new/", {
        "email": PERSON["email"], "name": "", "initials": "ML", "rid": "12345678",
        "sync_mode": "one_way", "teams": [job_centre.teams[0].id], **week_data()})
    assert status == 200
    assert any("ingen forbindelse til AM-portalen" in e for e in field_errors(page, "email"))
    assert db.session.scalar(select(func.count(Caseworker.id))) == 0
