"""A person logs in and finds the Danish administration menu (R-0.1, SPEC §1)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.factories import PASSWORD
from tests.web.test_auth_and_admin import MENU_DA
from webapp.models import Role


def test_r_0_1_administrator_logs_in_and_sees_the_menu(live_server, page, reference_data,
                                                        create_job_centre, create_user,
                                                        create_room):
    job_centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                                   child_team="Ungeindsatsen")
    create_room(job_centre, name="Mødelokale 1", capacity=6)
    admin = create_user(Role.ADMINISTRATOR, job_centre, name="Anne Administrator")

    page.goto(f"{live_server}/admin/")
    assert page.url.startswith(f"{live_server}/login")
    screenshot(page, "login")
    page.get_by_label("Brugernavn").fill(admin.username)
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind").click()
    assert page.get_by_role("alert").inner_text() == "Forkert brugernavn eller adgangskode."

    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server}/admin/caseworker/")
    menu = [label.strip() for label in page.locator("#admin-menu > li > a").all_inner_texts()]
    assert menu[1:1 + len(MENU_DA)] == MENU_DA
    screenshot(page, "admin-index")

    page.locator("#admin-menu").get_by_role("link", name="Mødelokaler").click()
    expect(page.get_by_role("cell", name="Mødelokale 1")).to_be_visible()
    screenshot(page, "admin-rooms")

    page.locator("#admin-menu").get_by_role("link", name="Teams").click()
    screenshot(page, "admin-teams")
    expect(page.get_by_role("cell", name="Ungeindsatsen")).to_be_visible()
