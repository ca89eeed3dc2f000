"""axe-core on every staff screen of the administration (R-8.2), and the admin's layout at
desktop and phone size (R-8.4): on the demo job centre, as its administrator and as support.

The pages are enumerated from the Flask-Admin app's views, so a view added later is checked
without touching this file: each view's list, its create form and the edit form of its first
row, every tab of a tabbed form shown in turn. The walk fails on any critical or serious
violation, naming the page, the rule and the first nodes.

With PLANNER_SCREENSHOT_DIR=docs/screenshots the layout test refreshes the phone-sized
(375×812) and 1366-wide screenshots of the staff screens the docs show.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from flask_admin.model import BaseModelView
from sqlalchemy import select

from seed.demo import DEMO_PASSWORD, build_demo
from tests.browser.conftest import screenshot, track_requests
from webapp.admin.base import PlannerModelView
from webapp.extensions import db
from webapp.models import Caseworker, Team

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TODAY = date(2027, 3, 3)  # a Wednesday: the demo's meetings lie around it
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "da-DK"}


def admin_views() -> list:
    """Every view of the administration, in the menu's order (the index first)."""
    (admin,) = current_app.extensions["admin"]
    return list(admin._views)


def axe_violations(page, within: list[str] | None = None) -> list[dict]:
    """The critical and serious violations axe-core finds on the page as it is shown now, or only
    in the parts `within` (CSS selectors) when the rest was checked already."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async within => await axe.run(within ? {include: within.map(s => [s])} : document,"
        " {resultTypes: ['violations']})", within)
    return [{"rule": v["id"], "impact": v["impact"], "count": len(v["nodes"]),
             "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


class Walk:
    """Opens pages in one logged-in tab and collects what axe finds on each."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base = page, base
        self.found: dict[str, list[dict]] = {}
        self.checked: list[str] = []
        self.role = ""

    def login(self, username: str) -> None:
        self.role = username
        self.page.goto(f"{self.base}/login")
        self.page.get_by_label("Brugernavn").fill(username)
        self.page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log ind").click()

    def logout(self) -> None:
        self.page.goto(f"{self.base}/admin/")
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log ud").click()

    def open(self, path: str) -> int:
        response = self.page.goto(self.base + path if path.startswith("/") else path)
        return response.status if response is not None else 0

    def check(self, name: str, within: list[str] | None = None) -> None:
        name = f"{self.role}: {name}"
        self.checked.append(name)
        bad = axe_violations(self.page, within)
        if bad:
            self.found[name] = bad

    def check_with_tabs(self, name: str) -> None:
        """The form as it opens, then each of its tabs shown (tab markup and hidden panes)."""
        self.check(name)
        tabs = self.page.locator("[role=tab]")
        for index in range(1, tabs.count()):
            tab = tabs.nth(index)
            label = tab.inner_text().strip()
            tab.click()
            pane = f"#{tab.get_attribute('aria-controls')}"
            self.page.wait_for_selector(f"{pane}.active.show", state="visible")
            # Shown in full, not halfway through a transition (contrast is measured on it).
            self.page.wait_for_function(
                "sel => getComputedStyle(document.querySelector(sel)).opacity === '1'", arg=pane)
            # The rest of the page was checked with the first tab; the tabs and the pane shown now.
            self.check(f"{name} [{label}]", within=["[role=tablist]", pane])

    def view(self, view, done: set[str]) -> None:
        """A view's pages: its list, create form and first row's edit form (model views), or its page."""
        url = view.url.rstrip("/") + "/"
        if not isinstance(view, BaseModelView):
            if view.endpoint not in done and self.open(url) == 200:
                done.add(view.endpoint)
                self.check(f"{view.endpoint}: {url}")
            return
        if self.open(url) != 200:
            return  # not this role's view: the other role's walk checks it
        if f"{view.endpoint}.list" not in done:
            done.add(f"{view.endpoint}.list")
            self.check(f"{view.endpoint} list")
        create = self.page.locator(f"a[href^='{url}new/']").first
        edit = self.page.locator(f"a[href^='{url}edit/']").first
        create_href = create.get_attribute("href") if create.count() else None
        edit_href = edit.get_attribute("href") if edit.count() else None
        for kind, href in (("create", create_href), ("edit", edit_href)):
            if href and f"{view.endpoint}.{kind}" not in done and self.open(href) == 200:
                done.add(f"{view.endpoint}.{kind}")
                self.check_with_tabs(f"{view.endpoint} {kind}")

    def report(self) -> str:
        return "\n".join(f"{name}: {json.dumps(bad, ensure_ascii=False)}" for name, bad in self.found.items())


def _support_form_differs(view) -> bool:
    return (isinstance(view, PlannerModelView)
            and type(view)._support_form is not PlannerModelView._support_form)


@pytest.fixture
def demo(monkeypatch):
    build_demo(random_seed=2027, today=TODAY)
    db.session.commit()
    for where in ("webapp.caseworker.overview.today_local", "webapp.admin.views.today_local"):
        monkeypatch.setattr(where, lambda: TODAY, raising=False)


def test_r_8_2_axe_finds_nothing_serious_on_any_admin_list_or_form(live_server, page, demo):
    """R-8.2: every admin list, create and edit form (each tab shown) and the admin's own pages,
    as the administrator and then as support for the views and forms only support has; also the
    workspace calendars the admin links to (caseworker and team). No critical or serious axe-core
    violation on any of them."""
    walk = Walk(page, live_server)
    views = admin_views()
    done: set[str] = set()
    walk.login("admin")
    for view in views:
        walk.view(view, done)
    caseworker = db.session.scalar(select(Caseworker).order_by(Caseworker.id))
    team = db.session.scalar(select(Team).where(Team.name == "Unge Nord"))
    for kind, subject in (("caseworker", caseworker), ("team", team)):
        walk.open(f"/caseworker/?{kind}={subject.id}&date={TODAY.isoformat()}")
        # A caseworker's week is fetched after the page; a team's is drawn on the server.
        selector = "#calendar .fc-bg-event.free" if kind == "caseworker" else "#team-grid .tg-bg.free"
        page.wait_for_selector(selector, state="attached")
        walk.check(f"workspace {kind} calendar")
    walk.logout()
    walk.login("support")
    # Forms that support gets with more fields (a user's job centre and role) are checked again.
    done -= {f"{view.endpoint}.{kind}" for view in views if _support_form_differs(view)
             for kind in ("create", "edit")}
    for view in views:
        walk.view(view, done)

    expected = {f"{v.endpoint}.list" for v in views if isinstance(v, BaseModelView)}
    assert expected <= done, f"lists never opened: {sorted(expected - done)}"
    assert {"caseworker.create", "caseworker.edit", "room.edit", "callintemplate.edit",
            "variant.edit", "jobcentre.create", "user.create"} <= done
    assert any("[" in name for name in walk.checked), "no tab of a tabbed form was shown"
    assert "support: user create" in walk.checked
    assert not walk.found, f"axe-core on {len(walk.found)} of {len(walk.checked)} pages:\n{walk.report()}"


OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def overflowing(walk: Walk) -> dict[str, int]:
    """The admin's pages (each view's list or page) wider than the window, with the pixels too many."""
    wide = {}
    for view in admin_views():
        url = view.url.rstrip("/") + "/"
        if walk.open(url) == 200:
            extra = walk.page.evaluate(OVERFLOW)
            if extra > 0:
                wide[url] = extra
    return wide


def test_r_8_4_admin_fits_1366_and_a_phone_with_a_folding_menu(live_server, page, browser, demo):
    """R-8.4: at 1366 px no admin page widens the window (wide tables scroll in their own box); an
    empty list says what belongs in it and links the form; on a phone (375×812) the menu folds
    behind a "Menu" button that opens and closes it, and every admin page fits the width.
    Screenshots of both sizes for the docs."""
    walk = Walk(page, live_server)
    walk.login("admin")
    assert overflowing(walk) == {}, "pages wider than 1366 px"
    walk.open("/admin/booking/")
    screenshot(page, "admin-bookings-1366", full_page=False)
    walk.open("/admin/caseworker/")
    screenshot(page, "admin-caseworkers-1366", full_page=False)
    walk.open("/admin/absence/")  # the demo registers no absence
    empty = page.locator("#empty-list")
    assert empty.inner_text().strip() == "Intet fravær registreret. Registrér et fravær."
    assert empty.get_by_role("link", name="Registrér et fravær.").get_attribute("href").startswith("/admin/absence/new/")
    screenshot(page, "admin-empty-list", full_page=False)

    context = browser.new_context(**PHONE)
    try:
        phone = track_requests(context.new_page())
        small = Walk(phone, live_server)
        small.login("admin")
        small.open("/admin/caseworker/")
        toggle = phone.get_by_role("button", name="Menu")
        menu = phone.locator("#planner-menu")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not menu.is_visible()
        assert phone.evaluate(OVERFLOW) <= 0
        screenshot(phone, "admin-phone-caseworkers", full_page=False)
        toggle.click()
        phone.wait_for_selector("#planner-menu.collapse.show", state="visible")
        phone.wait_for_function("() => !document.querySelector('#planner-menu.collapsing')")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert phone.locator("#admin-menu").get_by_role("link", name="Mødelokaler").is_visible()
        screenshot(phone, "admin-phone-menu", full_page=False)
        toggle.click()
        phone.wait_for_selector("#planner-menu", state="hidden")
        edit = phone.locator("a[href^='/admin/caseworker/edit/']").first.get_attribute("href")
        small.open(edit)
        assert phone.evaluate(OVERFLOW) <= 0
        screenshot(phone, "admin-phone-caseworker-form", full_page=False)
        small.open("/admin/booking/")
        screenshot(phone, "admin-phone-bookings", full_page=False)
        assert overflowing(small) == {}, "pages wider than a phone"
    finally:
        context.close()
