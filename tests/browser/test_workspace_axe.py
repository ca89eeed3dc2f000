"""Every page of the workspace on the demo job centre, at desktop size and on a 375 × 812 phone:
axe-core finds no critical or serious violation, and the pages fit the phone (R-8.5, R-8.2).

The screenshots docs/screenshots/workspace-*.png come from this walk (PLANNER_SCREENSHOT_DIR).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from seed.demo import DEMO_PASSWORD, build_demo
from tests.browser.conftest import screenshot, track_requests
from tests.browser.test_portal_browser import assert_accessible
from webapp.administration.teams import active_members
from webapp.extensions import db
from webapp.models import (Absence, Booking, BookingStatus, CallIn, CallInStatus, Caseworker,
                           JobCentre, LogLevel, SystemLogEntry, User)
from webapp.planning.status import LOG_CATEGORY

TODAY = date(2027, 3, 3)  # a Wednesday of the demo's busy weeks
NOW = datetime.combine(TODAY, time(8))
# The pages docs/screenshots keeps, at each size (every page is checked, these are also kept).
DESKTOP_SHOTS = {"calendar", "team-calendar", "team-calendar-day", "plan-now", "plan-now-result",
                 "waiting-list"}
PHONE_SHOTS = {"calendar", "team-calendar", "callin-form", "waiting-list", "plan-now"}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "da-DK"}


@pytest.fixture
def demo(app, monkeypatch):
    build_demo(random_seed=2027, today=TODAY)
    job_centre = db.session.scalar(select(JobCentre).where(JobCentre.name == "Jobcenter Aarhus Demo"))
    user = db.session.scalar(select(User).where(User.username == "ash"))
    caseworker = db.session.get(Caseworker, user.caseworker_id)
    team = sorted(caseworker.teams, key=lambda t: t.name)[0]
    booking = db.session.scalars(select(Booking).where(
        Booking.job_centre_id == job_centre.id, Booking.status == BookingStatus.BOOKED,
        Booking.team_id == team.id, Booking.starts_at > NOW).order_by(Booking.starts_at)).first()
    callin = db.session.scalars(select(CallIn).where(
        CallIn.job_centre_id == job_centre.id, CallIn.status == CallInStatus.WAITING,
        CallIn.team_id == team.id)).first()
    absence = db.session.scalars(select(Absence).where(Absence.job_centre_id == job_centre.id)).first()
    # A run of Plan now, as the result page reads it: the figures and the meetings it booked.
    placed = db.session.scalars(select(Booking.id).where(
        Booking.job_centre_id == job_centre.id, Booking.status == BookingStatus.BOOKED,
        Booking.starts_at > NOW).order_by(Booking.starts_at).limit(6)).all()
    run = SystemLogEntry(occurred_at=NOW, level=LogLevel.INFO, category=LOG_CATEGORY,
                         message="Planlægning", job_centre_id=job_centre.id,
                         figures={"job_centre": job_centre.name, "trigger": "manual", "waiting": 9,
                                  "placed": len(placed), "joined": 0, "unplaced": 9 - len(placed),
                                  "unplaced_by_reason": {"Ingen ledig tid før fristen": 9 - len(placed)},
                                  "booking_ids": list(placed)})
    db.session.add(run)
    db.session.commit()
    for module in ("routes", "rooms", "waiting", "absences", "planning"):
        if hasattr(__import__(f"webapp.caseworker.{module}", fromlist=["x"]), "now_local"):
            monkeypatch.setattr(f"webapp.caseworker.{module}.now_local", lambda: NOW)
    for module in ("routes", "rooms", "waiting", "absences", "overview"):
        if hasattr(__import__(f"webapp.caseworker.{module}", fromlist=["x"]), "today_local"):
            monkeypatch.setattr(f"webapp.caseworker.{module}.today_local", lambda: TODAY)
    return {"team": team, "booking": booking, "callin": callin, "absence": absence, "run": run,
            "caseworker": caseworker}


def _pages(demo) -> list[tuple[str, str, str | None]]:
    """(name, address, a selector the page shows when it is ready)."""
    team = demo["team"].id
    day = TODAY.isoformat()
    pages = [
        # Ready when the week's events are in and the arrows' icons are quiet.
        ("calendar", f"/caseworker/?date={day}", ".fc-bg-event.free >> nth=0"),
        ("team-calendar", f"/caseworker/?team={team}&date={day}", "#team-grid"),
        ("team-calendar-day", f"/caseworker/?team={team}&date={day}&view=day", "#team-grid"),
        ("rooms", f"/caseworker/rooms?team={team}&date={day}", None),
        ("callin-form", "/caseworker/callins/new", "#callin-form"),
        ("waiting-list", "/caseworker/waiting", "table.list"),
        ("plan-now", "/caseworker/plan-now", "#plan-scope"),
        ("plan-now-result", f"/caseworker/plan-now/{demo['run'].id}", "#plan-result-bookings"),
        ("booking", f"/caseworker/bookings/{demo['booking'].id}", None),
        ("citizens", "/caseworker/citizens", None),
        ("absences", "/caseworker/absences", None),
        ("overview", "/caseworker/oversigt", "svg.chart"),
    ]
    if demo["callin"] is not None:
        pages.append(("callin-edit", f"/caseworker/callins/{demo['callin'].id}/edit", None))
    if demo["absence"] is not None:
        pages.append(("absence", f"/caseworker/absences/{demo['absence'].id}", None))
    return pages


def _log_in(page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill("ash")
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/caseworker/"))


def _open(page, live_server: str, address: str, ready: str | None) -> None:
    response = page.goto(f"{live_server}{address}")
    assert response is not None and response.status == 200, address
    if ready:
        page.wait_for_selector(ready)


def _page_overflow(page) -> int:
    """How many pixels the page itself is wider than the phone's 375 (a wide table scrolls in
    its own box). Not innerWidth: a mobile browser widens its layout to a too wide page."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["viewport"]["width"]


def test_every_workspace_page_passes_axe_at_desktop_size_R_8_5_R_8_2(live_server, page, demo):
    """R-8.5, R-8.2: each workspace page, and the call-in form with its errors and the cancel
    question, has no critical or serious axe-core violation at 1366 px."""
    _log_in(page, live_server)
    for name, address, ready in _pages(demo):
        _open(page, live_server, address, ready)
        assert_accessible(page, name)
        if name in DESKTOP_SHOTS:
            screenshot(page, f"workspace-{name}")

    # The call-in form with everything wrong: the summary and each field's message pass too.
    _open(page, live_server, "/caseworker/callins/new", "#callin-form")
    page.fill("#duration_minutes", "")
    page.click("#submit-callin")
    page.wait_for_selector("#error-summary")
    assert page.locator("#callin-form p.error").count() >= 3
    assert_accessible(page, "callin-form-errors")
    screenshot(page, "workspace-callin-form-errors")

    # The cancel question of a meeting.
    _open(page, live_server, f"/caseworker/bookings/{demo['booking'].id}", None)
    page.fill("#reason", "Vejlederen er syg")
    page.click("form[action$='/cancel'] button[type=submit]")
    page.wait_for_selector("#cancel-confirm")
    assert_accessible(page, "cancel-confirm")


def test_workspace_selects_change_nothing_until_vis_R_8_5(live_server, page, demo):
    """R-8.5: choosing a team in the calendar's select loads nothing; "Vis" does."""
    _log_in(page, live_server)
    _open(page, live_server, f"/caseworker/?date={TODAY.isoformat()}", ".fc-timegrid")
    before = page.url
    page.select_option("#calendar-subject", f"team-{demo['team'].id}")
    page.wait_for_timeout(300)  # a reload, if one were coming, would have begun
    assert page.url == before and page.locator(".fc-timegrid").count() == 1
    with page.expect_navigation():
        page.click("#calendar-show")
    page.wait_for_selector("#team-grid")
    assert f"team={demo['team'].id}" in page.url


def test_call_in_form_script_follows_team_distribution_and_meeting_form_R_8_5(live_server, page, demo):
    """R-8.5: in the browser, changing the team shows that team's caseworkers only, "Fast
    tidspunkt" appears with a fixed time, and the group box with a group meeting, ticked."""
    _log_in(page, live_server)
    _open(page, live_server, "/caseworker/callins/new", "#callin-form")
    team = demo["team"]
    page.select_option("#team_id", str(team.id))
    shown = page.locator("#caseworker_ids label[data-teams]:visible")
    names = {text.strip() for text in shown.all_inner_texts()}
    assert names == {cw.name for cw in active_members([team.id])}
    assert not page.is_visible("#starts_at")
    page.select_option("#distribution", "fixed_time")
    assert page.is_visible("#starts_at") and not page.is_visible("#earliest_date")
    assert not page.is_visible("#more_sessions")
    page.select_option("#meeting_form", "group")
    assert page.is_visible("#more_sessions") and page.is_checked("#more_sessions")
    page.select_option("#meeting_form", "individual")
    assert not page.is_visible("#more_sessions") and not page.is_checked("#more_sessions")


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = track_requests(context.new_page())
    yield page
    context.close()


def test_every_workspace_page_passes_axe_and_fits_a_phone_R_8_5_R_8_2(live_server, phone, demo):
    """R-8.5, R-8.2: at 375 × 812 each workspace page passes axe-core and is no wider than the
    screen; the team's week scrolls sideways in its own box with the times kept in view, and the
    caseworker's own calendar shows one day."""
    _log_in(phone, live_server)
    too_wide = {}
    for name, address, ready in _pages(demo):
        _open(phone, live_server, address, ready)
        assert_accessible(phone, f"{name} (phone)")
        if _page_overflow(phone) > 1:
            too_wide[name] = (_page_overflow(phone), phone.evaluate(
                """() => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > 376)
                     .slice(0, 3).map(e => e.tagName + '.' + e.className + '#' + e.id)"""))
        if name in PHONE_SHOTS:
            screenshot(phone, f"workspace-{name}-phone")
    assert not too_wide, f"wider than the phone (px): {too_wide}"

    _open(phone, live_server, f"/caseworker/?date={TODAY.isoformat()}", ".fc-timegrid")
    assert phone.locator(".fc-timeGridDay-view").count() == 1  # one day at a time

    _open(phone, live_server, f"/caseworker/?team={demo['team'].id}&date={TODAY.isoformat()}", "#team-grid")
    box = phone.locator(".team-grid-wrap")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    times_before = phone.locator("tbody th.tg-time").bounding_box()
    box.evaluate("el => { el.scrollLeft = 600; }")
    phone.wait_for_function("document.querySelector('.team-grid-wrap').scrollLeft > 0")
    times_after = phone.locator("tbody th.tg-time").bounding_box()
    assert abs(times_after["x"] - times_before["x"]) < 1  # sticky: the times stay in view
    screenshot(phone, "workspace-team-calendar-phone-scrolled")
