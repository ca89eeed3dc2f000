"""A citizen books, rebooks and cancels on a phone; the caseworker's calendar follows; axe-core
finds no serious or critical accessibility violation on any portal page (§4, R-4.7, R-4.5)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, track_requests
from tests.factories import PASSWORD
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import Role, User

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "da-DK"}


def assert_accessible(page, name: str) -> None:
    """axe-core (vendored npm package, injected from the file): no serious/critical violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {json.dumps(bad, ensure_ascii=False)}"


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = track_requests(context.new_page())
    yield page
    context.close()


@pytest.fixture
def staff_calendar(browser, live_server):
    """The caseworker's calendar feed, read as the caseworker would (logged in)."""
    context = browser.new_context()

    def events(username: str, caseworker_id: int, day) -> list[dict]:
        page = context.new_page()
        if not context.cookies():
            page.goto(f"{live_server}/login")
            page.get_by_label("Brugernavn").fill(username)
            page.get_by_label("Adgangskode").fill(PASSWORD)
            page.get_by_role("button", name="Log ind").click()
            page.wait_for_load_state()
        response = context.request.get(
            f"{live_server}/caseworker/events?caseworker={caseworker_id}"
            f"&start={day.isoformat()}&end={(day + timedelta(days=7)).isoformat()}")
        page.close()
        assert response.status == 200, response.text()[:300]
        return [e for e in response.json() if "booking" in e.get("classNames", [])]

    yield events
    context.close()


def test_r_4_7_citizen_books_rebooks_and_cancels_on_a_phone(
        live_server, phone, staff_calendar, reference_data, create_job_centre, create_caseworker,
        create_citizen, create_offer, create_user):
    """R-4.7, R-4.5, R-4.9: book (reserve + confirm), rebook, cancel as a citizen on a
    phone-sized screen; each change shows in the caseworker's calendar; every page passes axe."""
    centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                               child_team="Ungeindsatsen")
    team = next(t for t in centre.teams if t.parent_id is not None)
    team.address, team.postal_code, team.city = "Værkmestergade 25", "8000", "Aarhus C"
    anna = create_caseworker(centre, teams=[team], name="Anna Andersen")
    user = create_user(Role.CASEWORKER, centre, name="Anna Andersen")
    db.session.get(User, user.id).caseworker_id = anna.id
    create_offer([anna], name="Book en jobsamtale", rolling_end_weeks=3,
                 description="En samtale om dit jobsøgning og dine ønsker.",
                 citizen_chooses_caseworker=True, rebooking_until_days=0)
    create_citizen(centre, cpr="0101054000", name="Bente Borger", email="bente@example.dk")
    db.session.commit()
    page = phone

    page.goto(f"{live_server}/portal/login")
    assert_accessible(page, "login")
    screenshot(page, "portal-login")
    page.get_by_label("CPR-nummer").fill("010105-4000")
    page.get_by_label("Kode").fill("1234")
    page.get_by_label("Kode").press("Enter")                       # keyboard only
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name="Hej Bente Borger")).to_be_visible()
    assert_accessible(page, "home-empty")

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Book en samtale").click()
    assert_accessible(page, "offers")
    screenshot(page, "portal-offers")
    page.get_by_role("link", name="Book en jobsamtale").click()
    expect(page.get_by_label("Vejleder")).to_be_visible()
    assert_accessible(page, "slots")
    screenshot(page, "portal-slots", full_page=False)  # the phone's screen: the action stays in it
    first_time = page.get_by_role("radio").first
    first_time.focus()
    page.keyboard.press("Space")
    assert first_time.is_checked()
    page.get_by_role("button", name="Reservér tiden").click()
    expect(page.get_by_role("heading", name="Bekræft din booking")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Tiden er holdt til dig til kl.")
    assert_accessible(page, "confirm")
    screenshot(page, "portal-confirm")
    page.get_by_role("button", name="Bekræft booking").click()
    expect(page.get_by_role("status").first).to_contain_text("Din samtale er booket")
    assert_accessible(page, "meeting")
    screenshot(page, "portal-meeting")
    booking_id = int(page.url.rsplit("/", 1)[1])

    today = now_local().date()
    events = staff_calendar(user.username, anna.id, today)
    booked = next(e for e in events if e["id"] == str(booking_id))
    first_start = booked["start"]

    page.get_by_role("link", name="Ombook").click()
    assert_accessible(page, "rebook")
    screenshot(page, "portal-rebook", full_page=False)
    page.get_by_role("radio").nth(3).check()
    page.get_by_role("button", name="Flyt til den valgte tid").click()
    expect(page.get_by_role("status").first).to_contain_text("Din samtale er flyttet")
    moved = next(e for e in staff_calendar(user.username, anna.id, today)
                 if e["id"] == str(booking_id))
    assert moved["start"] != first_start

    page.get_by_role("link", name="Aflys samtalen").click()
    assert_accessible(page, "cancel")
    screenshot(page, "portal-cancel")
    page.get_by_label("Begrundelse (frivillig)").fill("Jeg har fået arbejde")
    page.get_by_role("button", name="Ja, aflys samtalen").click()
    page.wait_for_url(f"{live_server}/portal/")
    expect(page.get_by_role("status").first).to_contain_text("Du har meldt afbud")
    expect(page.get_by_text("Du har ingen kommende samtaler.")).to_be_visible()
    assert_accessible(page, "home-after")
    screenshot(page, "portal-home")
    assert str(booking_id) not in {e["id"] for e in staff_calendar(user.username, anna.id, today)}
