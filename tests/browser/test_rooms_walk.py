"""Rooms and "why is this time not free?" in headless Chromium: move to another room, the room calendar, the reasons (R-6.5, R-6.8)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select

from tests.browser.conftest import screenshot
from tests.workspace_setup import PASSWORD, at, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import Booking, BusyTime, Letter, LetterActivity


def test_caseworker_moves_a_meeting_to_another_room_and_asks_why_a_time_is_not_free(
        app, reference_data, live_server, page):
    ws = build_workspace()
    today = now_local().date()
    day = today + timedelta(days=7 - today.weekday() + 7)       # a Monday in a week or two
    data = replace(from_template(ws.templates["fixed"], today=today), cprs=[ws.citizens[0].cpr],
                   starts_at=at(day, 9))
    booking = create_callins(data, now=now_local(), actor=ws.user).bookings[0]
    other = create_callins(replace(data, cprs=[ws.citizens[1].cpr], starts_at=at(day, 10),
                                   caseworker_ids=[ws.bo.id]), now=now_local(), actor=ws.user).bookings[0]
    db.session.add(BusyTime(caseworker_id=ws.anna.id, starts_at=at(day, 12), ends_at=at(day, 13),
                            source_uid="walk-1", summary="Tandlæge"))
    db.session.commit()

    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill(ws.user.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/caseworker/$"))

    # Move the meeting to the small room, same time and caseworker.
    page.goto(f"{live_server}/caseworker/bookings/{booking.id}")
    listed = page.inner_text("ul.proposals")
    assert "mandag" in listed or "tirsdag" in listed or "fredag" in listed
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri)\b", listed)
    page.check("input[name=proposal][value=custom]")
    page.select_option("#room_id", str(ws.small_room.id))
    page.click("form[action$='/move'] button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "Lille rum" in page.inner_text(".flash-success")
    db.session.expire_all()
    moved = db.session.get(Booking, booking.id)
    assert (moved.room_id, moved.starts_at) == (ws.small_room.id, at(day, 9))
    assert db.session.scalar(select(func.count()).select_from(Letter).where(
        Letter.booking_id == booking.id, Letter.activity == LetterActivity.UPDATE)) == 1
    screenshot(page, "move-confirm")

    # Moving it again to where it now is changes nothing and says so.
    page.check("input[name=proposal][value=custom]")
    page.click("form[action$='/move'] button[type=submit]")
    page.wait_for_selector(".flash-error")
    assert "der er ikke sendt noget brev" in page.inner_text(".flash-error")

    # The room calendar: one column per room, the meeting in its new room.
    page.goto(f"{live_server}/caseworker/rooms?team={ws.team.id}&date={day.isoformat()}&view=day")
    page.wait_for_selector("#room-calendar")
    headers = page.locator("#room-calendar thead th[data-room]").all_inner_texts()
    assert [h.split(" (")[0] for h in headers] == ["Lille rum", "Mødelokale 1"]
    cell = page.locator(f"td[data-room='{ws.small_room.id}'][data-at='{at(day, 9).isoformat()}']")
    assert f"nr. {booking.id}" in cell.inner_text()
    other_cell = page.locator(f"td[data-room='{ws.room.id}'][data-at='{at(day, 10).isoformat()}']")
    assert f"nr. {other.id}" in other_cell.inner_text()
    screenshot(page, "room-calendar")

    # Why is Anna not free at 12:15 that day? Click the time in her calendar.
    page.goto(f"{live_server}/caseworker/?caseworker={ws.anna.id}&date={day.isoformat()}")
    page.wait_for_selector(".fc-timegrid")
    lane = page.locator("td.fc-timegrid-slot-lane[data-time='12:15:00']")
    lane.scroll_into_view_if_needed()
    column = page.locator(f"th.fc-col-header-cell[data-date='{day.isoformat()}']").bounding_box()
    row = lane.bounding_box()
    page.mouse.click(column["x"] + column["width"] / 2, row["y"] + row["height"] / 2)
    page.wait_for_selector("#why-panel:not([hidden]) li")
    reasons = page.locator("#why-panel li").all_inner_texts()
    assert reasons == ["Anna Andersen holder pause 12:00–12:30.",
                       f"Anna Andersen er optaget i egen kalender {day:%d.%m.%Y} 12:00–13:00."]
    assert "Tiden er ikke ledig" in page.inner_text("#why-panel h2")
    page.locator("#why-panel").scroll_into_view_if_needed()
    screenshot(page, "why-not-free")
