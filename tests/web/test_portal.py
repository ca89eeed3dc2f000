"""The citizen portal pages and the caseworker's offer and deadline pages (§4, R-0.1)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tests.timehelpers import NOW
from webapp.extensions import db
from webapp.models import (Booking, BookingStatus, CallInTemplate, ConversationType, HoldingForm,
                           OnlineOffer, Role, SelfBookingDeadline)


@pytest.fixture
def frozen(monkeypatch):
    import webapp.offers_staff.routes
    import webapp.portal.routes
    for module in (webapp.portal.routes, webapp.offers_staff.routes):
        monkeypatch.setattr(module, "now_local", lambda: NOW)


@pytest.fixture
def portal(app, frozen, create_job_centre, reference_data, create_caseworker, create_citizen,
           create_offer):
    centre = create_job_centre()
    team = next(t for t in centre.teams if t.parent_id is not None)
    anna = create_caseworker(centre, teams=[team], name="Anna Andersen")
    offer = create_offer([anna], name="Book en jobsamtale", description="Tal med en vejleder")
    citizen = create_citizen(centre, cpr="0101054000", name="Bente Borger", email="b@example.dk")
    return {"centre": centre, "team": team, "anna": anna, "offer": offer, "citizen": citizen}


def citizen_login(client, cpr="010105-4000", code="1234"):
    return client.post("/portal/login", data={"cpr": cpr, "code": code})


@pytest.mark.parametrize("cpr, code, message", [
    ("010105-4000", "forkert", "CPR-nummer eller kode er forkert."),
    ("0202054000", "1234", "CPR-nummer eller kode er forkert."),
    ("12345", "1234", "Et CPR-nummer har 10 cifre; du har skrevet 5."),
])
def test_r_0_1_portal_login_refuses_wrong_cpr_or_code_in_danish(client, portal, cpr, code, message):
    """R-0.1: the demo login needs a known CPR number and the code; Danish messages."""
    response = citizen_login(client, cpr, code)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302


def test_r_4_2_citizen_books_through_the_portal_pages(client, portal):
    """R-4.2, R-4.7, R-4.9: log in, see the offer, pick a time, confirm, see the meeting."""
    assert citizen_login(client).headers["Location"].endswith("/portal/")
    home = client.get("/portal/").get_data(as_text=True)
    assert "Hej Bente Borger" in home and "Du har ingen kommende samtaler." in home
    offers = client.get("/portal/offers").get_data(as_text=True)
    assert "Book en jobsamtale" in offers
    page = client.get(f"/portal/offers/{portal['offer'].id}?week=2027-03-01").get_data(as_text=True)
    assert "Mandag 1. marts 2027" in page and 'value="2027-03-01T09:00:00"' in page
    reserved = client.post(f"/portal/offers/{portal['offer'].id}/reserve",
                           data={"slot": "2027-03-01T09:00:00"})
    assert "/portal/reservations/b" in reserved.headers["Location"]
    confirm_page = client.get(reserved.headers["Location"]).get_data(as_text=True)
    assert "Tiden er holdt til dig til kl. 12:05" in confirm_page
    confirmed = client.post(reserved.headers["Location"] + "/confirm")
    booking = db.session.scalars(select(Booking)).one()
    assert confirmed.headers["Location"].endswith(f"/portal/meetings/{booking.id}")
    detail = client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True)
    assert "Mandag 1. marts 2027, 09:00–09:30" in detail
    assert "Samtalen er booket af dig selv." in detail
    assert "Du kan ombooke samtalen på selvbetjeningen indtil søndag 28. februar 2027 kl. 09:00" in detail


def test_r_4_5_citizen_rebooks_and_cancels_in_the_portal(client, portal):
    """R-4.5: rebook to another slot of the offer, then cancel; each shown in Danish."""
    citizen_login(client)
    offer_id = portal["offer"].id
    held = client.post(f"/portal/offers/{offer_id}/reserve", data={"slot": "2027-03-01T09:00:00"})
    client.post(held.headers["Location"] + "/confirm")
    booking = db.session.scalars(select(Booking)).one()
    rebook_page = client.get(f"/portal/meetings/{booking.id}/rebook?week=2027-03-01").get_data(as_text=True)
    assert "Ombook din samtale" in rebook_page
    moved = client.post(f"/portal/meetings/{booking.id}/rebook", data={"slot": "2027-03-02T10:00:00"})
    assert moved.headers["Location"].endswith(f"/portal/meetings/{booking.id}")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).starts_at == datetime(2027, 3, 2, 10, 0)
    cancel_page = client.get(f"/portal/meetings/{booking.id}/cancel").get_data(as_text=True)
    assert "Ja, aflys samtalen" in cancel_page
    client.post(f"/portal/meetings/{booking.id}/cancel", data={"reason": "Jeg har fået job"})
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert "Du har meldt afbud til samtalen" in client.get("/portal/").get_data(as_text=True)


def test_r_4_4_taken_time_in_the_portal_says_choose_another(client, portal, create_citizen,
                                                           create_booking):
    """R-4.4: picking a time someone just took shows "taken, choose another" and saves nothing."""
    citizen_login(client)
    create_booking([portal["anna"]], datetime(2027, 3, 1, 9, 0), now=NOW)
    before = db.session.scalar(select(func.count()).select_from(Booking))
    response = client.post(f"/portal/offers/{portal['offer'].id}/reserve",
                           data={"slot": "2027-03-01T09:00:00"}, follow_redirects=True)
    assert "Tiden er desværre taget. Vælg en anden." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == before


def test_r_0_1_portal_pages_of_others_and_staff_are_refused(client, portal, create_citizen,
                                                           create_user):
    """R-0.1: another citizen's meeting is 404; staff are sent away from the portal."""
    citizen_login(client)
    held = client.post(f"/portal/offers/{portal['offer'].id}/reserve",
                       data={"slot": "2027-03-01T09:00:00"})
    client.post(held.headers["Location"] + "/confirm")
    booking = db.session.scalars(select(Booking)).one()
    create_citizen(portal["centre"], cpr="0101054001")
    other = client.application.test_client()
    citizen_login(other, "0101054001")
    assert other.get(f"/portal/meetings/{booking.id}").status_code == 404
    assert other.get(f"/portal/reservations/{held.headers['Location'].rsplit('/', 1)[1]}"
                     ).status_code == 302
    staff = client.application.test_client()
    login(staff, create_user(Role.CASEWORKER, portal["centre"]))
    assert staff.get("/portal/").status_code == 302


def test_r_4_1_caseworker_creates_an_offer_from_a_template(client, portal, create_user):
    """R-4.1, R-1.5.4: the caseworker page makes an offer from a template."""
    template = CallInTemplate(
        job_centre_id=portal["centre"].id, name="Skabelon A", team_id=portal["team"].id,
        conversation_type_id=db.session.scalars(select(ConversationType.id)).first(),
        holding_form_id=db.session.scalars(select(HoldingForm.id)).first(), duration_minutes=30,
        deadline_days=10, rolling_end_weeks=3)
    template.caseworkers = [portal["anna"]]
    db.session.add(template)
    db.session.commit()
    login(client, create_user(Role.CASEWORKER, portal["centre"]))
    page = client.get(f"/caseworker/offers/new?template_id={template.id}").get_data(as_text=True)
    assert 'value="Skabelon A"' in page
    bad = client.post("/caseworker/offers/new", data={"template_id": template.id, "name": "Nyt",
                                                      "rolling_end_weeks": "", "active": "on"})
    assert "Angiv en fast slutdato eller en løbende slutdato i hele uger." in bad.get_data(as_text=True)
    response = client.post("/caseworker/offers/new", data={
        "template_id": template.id, "name": "Nyt tilbud", "rolling_end_weeks": "2", "active": "on"})
    offer = db.session.scalar(select(OnlineOffer).where(OnlineOffer.name == "Nyt tilbud"))
    assert response.headers["Location"].endswith(f"/caseworker/offers/{offer.id}")
    assert offer.active and offer.rolling_end_weeks == 2 and offer.caseworkers == [portal["anna"]]
    assert "Nyt tilbud" in client.get("/caseworker/offers").get_data(as_text=True)


def test_r_4_8_caseworker_gives_a_deadline_and_sees_passed_ones(client, portal, create_user,
                                                               create_job_centre, create_citizen):
    """R-4.8: a caseworker gives a deadline (8 days ahead at least) and lists the passed ones."""
    login(client, create_user(Role.CASEWORKER, portal["centre"]))
    type_id = portal["offer"].conversation_type_id
    too_soon = client.post("/caseworker/deadlines/new", data={
        "cpr": "0101054000", "conversation_type_id": type_id, "deadline_date": "2027-03-01"})
    assert "Fristen skal ligge mindst 8 dage ude i fremtiden" in too_soon.get_data(as_text=True)
    client.post("/caseworker/deadlines/new", data={
        "cpr": "0101054000", "conversation_type_id": type_id, "deadline_date": "2027-03-08"})
    deadline = db.session.scalars(select(SelfBookingDeadline)).one()
    # Another job centre's passed deadline is never listed here.
    stranger = create_citizen(create_job_centre(), name="Fremmed Borger")
    db.session.add(SelfBookingDeadline(job_centre_id=stranger.job_centre_id, citizen_id=stranger.id,
                                       conversation_type_id=type_id,
                                       deadline_date=date(2027, 2, 20)))
    deadline.deadline_date = date(2027, 2, 20)
    db.session.commit()
    page = client.get("/caseworker/deadlines").get_data(as_text=True)
    assert "Bente Borger (010105-****)" in page and "20.02.2027" in page
    assert "Fremmed Borger" not in page


def test_r_0_1_seed_demo_prints_citizens_who_can_log_in_and_book(runner, client, reference_data):
    """R-0.1, R-4.2: `flask seed demo` names demo CPR numbers; each logs in to the portal with
    the demo code and sees an offer to book."""
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("Citizen portal"))
    cprs = line.rsplit(": ", 1)[1].split(", ")
    assert len(cprs) == 3
    from webapp.clock import today_local
    from webapp.models import Citizen
    from webapp.selfbooking.offers import offers_for_citizen
    for cpr in cprs:
        client.post("/logout")
        assert citizen_login(client, cpr=cpr).status_code == 302, cpr
        citizen = db.session.scalar(select(Citizen).where(Citizen.cpr == cpr.replace("-", "")))
        names = [offer.name for offer in offers_for_citizen(citizen, today_local())]
        assert names and names[0] in client.get("/portal/offers").get_data(as_text=True)


def test_r_8_1_the_link_to_a_group_meeting_left_by_rebooking_leads_to_the_current_one(
        client, portal, create_room, create_offer, create_citizen):
    """R-8.1: rebooking a group seat changes the meeting's number; the old link says so and
    points to the meeting the citizen has now. Someone else's old link stays a plain 404."""
    from webapp.models import MeetingForm
    from webapp.selfbooking import meetings, reservations

    room = create_room(portal["centre"], capacity=3)
    offer = create_offer([portal["anna"]], meeting_form=MeetingForm.GROUP, room_id=room.id,
                         duration_minutes=60)
    other = create_citizen(portal["centre"], cpr="0202054000")
    old = reservations.book(other, offer, datetime(2027, 3, 1, 9), now=NOW)
    reservations.book(portal["citizen"], offer, datetime(2027, 3, 1, 9), now=NOW)
    new = meetings.rebook(portal["citizen"], old, datetime(2027, 3, 2, 10), now=NOW)
    db.session.commit()
    assert new.id != old.id

    citizen_login(client)
    response = client.get(f"/portal/meetings/{old.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/portal/meetings/{new.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Din samtale nr. {old.id} er flyttet: den er nu samtale nr. {new.id}." in page

    client.post("/logout")
    stranger = create_citizen(portal["centre"], cpr="0303054000")
    db.session.commit()
    citizen_login(client, "030305-4000")
    missing = client.get(f"/portal/meetings/{old.id}")
    assert missing.status_code == 404 and "Siden findes ikke" in missing.get_data(as_text=True)
    assert stranger.id
