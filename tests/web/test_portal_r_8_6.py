"""R-8.6 in the portal: a day first, then a time; "add to calendar" and a map link for a booked
meeting; the job centre's contact where a change cannot be made online or nothing can be booked."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests.booking_origins import (ROOT_EMAIL, ROOT_PHONE, ROOT_PHONE_SHOWN, contact_on_the_root,
                                   make_booking)
from tests.timehelpers import NOW as NOW_PORTAL
from tests.web import test_portal as portal_pages
from tests.workspace_setup import NOW as WS_NOW
from tests.workspace_setup import build_workspace
from webapp.config import Config, Setting
from webapp.extensions import db
from webapp.models import AuditEntry, AuditEvent, Booking

# The portal pages' fixtures: a job centre with an offer and a citizen, the clock frozen.
portal, frozen, citizen_login = portal_pages.portal, portal_pages.frozen, portal_pages.citizen_login


def _times(page: str) -> list[str]:
    return re.findall(r'name="slot" value="([^"]+)"', page)


def _book(client, offer_id: int, slot: str = "2027-03-01T09:00:00") -> Booking:
    held = client.post(f"/portal/offers/{offer_id}/reserve", data={"slot": slot})
    client.post(held.headers["Location"] + "/confirm")
    return db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()


# ---------------------------------------------------------------------------
# 1. A day first, then a time
# ---------------------------------------------------------------------------

def test_r_8_6_offer_page_shows_the_days_then_only_the_chosen_days_times(client, portal):
    """R-8.6: the week's days are links with their count of free times; the form holds the first
    day's times only, and ?day= (a plain GET link, no script) shows that day's."""
    citizen_login(client)
    offer_id = portal["offer"].id
    page = client.get(f"/portal/offers/{offer_id}?week=2027-03-01").get_data(as_text=True)
    times = _times(page)
    assert times and all(t.startswith("2027-03-01T") for t in times)
    assert 'aria-label="Vælg en dag"' in page
    assert f'href="/portal/offers/{offer_id}?day=2027-03-02#times"' in page
    assert f"{len(times)} ledige tider" in page
    assert page.index('name="slot"') < page.index("Reservér tiden")   # the action under the times

    tuesday = client.get(f"/portal/offers/{offer_id}?day=2027-03-02").get_data(as_text=True)
    assert _times(tuesday) and all(t.startswith("2027-03-02T") for t in _times(tuesday))
    assert re.search(r'day=2027-03-02#times"\s+aria-current="date"', tuesday)
    assert "Tirsdag 2. marts 2027" in tuesday
    assert 'name="day" value="2027-03-02"' in tuesday


@pytest.mark.parametrize("day", ["2027-13-45", "x", "2027-03-06", "0001-01-01", "2027-03-01'--"])
def test_r_8_6_a_bad_or_empty_day_falls_back_to_the_first_day_with_times(client, portal, day):
    """R-8.6, R-7.4: an unreadable day, a day without times or one far away is no error: the
    page shows the first day with free times."""
    citizen_login(client)
    response = client.get(f"/portal/offers/{portal['offer'].id}", query_string={"day": day})
    assert response.status_code == 200
    times = _times(response.get_data(as_text=True))
    assert times and len({t[:10] for t in times}) == 1


def test_r_8_6_a_day_in_a_week_without_times_points_to_the_first_free_time(client, portal):
    """R-8.6: a day far from the offer's times says so and links to the first free time."""
    citizen_login(client)
    page = client.get(f"/portal/offers/{portal['offer'].id}?day=1999-06-01").get_data(as_text=True)
    assert "Ingen ledige tider i denne uge." in page and "Første ledige tid er" in page
    assert not _times(page)


def test_r_8_6_a_taken_time_sends_the_citizen_back_to_the_same_day(client, portal, create_booking):
    """R-8.6, R-4.4: after "taken, choose another" the citizen is on the day she chose."""
    citizen_login(client)
    create_booking([portal["anna"]], datetime(2027, 3, 2, 10, 0), now=NOW_PORTAL)
    response = client.post(f"/portal/offers/{portal['offer'].id}/reserve",
                           data={"slot": "2027-03-02T10:00:00", "week": "2027-03-01",
                                 "day": "2027-03-02"})
    assert "day=2027-03-02" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tiden er desværre taget. Vælg en anden." in page
    assert all(t.startswith("2027-03-02T") for t in _times(page))


def test_r_8_6_rebooking_page_chooses_a_day_first(client, portal):
    """R-8.6: the rebooking page has the same day strip and the chosen day's times."""
    citizen_login(client)
    booking = _book(client, portal["offer"].id)
    page = client.get(f"/portal/meetings/{booking.id}/rebook?day=2027-03-03").get_data(as_text=True)
    assert _times(page) and all(t.startswith("2027-03-03T") for t in _times(page))
    assert f'href="/portal/meetings/{booking.id}/rebook?day=2027-03-04#times"' in page


# ---------------------------------------------------------------------------
# 2. Add to calendar (.ics) and the map link
# ---------------------------------------------------------------------------

def test_r_8_6_add_to_calendar_gives_the_citizens_own_meeting_as_ics(client, portal):
    """R-8.6: "Føj til kalender" is an .ics file of the meeting (UTC times, the place, no CPR
    number, no caseworker address); fetching it is a read of the meeting and is audited."""
    team = portal["team"]
    team.address, team.postal_code, team.city = "Værkmestergade 25", "8000", "Aarhus C"
    db.session.commit()
    citizen_login(client)
    booking = _book(client, portal["offer"].id)
    page = client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True)
    assert f'href="/portal/meetings/{booking.id}/calendar.ics"' in page and "Føj til kalender" in page
    seen = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == AuditEvent.BOOKING_SEEN_BY_CITIZEN, AuditEntry.booking_id == booking.id))

    response = client.get(f"/portal/meetings/{booking.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="samtale-{booking.id}.ics"' in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert portal["citizen"].cpr not in body and "mailto:" not in body
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2027, 3, 1, 8, 30, tzinfo=UTC)
    assert "Værkmestergade 25, 8000 Aarhus C" in str(event["location"])
    assert str(event["summary"]).startswith("Samtale med jobcentret")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.event == AuditEvent.BOOKING_SEEN_BY_CITIZEN,
        AuditEntry.booking_id == booking.id)) == seen + 1


def test_r_8_6_another_citizens_meeting_calendar_is_404(client, portal, create_citizen):
    """R-8.6, R-0.1: the .ics of someone else's meeting is not found, and nobody logged out gets one."""
    citizen_login(client)
    booking = _book(client, portal["offer"].id)
    create_citizen(portal["centre"], cpr="0101054001")
    other = client.application.test_client()
    citizen_login(other, "0101054001")
    assert other.get(f"/portal/meetings/{booking.id}/calendar.ics").status_code == 404
    assert other.get("/portal/meetings/999999/calendar.ics").status_code == 404


def test_r_8_6_calendar_file_needs_a_logged_in_citizen(client, portal):
    """R-8.6, R-0.1: nobody logged out gets a meeting's .ics; the portal's login is asked for."""
    response = client.get("/portal/meetings/1/calendar.ics")
    assert response.status_code == 302 and "/portal/login" in response.headers["Location"]


def test_r_8_6_meeting_page_links_the_address_to_the_configured_map_service(client, portal, app):
    """R-8.6: a plain https link with the address as the query (no embedded map); the base
    address is the setting PLANNER_MAP_URL."""
    team = portal["team"]
    team.address, team.postal_code, team.city = "Værkmestergade 25", "8000", "Aarhus C"
    db.session.commit()
    citizen_login(client)
    booking = _book(client, portal["offer"].id)
    page = html.unescape(client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True))
    assert ('href="https://www.openstreetmap.org/search?query=V%C3%A6rkmestergade+25%2C+8000+Aarhus+C"'
            in page)
    assert "Se adressen på et kort" in page and "<iframe" not in page
    app.config["PLANNER_MAP_URL"] = "https://kort.example.dk/?q="
    page = html.unescape(client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True))
    assert 'href="https://kort.example.dk/?q=V%C3%A6rkmestergade+25%2C+8000+Aarhus+C"' in page


@pytest.mark.parametrize("raw", ["http://kort.example.dk/?q=", "javascript:alert(1)", "https://",
                                 "https://kort example.dk"])
def test_r_8_6_the_map_setting_must_be_an_https_address(raw):
    """R-8.6: a map address that is not https is refused when the application starts."""
    setting = vars(Config)["PLANNER_MAP_URL"]
    assert isinstance(setting, Setting)
    with pytest.raises(Exception, match="https://"):
        setting.read({"PLANNER_MAP_URL": raw})


# ---------------------------------------------------------------------------
# 3. A called-in meeting names the job centre's contact; 4. no offers gives a next step
# ---------------------------------------------------------------------------

@pytest.fixture
def ws(app, reference_data, monkeypatch):
    import webapp.portal.routes
    monkeypatch.setattr(webapp.portal.routes, "now_local", lambda: WS_NOW)
    ws = build_workspace()
    contact_on_the_root(ws)
    root = ws.team.parent
    root.address, root.postal_code, root.city = "Jobcentervej 1", "8000", "Aarhus C"
    ws.team.address = None
    db.session.commit()
    return ws


def _ws_login(client, ws) -> None:
    cpr = ws.citizens[0].cpr
    assert client.post("/portal/login", data={"cpr": f"{cpr[:6]}-{cpr[6:]}", "code": "1234"}
                       ).status_code == 302


@pytest.mark.parametrize("origin", ["fixed_time", "batch", "inbound"])
def test_r_8_6_called_in_meeting_says_how_to_reach_the_job_centre(client, ws, origin):
    """R-8.6: a called-in meeting the citizen cannot move online shows "Kontakt jobcentret" with
    the nearest team's phone and e-mail as links and its address."""
    booking = make_booking(ws, origin)
    _ws_login(client, ws)
    page = html.unescape(client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True))
    assert "Kontakt jobcentret" in page
    assert ("Samtalen kan ikke flyttes online. Skal den flyttes, så kontakt jobcentret." in page
            or "Samtalen kan ikke ændres online." in page)
    assert f'href="tel:{ROOT_PHONE}"' in page and ROOT_PHONE_SHOWN in page
    assert f'href="mailto:{ROOT_EMAIL}"' in page
    assert "Jobcentervej 1, 8000 Aarhus C" in page
    assert ws.team.parent.name in page


def test_r_8_6_a_meeting_that_cannot_be_changed_at_all_says_so(client, ws):
    """R-8.6: with neither rebooking nor cancellation online, the box says both go by contact."""
    booking = make_booking(ws, "fixed_time")
    booking.cancellable_until = None
    db.session.commit()
    _ws_login(client, ws)
    page = html.unescape(client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True))
    assert "Samtalen kan ikke ændres online. Skal den flyttes eller aflyses, så kontakt jobcentret." in page
    assert f'href="tel:{ROOT_PHONE}"' in page and "Aflys samtalen" not in page


def test_r_8_6_self_booked_meeting_changeable_online_has_no_contact_box(client, ws):
    """R-8.6: where the citizen can rebook and cancel online, the page has no contact box."""
    booking = make_booking(ws, "self_booked")
    _ws_login(client, ws)
    page = client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True)
    assert "Ombook" in page and 'id="contact-title"' not in page


def test_r_8_6_no_offers_gives_a_next_step_with_the_job_centres_contact(client, ws):
    """R-8.6: "no offers" is followed by what to do: contact the job centre, with its details."""
    _ws_login(client, ws)
    page = html.unescape(client.get("/portal/offers").get_data(as_text=True))
    assert "Der er ingen tilbud, du kan booke lige nu." in page
    assert "Jobcentret kan booke en samtale for dig." in page
    assert f'href="tel:{ROOT_PHONE}"' in page and f'href="mailto:{ROOT_EMAIL}"' in page
    assert "Jobcentervej 1, 8000 Aarhus C" in page


def test_r_8_6_no_offers_without_any_contact_points_to_the_municipality(client, ws):
    """R-8.6: a job centre without phone, e-mail or address still gives a next step."""
    for team in (ws.team, ws.team.parent):
        team.phone = team.email = team.address = None
    db.session.commit()
    _ws_login(client, ws)
    page = html.unescape(client.get("/portal/offers").get_data(as_text=True))
    assert "Se jobcentrets kontaktoplysninger på kommunens hjemmeside." in page
