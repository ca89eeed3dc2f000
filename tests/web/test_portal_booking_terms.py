"""The portal and the API show the same terms as the receipt, and enforce them (R-4.5, R-4.9)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from tests.booking_origins import (ORIGINS, ROOT_EMAIL, ROOT_PHONE_SHOWN, contact_on_the_root,
                                   make_booking)
from tests.workspace_setup import NOW, build_workspace
from webapp.administration.api_clients import issue_client
from webapp.extensions import db
from webapp.messaging import receipts
from webapp.models import Booking, BookingStatus


@pytest.fixture
def ws(app, reference_data, monkeypatch):
    import webapp.api.routes
    import webapp.portal.routes
    for module in (webapp.portal.routes, webapp.api.routes):
        monkeypatch.setattr(module, "now_local", lambda: NOW)
    ws = build_workspace()
    contact_on_the_root(ws)
    return ws


def _api_headers(ws) -> dict[str, str]:
    _, token = issue_client(ws.job_centre, "Borgerportal")
    db.session.commit()
    cpr = ws.citizens[0].cpr
    return {"Authorization": f"Bearer {token}", "X-Citizen-CPR": f"{cpr[:6]}-{cpr[6:]}"}


def _receipt_terms(booking: Booking) -> list[str]:
    """The terms lines of the booking receipt, as the citizen's e-mail has them."""
    return receipts.terms_lines(booking, NOW)


@pytest.mark.parametrize("origin", ORIGINS)
def test_r_4_9_portal_page_and_api_say_what_the_receipt_says(client, ws, origin):
    """R-4.9: the meeting page and the API answer carry the receipt's sentences word for word;
    where a change is not possible online they give the team's phone and e-mail."""
    booking = make_booking(ws, origin)
    lines = _receipt_terms(booking)
    cpr = ws.citizens[0].cpr
    assert client.post("/portal/login", data={"cpr": f"{cpr[:6]}-{cpr[6:]}", "code": "1234"}
                       ).status_code == 302
    page = html.unescape(client.get(f"/portal/meetings/{booking.id}").get_data(as_text=True))
    for line in lines:
        assert line in page
    answer = client.get(f"/api/v1/bookings/{booking.id}", headers=_api_headers(ws)).get_json()
    assert answer["terms"]["text_da"] == lines
    assert len(answer["terms"]["text_en"]) == len(lines)
    online = origin == "self_booked"
    assert answer["can_rebook"] is online
    assert (f"/portal/meetings/{booking.id}/rebook" in page) is online
    assert (f"/portal/meetings/{booking.id}/cancel" in page) is answer["can_cancel"]
    assert answer["terms"]["needs_contact"] is not online
    if not online:
        assert ROOT_PHONE_SHOWN in page and ROOT_EMAIL in page
        assert answer["terms"]["contact"] == {"team": ws.team.parent.name,
                                              "phone": ROOT_PHONE_SHOWN, "email": ROOT_EMAIL}
        assert any(ROOT_EMAIL in line for line in answer["terms"]["text_en"])


@pytest.mark.parametrize("origin", ORIGINS)
def test_r_4_5_api_and_portal_refuse_what_the_terms_refuse(client, ws, origin):
    """R-4.5: rebooking a meeting that is not rebookable online is refused by the API (both
    languages, with the contact) and by the portal (Danish flash); nothing changes."""
    booking = make_booking(ws, origin)
    headers = _api_headers(ws)
    slots = client.get(f"/api/v1/bookings/{booking.id}/slots?from=2027-03-01&to=2027-03-05",
                       headers=headers)
    if origin == "self_booked":
        assert slots.status_code == 200
        return
    assert slots.status_code == 400
    error = slots.get_json()
    assert error["code"] == "rebooking_not_allowed"
    assert ROOT_EMAIL in error["message_da"] and ROOT_EMAIL in error["message_en"]
    cpr = ws.citizens[0].cpr
    client.post("/portal/login", data={"cpr": f"{cpr[:6]}-{cpr[6:]}", "code": "1234"})
    refused = client.get(f"/portal/meetings/{booking.id}/rebook", follow_redirects=True)
    assert "Denne samtale kan ikke ombookes online. Kontakt jobcentret:" in html.unescape(
        refused.get_data(as_text=True))
    if origin == "inbound":
        cancelled = client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=headers, json={})
        assert cancelled.status_code == 400
        assert cancelled.get_json()["code"] == "cancellation_not_allowed"
    db.session.expire_all()
    assert db.session.scalars(select(Booking.status).where(Booking.id == booking.id)
                              ).one() == BookingStatus.BOOKED
