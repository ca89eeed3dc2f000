"""A live server in a thread and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.language import assert_danish
from tests.conftest import _config
from webapp import create_app
from webapp.extensions import db

CHROMIUM = os.environ.get("PLANNER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"]
SCREENSHOTS = Path(os.environ.get("PLANNER_SCREENSHOT_DIR", "test-results/screenshots"))
# What a walk expects to see after a click may take a while on a busy machine (the suite runs on
# every core): wait up to 15 s, as the walks' pages do, instead of Playwright's 5 s.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app, database_url: str) -> Iterator[str]:
    """The app served on 127.0.0.1 on a free port, on the test's database."""
    server_app = create_app(_config(database_url) | {"WTF_CSRF_ENABLED": True})
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


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# The requests each page has under way, for `screenshot`'s wait.
_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def track_requests(page):  # type: ignore[no-untyped-def]
    """Keep count of the page's requests under way, so `screenshot` knows when it is quiet."""
    pending: set = set()
    # Playwright wants Python functions as listeners, not a set's built-in methods.
    page.on("request", lambda request: pending.add(request))
    page.on("requestfinished", lambda request: pending.discard(request))
    page.on("requestfailed", lambda request: pending.discard(request))
    _PENDING[page] = pending
    return page


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="da-DK")
    page = track_requests(context.new_page())
    yield page
    context.close()


def _wait_until_quiet(page, settle: float = 0.15, timeout: float = 15.0) -> None:
    """Until no request has been under way for `settle` seconds (a calendar's events, an icon font).

    Playwright's "networkidle" waits for half a second of quiet after every page; the walks take
    dozens of screenshots, and that wait was a third of their time.
    """
    pending = _PENDING.get(page)
    if pending is None:
        page.wait_for_load_state("networkidle")
        return
    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if pending:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle:
            return
        page.wait_for_timeout(25)  # lets Playwright deliver the request events meanwhile


def screenshot(page, name: str, *, full_page: bool = True, danish: bool = True) -> Path:
    """The page as a PNG (`full_page=False` for the window only, a phone's screen say); a Danish
    page is checked for English (R-8.3)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("document.fonts.ready")  # icon fonts load after the page
    _wait_until_quiet(page)
    if danish:
        assert_danish(page)
    page.screenshot(path=str(path), full_page=full_page)
    return path
