"""The planning page's nightly time per job centre and the About page's scheduler state, in a browser (R-3.2, R-1.10.1)."""

from __future__ import annotations

import re

from tests.browser.conftest import screenshot
from tests.workspace_setup import PASSWORD, build_workspace
from webapp.extensions import db
from webapp.models import JobCentre


def test_an_administrator_sets_the_nightly_time_and_sees_the_scheduler_state_R_3_2(live_server, page, app,
                                                                                  reference_data):
    ws = build_workspace()
    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill(ws.admin.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/caseworker/|/admin/"))
    page.goto(f"{live_server}/admin/planning/")
    field = page.get_by_label(re.compile("Tidspunkt for natlig planlægning"))
    field.fill("1:45")
    page.get_by_role("button", name="Gem tidspunkt").click()
    page.wait_for_selector(".alert-success")
    assert "planlægges hver nat kl. 01:45." in page.inner_text(".alert-success")
    assert "Planlægges hver nat kl. 01:45" in page.inner_text("#planning-run")
    screenshot(page, "admin-planning-nightly-time")
    db.session.expire_all()
    assert db.session.get(JobCentre, ws.job_centre.id).allocation_time == "01:45"
    page.goto(f"{live_server}/admin/about/")
    assert "Planlæggeren er ikke startet" in page.inner_text("#scheduler-status")
