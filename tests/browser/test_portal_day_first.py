"""R-8.6 on a phone (375×812): a day first, then a time, with "Reservér tiden" in reach; a booked
meeting's "Føj til kalender" and map link; the job centre's contact where nothing can be changed
online or booked. axe-core on every one of these pages; screenshots for docs/screenshots."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, track_requests
from tests.browser.test_portal_browser import assert_accessible
from webapp.clock import now_local
from webapp.extensions import db

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "da-DK"}
# This busy week at 375×812 when every day's times were on one page, measured on the layout
# before: 165 time buttons (a start every 15 minutes), 3,714 px; the day-first page is
# 33 buttons and 1,429 px. It must stay under half the old height.
BUSY_WEEK_HEIGHT_BEFORE = 3714
ENGLISH_DATES = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Monday|Tuesday|Wednesday|Thursday|"
                           r"Friday|January|February|March|April|June|July|August|September|"
                           r"October|November|December)\b")


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = track_requests(context.new_page())
    yield page
    context.close()


def _danish(page, name: str) -> None:
    """The page a citizen reads in Danish has no English weekday or month name."""
    found = ENGLISH_DATES.findall(page.inner_text("body"))
    assert not found, f"{name}: {found}"


def _check(page, name: str, *, full_page: bool = False) -> None:
    assert_accessible(page, name)
    _danish(page, name)
    screenshot(page, name, full_page=full_page)


def _next_weekday(day, weekday: int):
    day += timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def _log_in(page, live_server: str, cpr: str) -> None:
    page.goto(f"{live_server}/portal/login")
    page.get_by_label("CPR-nummer").fill(cpr)
    page.get_by_label("Kode").fill("1234")
    page.get_by_label("Kode").press("Enter")
    page.wait_for_url(f"{live_server}/portal/")


def test_r_8_6_citizen_chooses_a_day_then_a_time_on_a_phone(
        live_server, phone, reference_data, create_job_centre, create_caseworker, create_citizen,
        create_offer, create_booking):
    """R-8.6: a busy week (one caseworker, 7:30–16:00, a start every 15 minutes: 165 times) is a
    strip of days with their counts and one day's times; the page is under half the old height, the
    action stays on the screen, a day is chosen by keyboard; the booked meeting downloads as .ics
    and links its address to a map; a called-in meeting and "no offers" name the contact."""
    centre = create_job_centre("Jobcenter Aarhus", root_team="Aarhus Jobcenter",
                               child_team="Ungeindsatsen")
    team = next(t for t in centre.teams if t.parent_id is not None)
    team.address, team.postal_code, team.city = "Værkmestergade 25", "8000", "Aarhus C"
    team.parent.phone, team.parent.email = "+4589401000", "jobcenter@aarhus.dk"
    anna = create_caseworker(centre, teams=[team], name="Anna Andersen")
    create_offer([anna], name="Book en jobsamtale", rolling_end_weeks=3,
                 description="En samtale om din jobsøgning og dine ønsker.")
    create_citizen(centre, cpr="0101054000", name="Bente Borger", email="bente@example.dk")
    carl = create_citizen(centre, cpr="0101054001", name="Carl Borger")
    db.session.commit()
    page = phone

    # A day first, then a time.
    _log_in(page, live_server, "010105-4000")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Book en samtale").click()
    page.get_by_role("link", name="Book en jobsamtale").click()
    days = page.get_by_role("navigation", name="Vælg en dag")
    expect(days).to_be_visible()
    counts = [int(m) for m in re.findall(r"(\d+) ledige? tid", days.inner_text())]
    assert counts and page.get_by_role("radio").count() == counts[0]
    tops = {round(b["y"]) for b in (days.get_by_role("listitem").nth(i).bounding_box()
                                     for i in range(days.get_by_role("listitem").count()))}
    assert len(tops) == 1, f"the week's days take {len(tops)} rows at 375 px"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < BUSY_WEEK_HEIGHT_BEFORE / 2, f"the day-first page is {height} px high"
    _check(page, "portal-day-first")

    # Another day, chosen by keyboard (a plain link: works without script too).
    day_links = days.get_by_role("link")
    second = day_links.nth(1) if day_links.count() > 1 else day_links.first
    second.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"day=\d{4}-\d\d-\d\d"))
    chosen = re.search(r"day=(\d{4}-\d\d-\d\d)", page.url).group(1)
    expect(days.locator('[aria-current="date"]')).to_have_attribute("href", re.compile(chosen))
    radios = page.get_by_role("radio")
    assert all(re.match(chosen, radios.nth(i).get_attribute("value"))
               for i in range(radios.count()))
    radios.nth(radios.count() - 1).check()            # the last time of the day: at the bottom
    button = page.get_by_role("button", name="Reservér tiden")
    box = button.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 812, box
    _check(page, "portal-day-first-time-chosen")
    button.click()
    page.get_by_role("button", name="Bekræft booking").click()
    expect(page.get_by_role("status").first).to_contain_text("Din samtale er booket")

    # The booked meeting: add to calendar, the map link.
    with page.expect_download() as download:
        page.get_by_role("link", name="Føj til kalender").click()
    assert re.fullmatch(r"samtale-\d+\.ics", download.value.suggested_filename)
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert "BEGIN:VEVENT" in body and "0101054000" not in body
    map_link = page.get_by_role("link", name=re.compile("Se adressen på et kort"))
    assert map_link.get_attribute("href").startswith("https://www.openstreetmap.org/search?query=V")
    _check(page, "portal-meeting-calendar-and-map", full_page=True)

    # A called-in meeting that cannot be changed online names the job centre's contact.
    start = datetime.combine(_next_weekday(now_local().date(), 2), time(10, 0))
    called = create_booking([anna], start, citizens=[carl], now=now_local())
    db.session.commit()
    page.get_by_role("button", name="Log ud").click()
    _log_in(page, live_server, "010105-4001")
    page.goto(f"{live_server}/portal/meetings/{called.id}")
    contact = page.get_by_role("region", name="Kontakt jobcentret")
    expect(contact).to_contain_text("Samtalen kan ikke ændres online")
    expect(contact.get_by_role("link", name="+45 89 40 10 00")).to_have_attribute("href", "tel:+4589401000")
    expect(contact.get_by_role("link", name="jobcenter@aarhus.dk")).to_be_visible()
    _check(page, "portal-called-in-contact", full_page=True)

    # No offers: the next step is to contact the job centre.
    from webapp.models import OnlineOffer
    for offer in db.session.scalars(db.select(OnlineOffer)):
        offer.active = False
    db.session.commit()
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Book en samtale").click()
    expect(page.get_by_text("Der er ingen tilbud, du kan booke lige nu.")).to_be_visible()
    expect(page.get_by_role("region", name="Kontakt jobcentret")).to_contain_text("+45 89 40 10 00")
    _check(page, "portal-no-offers")


def test_r_8_6_day_then_time_works_without_script(
        browser, live_server, reference_data, create_job_centre, create_caseworker, create_citizen,
        create_offer):
    """R-8.6: with JavaScript off, a day is a link and a time a radio button: the citizen still
    chooses a day, a time and reserves it."""
    centre = create_job_centre()
    team = next(t for t in centre.teams if t.parent_id is not None)
    anna = create_caseworker(centre, teams=[team])
    offer = create_offer([anna], name="Book en jobsamtale")
    create_citizen(centre, cpr="0101054000", name="Bente Borger")
    db.session.commit()
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in(page, live_server, "010105-4000")
        page.goto(f"{live_server}/portal/offers/{offer.id}")
        days = page.get_by_role("navigation", name="Vælg en dag").get_by_role("link")
        days.nth(days.count() - 1).click()
        page.wait_for_url(re.compile(r"day=(\d{4}-\d\d-\d\d)"))
        chosen = re.search(r"day=(\d{4}-\d\d-\d\d)", page.url).group(1)
        page.get_by_role("radio").first.check()
        assert page.get_by_role("radio").first.get_attribute("value").startswith(chosen)
        page.get_by_role("button", name="Reservér tiden").click()
        expect(page.get_by_role("heading", name="Bekræft din booking")).to_be_visible()
    finally:
        context.close()
