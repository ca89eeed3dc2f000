"""An administrator registers a caseworker's sickness and re-plans the meetings it hits, in headless Chromium (R-6.4)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, time, timedelta

from sqlalchemy import select

from tests.browser.conftest import screenshot
from tests.workspace_setup import PASSWORD, build_workspace
from webapp.callins.calling import create_callins, from_template
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import Booking, Letter, LetterActivity, OutboxMessage

# A meeting moved to another time gets the move letter, one kept at its time with another
# caseworker the update letter.
CHANGED = (LetterActivity.MOVE, LetterActivity.UPDATE)


def _working_day_ahead(days: int):
    day = now_local().date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def test_register_absence_dry_run_confirm_and_see_the_letters_R_6_4(app, reference_data, live_server, page):
    """R-6.4: register, see the hit meetings, Genplanlæg (dry run), confirm, moved meetings and letters."""
    ws = build_workspace()
    day = _working_day_ahead(3)
    now = now_local()
    booked = []
    for i, hour in enumerate((9, 10, 11)):
        data = replace(from_template(ws.templates["fixed"], today=now.date()),
                       cprs=[ws.citizens[i].cpr], starts_at=datetime.combine(day, time(hour)),
                       room_id=None)
        booked.append(create_callins(data, now=now, actor=ws.user).bookings[0])
    db.session.commit()
    ids = [b.id for b in booked]

    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill(ws.admin.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state("networkidle")

    # Register Anna's sickness for the day of her meetings.
    page.goto(f"{live_server}/caseworker/absences")
    page.select_option("#caseworker_id", str(ws.anna.id))
    page.select_option("#kind", "sickness")
    page.fill("#first_day", day.isoformat())
    page.fill("#last_day", day.isoformat())
    page.fill("#note", "Ringede syg")
    screenshot(page, "absence-register")
    page.get_by_role("button", name="Registrér fravær").click()
    page.wait_for_url(re.compile(r"/caseworker/absences/\d+$"))
    assert "Fraværet er registreret." in page.content()
    hit = page.locator(".hit-meetings li")
    assert hit.count() == 3
    screenshot(page, "absence-hit-meetings")

    # The dry run changes nothing.
    page.click("#replan")
    page.wait_for_selector("#dry-run")
    assert page.inner_text("#dry-run .summary") == "3 flyttes, 0 tilbage på afventerlisten"
    assert page.locator("#dry-run table.moves tbody tr").count() == 3
    screenshot(page, "absence-dry-run")
    db.session.expire_all()
    assert db.session.scalar(select(Letter.id).where(Letter.activity.in_(CHANGED))) is None

    # Confirm: moved through the booking writer, with the letters.
    page.click("#confirm")
    page.wait_for_selector("#done")
    assert "Genplanlagt: 3 flyttes, 0 tilbage på afventerlisten." in page.content()
    assert page.locator("#done .moved li").count() == 3
    screenshot(page, "absence-replanned")
    db.session.expire_all()
    for booking in db.session.scalars(select(Booking).where(Booking.id.in_(ids))):
        assert booking.starts_at.date() == day
        assert ws.anna.id not in [link.caseworker_id for link in booking.caseworker_links]
    moved_letters = db.session.scalars(select(Letter).where(Letter.activity.in_(CHANGED))).all()
    assert sorted(letter.booking_id for letter in moved_letters) == sorted(ids)

    # Anna's calendar shows the absence as a labelled block, her meetings gone.
    page.goto(f"{live_server}/caseworker/?caseworker={ws.anna.id}&date={day.isoformat()}")
    page.wait_for_selector(".absence-label")
    assert "Fravær: Sygdom" in page.inner_text("#calendar")
    screenshot(page, "absence-calendar")

    # The letters are in the outbox.
    page.goto(f"{live_server}/admin/outbox/")
    page.wait_for_load_state("networkidle")
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert any("flyttet" in (m.subject or "").lower() for m in outbox)
    assert "flyttet" in page.content().lower()
    screenshot(page, "absence-outbox")

    # A moved meeting's page has its letter, the move or the update letter.
    page.goto(f"{live_server}/caseworker/bookings/{ids[0]}")
    assert page.locator(".letter-link[data-activity='move'], "
                        ".letter-link[data-activity='update']").count() == 1
    screenshot(page, "absence-moved-meeting")
