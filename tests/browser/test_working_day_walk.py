"""A job centre's working day in headless Chromium: a citizen new to the planner called in by CPR
number, found, opened, the call-in edited and withdrawn, and a caseworker's login made and used
(R-6.1, R-6.2, R-6.3)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.workspace_setup import CPRS, PASSWORD, build_workspace
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, CallIn, CallInStatus, Citizen, User

REGISTER = Path(__file__).resolve().parents[2] / "seed" / "data" / "citizens.json"
NEW_PASSWORD = "grøn kaffe om morgenen 7"


def _newcomer() -> dict:
    """A person of the citizen register who is neither in the demo data nor in the workspace:
    the demo takes the register's first people, so the last one."""
    people = json.loads(REGISTER.read_text(encoding="utf-8"))["citizens"]
    person = people[-1]
    assert person["cpr"] not in CPRS
    return person


def _log_in(page, live_server: str, username: str, password: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()


def _log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(re.compile(r"/login$"))


def _no_raw_codes(page) -> None:
    """What the user reads is Danish words, not the stored codes."""
    text = page.inner_text("body")
    for code in ("callin_not_waiting", "cancellation", "no_rule", "no_email", "waiting", "None"):
        assert not re.search(rf"\b{code}\b", text), code


def test_working_day_new_citizen_callin_edit_withdraw_and_a_new_login(
        app, reference_data, live_server, page):
    ws = build_workspace()
    person = _newcomer()
    cpr_typed = f"{person['cpr'][:6]}-{person['cpr'][6:]}"
    template = ws.templates["auto"]
    template.earliest_after_days = 1
    db.session.commit()

    # A caseworker calls in a citizen the planner does not know yet: the register gives them.
    _log_in(page, live_server, ws.user.username, PASSWORD)
    page.wait_for_url(re.compile(r"/caseworker/$"))
    page.click("text=Ny indkaldelse")
    page.select_option("#template", str(template.id))
    page.click("#use-template")  # choosing alone reloads nothing
    page.wait_for_url(re.compile(r"template=\d+"))
    page.fill("#cprs", cpr_typed)
    screenshot(page, "working-day-1-callin-new-citizen")
    page.click("#submit-callin")
    page.wait_for_url(re.compile(r"/caseworker/waiting"))
    assert person["name"] in page.inner_text("table.list")
    citizen = db.session.scalar(select(Citizen).where(Citizen.cpr == person["cpr"]))
    assert citizen is not None and citizen.name == person["name"]
    assert citizen.job_centre_id == ws.job_centre.id
    assert person["cpr"] not in page.url

    # Find them under Borgere by CPR number: a POST, so the number stays out of the address.
    page.get_by_role("link", name="Borgere").click()
    page.fill("#query", cpr_typed)
    page.get_by_role("button", name="Søg").click()
    page.wait_for_selector("table.list")
    assert person["cpr"] not in page.url
    assert f"{person['cpr'][:6]}-****" in page.inner_text("table.list")
    screenshot(page, "working-day-2-citizen-found")
    page.get_by_role("link", name=person["name"]).click()
    page.wait_for_url(re.compile(rf"/caseworker/citizens/{citizen.id}$"))
    assert "Ventende indkaldelser" in page.inner_text("main")
    _no_raw_codes(page)
    screenshot(page, "working-day-3-citizen-page")
    opened = db.session.scalars(select(AuditEntry).where(
        AuditEntry.event == AuditEvent.CITIZEN_CARD_VIEWED, AuditEntry.citizen_id == citizen.id)).all()
    assert opened, "opening the citizen's page is audited"

    # Edit the waiting call-in: a higher priority and a later deadline.
    callin = db.session.scalar(select(CallIn).where(CallIn.citizen_id == citizen.id))
    page.click("a.edit-callin")
    page.wait_for_url(re.compile(rf"/caseworker/callins/{callin.id}/edit$"))
    new_deadline = (callin.deadline_date + timedelta(days=7)).isoformat()
    page.fill("#priority", "7")
    page.fill("#deadline_date", new_deadline)
    screenshot(page, "working-day-4-callin-edit")
    page.click("#save-callin")
    page.wait_for_url(re.compile(r"/caseworker/waiting"))
    assert "er rettet: frist, prioritet" in page.inner_text(".flash-success")
    db.session.expire_all()
    callin = db.session.get(CallIn, callin.id)
    assert callin.priority == 7 and callin.deadline_date.isoformat() == new_deadline

    # Withdraw it with a reason; the page says whether the citizen was told by letter.
    page.check(f"input[name=callin_ids][value='{callin.id}']")
    page.select_option("#action", "withdraw")
    page.fill("input[name=reason]", "Borgeren er startet i job")
    page.click("#apply-action")
    page.wait_for_selector(".flash-success")
    said = page.inner_text(".flash-success")
    assert "trukket tilbage" in said and person["name"] in said
    assert "ingen e-mailadresse" in said  # the register has no address for this person
    _no_raw_codes(page)
    screenshot(page, "working-day-5-callin-withdrawn")
    db.session.expire_all()
    assert db.session.get(CallIn, callin.id).status == CallInStatus.CANCELLED
    _log_out(page)

    # The administrator makes a login for a caseworker who has none yet; the link is shown once.
    _log_in(page, live_server, ws.admin.username, PASSWORD)
    page.goto(f"{live_server}/admin/user/new/")
    assert page.input_value("#role") == "caseworker"
    page.fill("#username", "carl.clausen")
    page.fill("#name", ws.carl.name)
    page.fill("#email", "carl.clausen@testby.dk")
    # Flask-Admin shows the choice with select2, which hides the select itself.
    page.select_option("#caseworker", label=ws.carl.name, force=True)
    screenshot(page, "working-day-6-new-login-form")
    page.locator("input[type=submit]").first.click()
    page.wait_for_selector("#password-link")
    link = page.input_value("#password-link")
    assert "/password/" in link
    screenshot(page, "working-day-7-new-login-link")
    _log_out(page)

    # The caseworker chooses a password with the link and logs in with it.
    page.goto(link)
    page.get_by_label("Ny adgangskode").fill(NEW_PASSWORD)
    page.get_by_label("Gentag den nye adgangskode").fill(NEW_PASSWORD)
    screenshot(page, "working-day-8-choose-password")
    page.get_by_role("button", name="Gem adgangskode").click()
    page.wait_for_url(re.compile(r"/login"))
    _log_in(page, live_server, "carl.clausen", NEW_PASSWORD)
    page.wait_for_url(re.compile(r"/caseworker/$"))
    page.wait_for_selector(".fc-timegrid")  # his own calendar
    assert f"Kalender: {ws.carl.name}" in page.inner_text("main")
    screenshot(page, "working-day-9-new-caseworker-logged-in")
    user = db.session.scalar(select(User).where(User.username == "carl.clausen"))
    assert user.job_centre_id == ws.job_centre.id and user.caseworker_id == ws.carl.id
    assert user.password_link_hash is None
