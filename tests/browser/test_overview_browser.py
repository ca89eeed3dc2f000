"""The overview (Oversigt) on the demo job centre in headless Chromium: three charts with their
tables, a team chosen with the select and "Vis", and no serious accessibility violation (R-6.10).

The screenshot docs/screenshots/overview.png comes from this walk (PLANNER_SCREENSHOT_DIR).
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from seed.demo import DEMO_PASSWORD, build_demo
from tests.browser.conftest import screenshot
from tests.browser.test_portal_browser import assert_accessible
from webapp.extensions import db
from webapp.models import Team

TODAY = date(2027, 3, 3)  # a Wednesday in week 9


def test_r_6_10_overview_charts_tables_team_choice_and_axe(live_server, page, monkeypatch):
    """R-6.10: the administrator opens Oversigt from the admin's front page, sees capacity, the
    waiting list and the past weeks as charts with tables, chooses a team; axe finds nothing
    serious or critical on either page."""
    build_demo(random_seed=2027, today=TODAY)
    db.session.commit()
    monkeypatch.setattr("webapp.caseworker.overview.today_local", lambda: TODAY)

    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill("admin")
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/admin/")
    page.click("#overview-link")
    page.wait_for_url(re.compile(r"/caseworker/oversigt$"))

    assert page.locator("h1").inner_text() == "Oversigt: Jobcenter Aarhus Demo"
    charts = page.locator("svg.chart[role=img]")
    assert charts.count() == 3
    assert page.locator("#chart-capacity-title").text_content().startswith(
        "Kapacitet og booket tid pr. uge, uge 9 til uge 16")
    capacity = page.locator("#table-capacity tbody tr")
    assert capacity.count() == 8
    first_week = capacity.nth(0).locator("td")
    assert first_week.nth(0).inner_text() not in ("0,0", "")  # the demo's caseworkers work
    assert first_week.nth(1).inner_text() != "0,0"  # and have meetings this week
    assert int(page.locator("#table-waiting tfoot tr").nth(0).locator("td").inner_text()) > 0
    assert page.locator("#table-bookings tbody tr").count() == 8
    assert_accessible(page, "overview")
    screenshot(page, "overview")

    team = db.session.scalar(select(Team).where(Team.name == "Ungeindsatsen"))
    page.select_option("#overview-team", str(team.id))
    with page.expect_navigation():
        page.click("#overview-show")
    assert f"team={team.id}" in page.url
    assert page.locator("h1").inner_text() == "Oversigt: Ungeindsatsen"
    assert page.locator("#overview-team").input_value() == str(team.id)
    assert_accessible(page, "overview, team")
