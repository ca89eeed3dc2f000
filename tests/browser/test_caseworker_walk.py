"""A caseworker's day in headless Chromium: call in, plan now, calendar, move, cancel, letter (R-3.1, R-3.5, R-5.1, R-1.9.1)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from webapp.messaging.delivery import send_due
from tests.browser.conftest import screenshot
from tests.integration.test_outbox_smtp import SmtpServer, free_port
from tests.workspace_setup import PASSWORD, build_workspace
from webapp.clock import now_local
from webapp.extensions import db
from webapp.models import (AuditEntry, AuditEvent, Booking, BookingStatus, CallIn, CallInStatus)


@pytest.fixture
def smtp(app):
    server = SmtpServer(free_port())
    server.start()
    app.config.update(PLANNER_SMTP_HOST="127.0.0.1", PLANNER_SMTP_PORT=server.port,
                      PLANNER_SMTP_FROM="planlaegger@test.dk", PLANNER_SMTP_TIMEOUT=5)
    yield server
    server.stop()


def _bookings() -> list[Booking]:
    db.session.expire_all()
    return list(db.session.scalars(select(Booking).order_by(Booking.starts_at)))


def test_caseworker_calls_in_plans_moves_cancels_and_downloads_the_letter(
        app, reference_data, live_server, page, smtp):
    """R-3.1, R-3.2, R-3.5, R-1.9.1, R-5.1, §1.8: the whole walk, checked in the browser and the database."""
    ws = build_workspace()
    template = ws.templates["auto"]
    template.earliest_after_days = 1
    db.session.commit()

    # Log in.
    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill(ws.user.username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(re.compile(r"/caseworker/$"))  # a caseworker starts in the calendar
    page.wait_for_selector(".fc-timegrid")

    # Call in three citizens with the automatic template.
    page.click("text=Ny indkaldelse")
    page.select_option("#template", str(template.id))
    page.click("#use-template")  # choosing alone reloads nothing
    page.wait_for_url(re.compile(r"template=\d+"))
    assert page.input_value("#duration_minutes") == "30"
    assert page.input_value("#distribution") == "automatic"
    page.fill("#cprs", "\n".join(c.cpr[:6] + "-" + c.cpr[6:] for c in ws.citizens[:3]))
    screenshot(page, "caseworker-callin-form")
    page.click("#submit-callin")
    page.wait_for_url(re.compile(r"/caseworker/waiting"))
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 3
    assert "Borger 1" in rows.nth(0).inner_text()
    screenshot(page, "caseworker-waiting-list")

    # Plan now: it asks first and says it plans the whole job centre; nothing runs yet.
    page.click("#plan-now")
    page.wait_for_url(re.compile(r"/caseworker/plan-now$"))
    assert "hele Jobcenter Testby" in page.inner_text("#plan-scope")
    assert page.inner_text("#plan-scope-total") == "3"
    assert _bookings() == []
    screenshot(page, "caseworker-plan-now-confirm")
    page.click("#plan-now-confirm")
    # The result page: the figures and a link to each meeting booked.
    page.wait_for_url(re.compile(r"/caseworker/plan-now/\d+$"))
    bookings = _bookings()
    assert len(bookings) == 3, page.inner_text("main")
    assert {c.status for c in db.session.scalars(select(CallIn))} == {CallInStatus.PLACED}
    assert page.inner_text("#plan-result-summary") == "3 af 3 ventende indkaldelser blev placeret."
    links = page.locator("#plan-result-bookings a")
    assert sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))")) == sorted(
        f"/caseworker/bookings/{b.id}" for b in bookings)
    screenshot(page, "caseworker-plan-now-result")

    # The team's week calendar shows them, each in its caseworker's column.
    first_day = bookings[0].starts_at.date()
    page.goto(f"{live_server}/caseworker/?team={ws.team.id}&date={first_day.isoformat()}")
    shown = page.locator("#team-grid .tg-block.booking")
    in_week = [b for b in bookings if b.starts_at.isocalendar()[:2] == first_day.isocalendar()[:2]]
    assert shown.count() == len(in_week)
    for booking in in_week:
        cell = page.locator(f"#team-grid td[data-day='{booking.starts_at.date().isoformat()}']"
                            f"[data-caseworker='{booking.caseworkers[0].id}']")
        assert cell.locator(f"a[data-booking='{booking.id}']").count() == 1
    assert page.locator("#team-grid .tg-bg.free").count() > 0
    screenshot(page, "caseworker-team-calendar")

    # Move one to a time the planner proposes.
    moved = bookings[0]
    page.goto(f"{live_server}/caseworker/bookings/{moved.id}")
    proposal = page.locator("input[name=proposal]").first
    new_start = proposal.get_attribute("value").split("|")[0]
    proposal.check()
    page.click("form[action$='/move'] button[type=submit]")
    page.wait_for_selector(".flash-success")
    db.session.expire_all()
    moved = db.session.get(Booking, moved.id)
    assert moved.starts_at.isoformat(timespec="minutes") == new_start[:16]
    screenshot(page, "caseworker-booking-moved")

    # Cancel another, with a reason, and download its cancellation letter.
    cancelled = bookings[1]
    page.goto(f"{live_server}/caseworker/bookings/{cancelled.id}")
    page.fill("#reason", "Vejlederen er på kursus")
    page.click("form[action$='/cancel'] button[type=submit]")
    # Cancelling asks first: nothing has happened until it is confirmed.
    page.wait_for_selector("#cancel-confirm")
    db.session.expire_all()
    assert db.session.get(Booking, cancelled.id).status == BookingStatus.BOOKED
    page.get_by_role("button", name="Ja, aflys samtalen").click()
    page.wait_for_selector(".flash-success")
    db.session.expire_all()
    assert db.session.get(Booking, cancelled.id).status == BookingStatus.CANCELLED
    screenshot(page, "caseworker-booking-cancelled")
    # The letter opens in the browser: shown inline, not saved as a download.
    href = page.get_attribute("a.letter-link[data-activity=cancellation]", "href")
    response = page.request.get(f"{live_server}{href}")
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.body().startswith(b"%PDF-")

    # The audit trail has the job centre's events.
    events = {e.event for e in db.session.scalars(select(AuditEntry))}
    assert {AuditEvent.CALL_IN_CREATED, AuditEvent.BOOKING_CREATED, AuditEvent.CASEWORKER_ATTACHED,
            AuditEvent.CITIZEN_ATTACHED, AuditEvent.BOOKING_DETAILS_VIEWED,
            AuditEvent.BOOKING_BEING_MOVED_BY_JOB_CENTRE, AuditEvent.BOOKING_MOVED_BY_JOB_CENTRE,
            AuditEvent.BOOKING_CANCELLED_BY_JOB_CENTRE} <= events

    # The mail job delivers invitations, the update and the cancellation to the test SMTP server.
    report = send_due(now_local())
    assert not report.server_down and report.failed == []
    calendars = []
    for message in smtp.inbox.messages:
        mail = message_from_bytes(message.as_bytes(), policy=policy.default)
        for part in mail.iter_attachments():
            if part.get_content_type() == "text/calendar":
                calendars.append((mail["To"], part.get_param("method"), part.get_content()))
    methods = [method for _to, method, _body in calendars]
    assert methods.count("REQUEST") >= 4  # three new meetings + the move
    assert methods.count("CANCEL") == 1
    cancel_body = next(body for _to, method, body in calendars if method == "CANCEL")
    cancel_body = cancel_body.decode() if isinstance(cancel_body, bytes) else cancel_body
    assert f"samtale-{cancelled.id}@" in cancel_body
    letters = [m for m in smtp.inbox.messages if m["Subject"] == "Din samtale er aflyst"]
    assert len(letters) <= 1  # Borger 2 has no e-mail: only the others get letters by mail
