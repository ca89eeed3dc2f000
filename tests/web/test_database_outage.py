"""A database that cannot be reached: 503 with a Danish page or JSON body, then recovery on its own (R-7.9)."""

from __future__ import annotations

import selectors
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.conftest import PG_URL, _config
from webapp import create_app
from webapp.errors import DatabaseUnavailable
from webapp.extensions import db

TOKEN = "x" * 43
FEED = f"/caseworker/feed/{TOKEN}.ics"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _outage_app(url: str) -> Flask:
    # As in production: the pool checks a connection before lending it out.
    return create_app(_config(url) | {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}})


@pytest.fixture
def outage_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'no such directory' / 'planner.sqlite3'}"
    else:
        url = f"postgresql+psycopg://planner:planner@127.0.0.1:{_free_port()}/planner?connect_timeout=3"
    app = _outage_app(url)
    yield app
    with app.app_context():
        db.engine.dispose()


def _assert_json_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    body = response.get_json()
    assert body["code"] == "database_unavailable"
    assert body["message_da"].startswith("Tjenesten er midlertidigt utilgængelig")
    assert body["message_en"].startswith("The service is temporarily unavailable")


def _assert_page_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="da">' in page
    assert "Tjenesten er midlertidigt utilgængelig" in page
    assert "Traceback" not in page and "sqlite" not in page.lower() and "psycopg" not in page


@pytest.mark.parametrize("outage_app", ["sqlite", "postgresql"], indirect=True)
def test_R_7_9_while_the_database_is_unreachable_every_request_gets_503(outage_app):
    client = outage_app.test_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    health = client.get("/health")
    _assert_json_503(health)
    assert health.get_json()["status"] == "unavailable"
    _assert_page_503(client.get(FEED))
    _assert_page_503(client.post("/login", data={"username": "anna", "password": "secret 42"}))
    _assert_json_503(client.get("/api/v1/offers", headers=bearer))
    _assert_json_503(client.post("/integration/v1/appointments", headers=bearer,
                                 json={"appointment_id": "KSS-1", "action": "cancel"}))
    # Twice in a row: the first failure leaves nothing behind that turns the next into a 500.
    _assert_page_503(client.get(FEED))


@pytest.mark.fresh_app  # adds a route
def test_R_7_9_a_statement_error_is_a_bug_not_an_outage(app):
    """A missing table is a 500 as before; only connection-level errors become 503."""
    @app.get("/broken")
    def broken() -> str:
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/broken")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("SELECT * FROM no_such_table"))
    db.session.rollback()
    assert not isinstance(caught.value, DatabaseUnavailable)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_R_7_9_a_statement_timeout_on_postgresql_is_not_an_outage(app):
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text("SET LOCAL statement_timeout = 10"))
        db.session.execute(text("SELECT pg_sleep(1)"))
    db.session.rollback()
    assert caught.value.orig.sqlstate == "57014"
    assert not isinstance(caught.value, DatabaseUnavailable)


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite file appears; PostgreSQL has its own test")
def test_R_7_9_sqlite_recovers_by_itself_when_the_database_file_appears(database_url, tmp_path):
    path = tmp_path / "later" / "planner.sqlite3"
    app = _outage_app(f"sqlite:///{path}")
    client = app.test_client()
    _assert_json_503(client.get("/health"))
    _assert_page_503(client.get(FEED))

    path.parent.mkdir()
    shutil.copyfile(make_url(database_url).database, path)
    assert client.get("/health").get_json() == {"status": "ok"}
    assert client.get(FEED).status_code == 404          # asked the database: no such feed
    with app.app_context():
        db.engine.dispose()


class _Proxy:
    """A TCP port in front of PostgreSQL that can be closed and opened, like a restart."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = _free_port()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        self._stop.clear()
        listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets.append(listener)
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a database restart does."""
        self._stop.set()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._sockets, self._threads = [], []

    def _accept(self, listener: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not selector.select(timeout=0.05):
                    continue
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                upstream = socket.create_connection(self.target)
                self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_R_7_9_postgresql_recovers_by_itself_after_a_restart(database_url):
    real = make_url(database_url)
    proxy = _Proxy(real.host or "127.0.0.1", real.port or 5432)
    app = _outage_app(real.set(host="127.0.0.1", port=proxy.port)
                      .render_as_string(hide_password=False))
    client = app.test_client()
    try:
        _assert_json_503(client.get("/health"))           # not up yet
        proxy.start()
        assert client.get("/health").get_json() == {"status": "ok"}
        assert client.get(FEED).status_code == 404        # the pool now holds a connection
        proxy.stop()                                      # the database goes away ...
        _assert_page_503(client.get(FEED))
        _assert_json_503(client.get("/health"))
        proxy.start()                                     # ... and comes back
        assert client.get("/health").get_json() == {"status": "ok"}
        assert client.get(FEED).status_code == 404
    finally:
        proxy.stop()
        with app.app_context():
            db.engine.dispose()
