"""The citizen JSON API /api/v1 (R-4.10): tokens, the booking operations, stable errors, limits."""

from __future__ import annotations


import pytest
from sqlalchemy import func, select

from tests.conftest import _config
from tests.timehelpers import NOW
from webapp import create_app
from webapp.administration.api_clients import issue_client
from webapp.extensions import db
from webapp.models import Booking, BookingStatus, MeetingForm


@pytest.fixture
def frozen(monkeypatch):
    import webapp.api.routes
    monkeypatch.setattr(webapp.api.routes, "now_local", lambda: NOW)


@pytest.fixture
def api(app, frozen, create_job_centre, reference_data, create_caseworker, create_citizen,
        create_offer):
    centre = create_job_centre()
    team = next(t for t in centre.teams if t.parent_id is not None)
    anna = create_caseworker(centre, teams=[team], name="Anna Andersen")
    offer = create_offer([anna], citizen_chooses_caseworker=True)
    citizen = create_citizen(centre, cpr="0101054000", email="b@example.dk")
    _, token = issue_client(centre, "Borgerportal")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}", "X-Citizen-CPR": "010105-4000"}
    return {"centre": centre, "offer": offer, "citizen": citizen, "anna": anna, "token": token,
            "headers": headers}


def test_r_4_10_openapi_document_is_served_and_describes_every_operation(client):
    """R-4.10: an OpenAPI 3 document at /api/v1/openapi.json, with auth and stable error codes."""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    assert ops == {"listOffers", "getOffer", "listSlots", "reserve", "releaseReservation",
                   "confirmReservation", "listBookings", "book", "getBooking", "cancelBooking",
                   "listRebookSlots", "rebookBooking", "listDeadlines"}
    assert set(doc["components"]["securitySchemes"]) == {"portalToken", "citizenCpr"}
    assert "slot_taken" in doc["info"]["description"]


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "unauthorised"),
    ({"Authorization": "Bearer wrong"}, 401, "unauthorised"),
    ({"X-Citizen-CPR": "0101054000"}, 401, "unauthorised"),
    ("token-only", 400, "citizen_missing"),
    ("bad-cpr", 400, "cpr_invalid"),
    ("unknown-cpr", 404, "citizen_not_found"),
])
def test_r_0_1_api_needs_a_token_and_a_known_citizen(client, api, headers, status, code):
    """R-0.1, R-4.10: token authentication, the citizen named by CPR in the token's job centre."""
    token = {"Authorization": f"Bearer {api['token']}"}
    if isinstance(headers, str):
        headers = {"token-only": token, "bad-cpr": token | {"X-Citizen-CPR": "12"},
                   "unknown-cpr": token | {"X-Citizen-CPR": "0202054000"}}[headers]
    response = client.get("/api/v1/offers", headers=headers)
    assert response.status_code == status
    assert response.get_json()["code"] == code
    assert response.get_json()["message_da"]


def test_r_0_1_token_of_another_job_centre_cannot_reach_the_citizen(client, api,
                                                                   create_job_centre):
    """R-0.1: a portal's token reaches only its own job centre's citizens."""
    _, other = issue_client(create_job_centre(), "Anden portal")
    db.session.commit()
    response = client.get("/api/v1/offers", headers={"Authorization": f"Bearer {other}",
                                                     "X-Citizen-CPR": "0101054000"})
    assert response.status_code == 404 and response.get_json()["code"] == "citizen_not_found"


def test_r_4_10_reserve_confirm_rebook_cancel_over_the_api(client, api):
    """R-4.10, R-4.7, R-4.5, R-4.9: the portal's operations as JSON."""
    h, offer = api["headers"], api["offer"]
    offers = client.get("/api/v1/offers", headers=h).get_json()
    assert [o["id"] for o in offers] == [offer.id]
    assert offers[0]["caseworkers"] == [{"id": api["anna"].id, "name": "Anna Andersen"}]
    slots = client.get(f"/api/v1/offers/{offer.id}/slots?from=2027-03-01&to=2027-03-01",
                       headers=h).get_json()
    assert slots[0]["starts_at"] == "2027-03-01T07:30:00+01:00"
    held = client.post("/api/v1/reservations", headers=h, json={
        "offer_id": offer.id, "starts_at": "2027-03-01T09:00:00+01:00",
        "caseworker_id": api["anna"].id})
    assert held.status_code == 201, held.get_json()
    reservation = held.get_json()
    assert reservation["booking"]["status"] == "reserved"
    assert reservation["expires_at"] == "2027-02-26T12:05:00+01:00"
    booked = client.post(f"/api/v1/reservations/{reservation['id']}/confirm", headers=h)
    assert booked.status_code == 201
    booking = booked.get_json()
    assert booking["status"] == "booked" and booking["self_booked"] is True
    assert booking["can_cancel"] and booking["can_rebook"]
    again = client.post(f"/api/v1/reservations/{reservation['id']}/confirm", headers=h)
    assert again.status_code == 409 and again.get_json()["code"] == "reservation_expired"
    mine = client.get("/api/v1/bookings", headers=h).get_json()
    assert [b["id"] for b in mine] == [booking["id"]]
    moved = client.post(f"/api/v1/bookings/{booking['id']}/rebook", headers=h,
                        json={"starts_at": "2027-03-02T10:00"})
    assert moved.status_code == 200 and moved.get_json()["starts_at"] == "2027-03-02T10:00:00+01:00"
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=h,
                            json={"reason": "Syg"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.get("/api/v1/bookings", headers=h).get_json() == []


def test_r_4_4_api_answers_409_when_the_time_is_taken(client, api, create_citizen):
    """R-4.4: the loser of a slot gets HTTP 409 "taken, choose another"; nothing is saved."""
    h, offer = api["headers"], api["offer"]
    body = {"offer_id": offer.id, "starts_at": "2027-03-01T09:00"}
    assert client.post("/api/v1/bookings", headers=h, json=body).status_code == 201
    create_citizen(api["centre"], cpr="0101054001")
    other = h | {"X-Citizen-CPR": "0101054001"}
    response = client.post("/api/v1/bookings", headers=other, json=body)
    assert response.status_code == 409
    assert response.get_json()["code"] == "slot_taken"
    assert response.get_json()["message_da"].startswith("Tiden er desværre taget")
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.parametrize("body, status, code, field", [
    ([], 400, "invalid_json", None),
    ({}, 400, "invalid_field", "offer_id"),
    ({"offer_id": True}, 400, "invalid_field", "offer_id"),
    ({"offer_id": 99999999999}, 400, "invalid_field", "offer_id"),
    ({"offer_id": "OFFER"}, 400, "invalid_field", "starts_at"),
    ({"offer_id": 999}, 404, "offer_not_found", None),
    ({"offer_id": "OFFER", "starts_at": "i morgen"}, 400, "invalid_field", "starts_at"),
    ({"offer_id": "OFFER", "starts_at": "2027-02-26T14:00"}, 400, "too_soon", "starts_at"),
    ({"offer_id": "OFFER", "starts_at": "2027-03-01T09:07"}, 409, "slot_taken", "starts_at"),
    ({"offer_id": "OFFER", "starts_at": "2027-03-01T09:00", "caseworker_id": 0}, 400,
     "invalid_field", "caseworker_id"),
])
def test_r_4_10_bad_booking_input_gets_a_stable_code_and_saves_nothing(client, api, body,
                                                                      status, code, field):
    """R-4.10: stable error codes with Danish messages; never a 5xx; nothing saved."""
    if isinstance(body, dict) and body.get("offer_id") == "OFFER":
        body = body | {"offer_id": api["offer"].id}
    response = client.post("/api/v1/bookings", headers=api["headers"], json=body)
    assert response.status_code == status, response.get_json()
    payload = response.get_json()
    assert (payload["code"], payload["field"]) == (code, field)
    assert payload["message_da"] and payload["message_en"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_r_4_10_unknown_paths_and_methods_are_json(client):
    """R-4.10: errors outside the views are JSON with a code, too."""
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
    response = client.put("/api/v1/bookings")
    assert response.status_code == 405 and response.get_json()["code"] == "method_not_allowed"


def test_r_4_10_booking_is_rate_limited_per_citizen(database_url, reference_data,
                                                   create_job_centre, create_citizen,
                                                   create_caseworker, create_offer, monkeypatch):
    """R-4.10: booking operations are rate limited (here 3 per minute) with a JSON 429."""
    import webapp.api.routes
    monkeypatch.setattr(webapp.api.routes, "now_local", lambda: NOW)
    centre = create_job_centre()
    cw = create_caseworker(centre)
    offer = create_offer([cw])
    create_citizen(centre, cpr="0101054000")
    _, token = issue_client(centre, "Portal")
    db.session.commit()
    limited = create_app(_config(database_url) | {"RATELIMIT_ENABLED": True,
                                                 "PLANNER_RATELIMIT_BOOKING": "3 per minute"})
    try:
        client = limited.test_client()
        headers = {"Authorization": f"Bearer {token}", "X-Citizen-CPR": "0101054000"}
        codes = [client.post("/api/v1/reservations", headers=headers,
                             json={"offer_id": offer.id, "starts_at": f"2027-03-01T{8 + i:02d}:00"}
                             ).status_code for i in range(4)]
        assert codes == [201, 201, 201, 429]
        response = client.post("/api/v1/reservations", headers=headers,
                               json={"offer_id": offer.id})
        assert response.get_json()["code"] == "rate_limited" and response.headers.get("Retry-After")
        # Another citizen is not held back by the first one's limit.
        other = headers | {"X-Citizen-CPR": "0101054001"}
        assert client.get("/api/v1/offers", headers=other).status_code == 404
    finally:
        # The second app has its own engine: close its connections, or they leak.
        with limited.app_context():
            db.engine.dispose()


def test_r_4_3_group_offer_over_the_api_shows_seats(client, api, create_offer, create_room,
                                                   create_citizen):
    """R-4.3: group meetings show seats left and are joined by session_id."""
    room = create_room(api["centre"], capacity=3)
    group = create_offer([api["anna"]], meeting_form=MeetingForm.GROUP, room_id=room.id)
    h = api["headers"]
    first = client.post("/api/v1/bookings", headers=h,
                        json={"offer_id": group.id, "starts_at": "2027-03-01T09:00"})
    assert first.status_code == 201 and first.get_json()["seats_left"] == 2
    create_citizen(api["centre"], cpr="0101054002")
    slots = client.get(f"/api/v1/offers/{group.id}/slots?to=2027-03-01",
                       headers=h | {"X-Citizen-CPR": "0101054002"}).get_json()
    session = next(s for s in slots if s["session_id"] == first.get_json()["id"])
    assert session["seats_left"] == 2
    joined = client.post("/api/v1/reservations", headers=h | {"X-Citizen-CPR": "0101054002"},
                         json={"offer_id": group.id, "session_id": session["session_id"]})
    assert joined.status_code == 201 and joined.get_json()["id"].startswith("s")
    assert db.session.get(Booking, first.get_json()["id"]).status == BookingStatus.BOOKED
